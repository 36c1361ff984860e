/**
 * Turns environment variables into a validated {@link CommitterConfig}, or a {@link ConfigError} whose message is one
 * line naming the offending variable (never echoing a secret's value).
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { EnvSchema, secretVariables } from './schema.js';

export interface CommitterConfig {
  /** Display name of the replica. */
  readonly id: string;
  /** Unique per process: the lease owner. */
  readonly instanceId: string;
  readonly grpc: {
    readonly host: string;
    readonly port: number;
    readonly advertisedAddress: string;
    readonly tokens: readonly string[];
    readonly tls?: { readonly certPem: Buffer; readonly keyPem: Buffer; readonly clientCaPem?: Buffer };
  };
  readonly lease: {
    readonly redisUrl: string;
    readonly keyPrefix: string;
    readonly ttlMs: number;
    readonly renewIntervalMs: number;
    readonly retryIntervalMs: number;
  };
  readonly storage: {
    readonly endpoint?: string;
    readonly region: string;
    readonly bucket: string;
    readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
    /** `s3://<bucket>/<base>/`: every table URI must start with it. */
    readonly tableRootUri: string;
  };
  readonly groupCommit: {
    readonly maxWaitMs: number;
    readonly maxManifests: number;
    readonly maxFiles: number;
    readonly maxConcurrentTables: number;
    readonly maxQueuedManifests: number;
  };
  readonly tables: {
    readonly typeWidening: 'promote' | 'feature' | 'off';
    /** Table properties of new tables (checkpoint interval included). */
    readonly properties: Readonly<Record<string, string>>;
    readonly cacheSize: number;
  };
  readonly maintenance: MaintenanceConfig;
  readonly mirror: MirrorConfig;
  readonly logLevel: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';
  readonly metricsPort: number;
  readonly shutdownTimeoutMs: number;
}

export interface MaintenanceConfig {
  /** Versions between checkpoints; 0 = off. */
  readonly checkpointInterval: number;
  /** 0 = compaction off. */
  readonly compactionIntervalMs: number;
  readonly compactionTargetFileBytes: number;
  readonly compactionSmallFileBytes: number;
  readonly compactionMinFiles: number;
  readonly compactionMaxBytesPerRun: number;
  /** Log cleanup and vacuum; 0 = off. */
  readonly intervalMs: number;
  readonly vacuumRetentionHours?: number;
  readonly logRetentionHours?: number;
}

export interface MirrorConfig {
  /** How long a delete tombstone stays in a mirror table's key index (ms). */
  readonly tombstoneRetentionMs: number;
  /** A data file of a mirror table is compacted once this share of its rows is deleted. */
  readonly compactDeletedRatio: number;
  /** Deleted-row cache (rows). */
  readonly vectorCacheRows: number;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`invalid configuration: ${variable} ${problem}`);
  }
}

/**
 * `<NAME>_FILE` names a file holding a secret (a mounted Kubernetes or Docker secret), so the value never sits in
 * the process environment; one trailing newline is dropped, as `echo` and `kubectl create secret` leave one.
 */
function secretFromFile(
  name: string,
  direct: string | undefined,
  path: string,
  readFile: (path: string) => Buffer,
): string {
  if (direct !== undefined) throw new ConfigError(`${name}_FILE`, `and ${name} are both set; use one`);
  let text: string;
  try {
    text = readFile(path).toString('utf8');
  } catch (err) {
    throw new ConfigError(`${name}_FILE`, `cannot be read (${(err as NodeJS.ErrnoException).code ?? err})`);
  }
  const value = text.replace(/\r?\n$/, '');
  if (value === '') throw new ConfigError(`${name}_FILE`, `names an empty file: ${path}`);
  return value;
}

export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  readFile: (path: string) => Buffer = readFileSync,
): CommitterConfig {
  // Empty means unset; only our own variables are looked at.
  const input: Record<string, string> = {};
  for (const name of Object.keys(EnvSchema.shape)) {
    const value = env[name];
    if (value !== undefined && value !== '') input[name] = value;
    const file = secretVariables.has(name) ? env[`${name}_FILE`] : undefined;
    if (file !== undefined && file !== '') input[name] = secretFromFile(name, input[name], file, readFile);
  }
  const parsed = EnvSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const variable = String(issue?.path[0] ?? 'environment');
    const problem =
      issue?.code === 'invalid_type' && input[variable] === undefined
        ? 'is required'
        : (issue?.message ?? 'is invalid');
    throw new ConfigError(
      variable,
      secretVariables.has(variable) ? problem.replace(/".*"/, '(hidden)') : problem,
    );
  }
  const e = parsed.data;

  if (e.COMMITTER_LEASE_RENEW_INTERVAL_MS * 3 > e.COMMITTER_LEASE_TTL_MS) {
    throw new ConfigError(
      'COMMITTER_LEASE_RENEW_INTERVAL_MS',
      `must be at most a third of COMMITTER_LEASE_TTL_MS (${e.COMMITTER_LEASE_TTL_MS})`,
    );
  }
  if ((e.COMMITTER_TLS_CERT_FILE === undefined) !== (e.COMMITTER_TLS_KEY_FILE === undefined)) {
    const missing =
      e.COMMITTER_TLS_CERT_FILE === undefined ? 'COMMITTER_TLS_CERT_FILE' : 'COMMITTER_TLS_KEY_FILE';
    throw new ConfigError(missing, 'is required when the other TLS file is set');
  }
  if (e.COMMITTER_TLS_CLIENT_CA_FILE !== undefined && e.COMMITTER_TLS_CERT_FILE === undefined) {
    throw new ConfigError(
      'COMMITTER_TLS_CERT_FILE',
      'is required for mutual TLS (COMMITTER_TLS_CLIENT_CA_FILE is set)',
    );
  }
  if ((e.MINIO_ACCESS_KEY === undefined) !== (e.MINIO_SECRET_KEY === undefined)) {
    throw new ConfigError(
      e.MINIO_ACCESS_KEY === undefined ? 'MINIO_ACCESS_KEY' : 'MINIO_SECRET_KEY',
      'is required when the other S3 key is set',
    );
  }
  if (e.COMMITTER_COMPACTION_SMALL_FILE_BYTES > e.COMMITTER_COMPACTION_TARGET_FILE_BYTES) {
    throw new ConfigError(
      'COMMITTER_COMPACTION_SMALL_FILE_BYTES',
      `must be at most COMMITTER_COMPACTION_TARGET_FILE_BYTES (${e.COMMITTER_COMPACTION_TARGET_FILE_BYTES})`,
    );
  }
  const read = (variable: string, path: string | undefined) => {
    if (path === undefined) return undefined;
    try {
      return readFile(path);
    } catch (error) {
      throw new ConfigError(
        variable,
        `cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}: ${path})`,
      );
    }
  };
  const certPem = read('COMMITTER_TLS_CERT_FILE', e.COMMITTER_TLS_CERT_FILE);
  const keyPem = read('COMMITTER_TLS_KEY_FILE', e.COMMITTER_TLS_KEY_FILE);
  const clientCaPem = read('COMMITTER_TLS_CLIENT_CA_FILE', e.COMMITTER_TLS_CLIENT_CA_FILE);

  const id = e.COMMITTER_ID ?? hostname();
  const base = e.DELTA_TABLE_BASE_PATH.replace(/^\/+|\/+$/g, '');
  return {
    id,
    instanceId: `${id}/${randomUUID().slice(0, 8)}`,
    grpc: {
      host: e.COMMITTER_GRPC_HOST,
      port: e.COMMITTER_GRPC_PORT,
      advertisedAddress: e.COMMITTER_ADVERTISED_ADDRESS ?? `${hostname()}:${e.COMMITTER_GRPC_PORT}`,
      tokens: [e.COMMITTER_TOKEN, e.COMMITTER_TOKEN_PREVIOUS].filter((t): t is string => t !== undefined),
      ...(certPem && keyPem ? { tls: { certPem, keyPem, ...(clientCaPem ? { clientCaPem } : {}) } } : {}),
    },
    lease: {
      redisUrl: e.REDIS_URL,
      keyPrefix: e.COMMITTER_LEASE_KEY,
      ttlMs: e.COMMITTER_LEASE_TTL_MS,
      renewIntervalMs: e.COMMITTER_LEASE_RENEW_INTERVAL_MS,
      retryIntervalMs: e.COMMITTER_LEASE_RETRY_INTERVAL_MS,
    },
    storage: {
      ...(e.MINIO_ENDPOINT ? { endpoint: e.MINIO_ENDPOINT } : {}),
      region: e.MINIO_REGION,
      bucket: e.MINIO_BUCKET,
      ...(e.MINIO_ACCESS_KEY && e.MINIO_SECRET_KEY
        ? { credentials: { accessKeyId: e.MINIO_ACCESS_KEY, secretAccessKey: e.MINIO_SECRET_KEY } }
        : {}),
      tableRootUri: `s3://${e.MINIO_BUCKET}/${base ? `${base}/` : ''}`,
    },
    groupCommit: {
      maxWaitMs: e.COMMITTER_GROUP_COMMIT_MAX_WAIT_MS,
      maxManifests: e.COMMITTER_GROUP_COMMIT_MAX_MANIFESTS,
      maxFiles: e.COMMITTER_GROUP_COMMIT_MAX_FILES,
      maxConcurrentTables: e.COMMITTER_MAX_CONCURRENT_TABLES,
      maxQueuedManifests: e.COMMITTER_MAX_QUEUED_MANIFESTS,
    },
    tables: {
      typeWidening: e.COMMITTER_TYPE_WIDENING,
      properties: {
        ...(e.COMMITTER_TABLE_PROPERTIES
          ? (JSON.parse(e.COMMITTER_TABLE_PROPERTIES) as Record<string, string>)
          : {}),
        ...(e.COMMITTER_CHECKPOINT_INTERVAL > 0
          ? { 'delta.checkpointInterval': String(e.COMMITTER_CHECKPOINT_INTERVAL) }
          : {}),
      },
      cacheSize: e.COMMITTER_TABLE_CACHE_SIZE,
    },
    maintenance: {
      checkpointInterval: e.COMMITTER_CHECKPOINT_INTERVAL,
      compactionIntervalMs: e.COMMITTER_COMPACTION_INTERVAL_MS,
      compactionTargetFileBytes: e.COMMITTER_COMPACTION_TARGET_FILE_BYTES,
      compactionSmallFileBytes: e.COMMITTER_COMPACTION_SMALL_FILE_BYTES,
      compactionMinFiles: e.COMMITTER_COMPACTION_MIN_FILES,
      compactionMaxBytesPerRun: e.COMMITTER_COMPACTION_MAX_BYTES_PER_RUN,
      intervalMs: e.COMMITTER_MAINTENANCE_INTERVAL_MS,
      ...(e.COMMITTER_VACUUM_RETENTION_HOURS !== undefined
        ? { vacuumRetentionHours: e.COMMITTER_VACUUM_RETENTION_HOURS }
        : {}),
      ...(e.COMMITTER_LOG_RETENTION_HOURS !== undefined
        ? { logRetentionHours: e.COMMITTER_LOG_RETENTION_HOURS }
        : {}),
    },
    mirror: {
      tombstoneRetentionMs: e.DELTA_MIRROR_TOMBSTONE_RETENTION,
      compactDeletedRatio: e.DELTA_MIRROR_COMPACT_DELETED_RATIO,
      vectorCacheRows: e.DELTA_MIRROR_VECTOR_CACHE_ROWS,
    },
    logLevel: e.LOG_LEVEL,
    metricsPort: e.METRICS_PORT,
    shutdownTimeoutMs: e.COMMITTER_SHUTDOWN_TIMEOUT_MS,
  };
}
