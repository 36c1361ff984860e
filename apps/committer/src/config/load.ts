/**
 * Turns the committer's variables (service-kit's `loadEnv`: environment, `.env`, `<NAME>_FILE` secrets) into a
 * validated {@link CommitterConfig}, or a {@link ConfigError} whose message is one line naming the offending
 * variable (never echoing a secret's value). What is checked here is the committer's own: settings that only make
 * sense together, the credentials and their scopes, the TLS files.
 */
import { createHash, randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import {
  ConfigError,
  type EnvSource,
  type LogLevel,
  loadEnv,
  type ObjectStorage,
  objectStorageOf,
  readConfigFile,
} from '@delta-writer/service-kit';
import { type Env, EnvSchema } from './schema.js';

export { ConfigError };

export interface CommitterConfig {
  /** Display name of the replica. */
  readonly id: string;
  /** Unique per process: the lease owner. */
  readonly instanceId: string;
  readonly grpc: {
    readonly host: string;
    readonly port: number;
    readonly advertisedAddress: string;
    /** Tokens with access to every table (COMMITTER_TOKEN, COMMITTER_TOKEN_PREVIOUS). */
    readonly tokens: readonly string[];
    readonly tls?: { readonly certPem: Buffer; readonly keyPem: Buffer; readonly clientCaPem?: Buffer };
    readonly auth: AuthConfig;
  };
  readonly lease: {
    readonly redisUrl: string;
    readonly keyPrefix: string;
    readonly ttlMs: number;
    readonly renewIntervalMs: number;
    readonly retryIntervalMs: number;
  };
  readonly storage: ObjectStorage & {
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
    /** Most offsets a manifest may advance beyond its files' rows (acknowledged gaps included). */
    readonly maxOffsetGap: number;
    readonly maxSchemaColumns: number;
    readonly maxSchemaDepth: number;
    /** Table properties of new tables (checkpoint interval included). */
    readonly properties: Readonly<Record<string, string>>;
    readonly cacheSize: number;
  };
  readonly maintenance: MaintenanceConfig;
  readonly mirror: MirrorConfig;
  readonly logLevel: LogLevel;
  /** MEMORY_RELEASE_INTERVAL; 0: off. */
  readonly memoryReleaseIntervalMs: number;
  readonly metricsPort: number;
  readonly shutdownTimeoutMs: number;
}

/** Who may call the committer, and which tables each credential may touch. */
export interface AuthConfig {
  /** Every accepted token with its name for logs and its table URI prefixes (undefined = every table). */
  readonly tokens: readonly ScopedCredential[];
  /** Mutual TLS: certificate identity (`CN=…`, `DNS:…`, `URI:…`) → prefixes; undefined = any verified certificate. */
  readonly clientScopes?: ReadonlyMap<string, readonly string[]>;
  /** Mutual TLS is configured (a verified client certificate authenticates when no token is configured). */
  readonly mutualTls: boolean;
  /** COMMITTER_INSECURE: no credential configured, anyone may call. */
  readonly insecure: boolean;
}

export interface ScopedCredential {
  readonly token: string;
  /** Names the token in logs and metrics (never the token). */
  readonly id: string;
  readonly tablePrefixes?: readonly string[];
}

export interface MaintenanceConfig {
  /** Versions between checkpoints; 0 = off. */
  readonly checkpointInterval: number;
  /** The most of the maintenance thread's time a table's checkpoints may take (0–1]: spaces them out by their cost. */
  readonly checkpointTimeShare: number;
  /** 0 = compaction off. */
  readonly compactionIntervalMs: number;
  readonly compactionTargetFileBytes: number;
  readonly compactionSmallFileBytes: number;
  readonly compactionMinFiles: number;
  readonly compactionMaxBytesPerRun: number;
  /** Log cleanup and vacuum; 0 = off. */
  readonly intervalMs: number;
  /** The maintenance thread ends after a task that leaves it holding more than this (absent: the pool's default). */
  readonly threadMaxBytes?: number;
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

/** The committer's configuration from `source` (default: the process environment and the working directory). */
export function loadConfig(source: EnvSource = {}): CommitterConfig {
  const e = loadEnv(EnvSchema, source);
  const readFile = source.readFile;

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
  if (e.COMMITTER_COMPACTION_SMALL_FILE_BYTES > e.COMMITTER_COMPACTION_TARGET_FILE_BYTES) {
    throw new ConfigError(
      'COMMITTER_COMPACTION_SMALL_FILE_BYTES',
      `must be at most COMMITTER_COMPACTION_TARGET_FILE_BYTES (${e.COMMITTER_COMPACTION_TARGET_FILE_BYTES})`,
    );
  }
  const storage = objectStorageOf(e);
  const read = (variable: string, path: string | undefined) =>
    path === undefined ? undefined : readConfigFile(variable, path, readFile);
  const certPem = read('COMMITTER_TLS_CERT_FILE', e.COMMITTER_TLS_CERT_FILE);
  const keyPem = read('COMMITTER_TLS_KEY_FILE', e.COMMITTER_TLS_KEY_FILE);
  const clientCaPem = read('COMMITTER_TLS_CLIENT_CA_FILE', e.COMMITTER_TLS_CLIENT_CA_FILE);

  const id = e.COMMITTER_ID ?? hostname();
  const base = e.DELTA_TABLE_BASE_PATH.replace(/^\/+|\/+$/g, '');
  const tableRootUri = `s3://${e.MINIO_BUCKET}/${base ? `${base}/` : ''}`;
  const tokens = [e.COMMITTER_TOKEN, e.COMMITTER_TOKEN_PREVIOUS].filter((t): t is string => t !== undefined);
  const auth = authConfig(e, tokens, tableRootUri, clientCaPem !== undefined);
  return {
    id,
    instanceId: `${id}/${randomUUID().slice(0, 8)}`,
    grpc: {
      host: e.COMMITTER_GRPC_HOST,
      port: e.COMMITTER_GRPC_PORT,
      advertisedAddress: e.COMMITTER_ADVERTISED_ADDRESS ?? `${hostname()}:${e.COMMITTER_GRPC_PORT}`,
      tokens,
      ...(certPem && keyPem ? { tls: { certPem, keyPem, ...(clientCaPem ? { clientCaPem } : {}) } } : {}),
      auth,
    },
    lease: {
      redisUrl: e.REDIS_URL,
      keyPrefix: e.COMMITTER_LEASE_KEY,
      ttlMs: e.COMMITTER_LEASE_TTL_MS,
      renewIntervalMs: e.COMMITTER_LEASE_RENEW_INTERVAL_MS,
      retryIntervalMs: e.COMMITTER_LEASE_RETRY_INTERVAL_MS,
    },
    storage: { ...storage, tableRootUri },
    groupCommit: {
      maxWaitMs: e.COMMITTER_GROUP_COMMIT_MAX_WAIT_MS,
      maxManifests: e.COMMITTER_GROUP_COMMIT_MAX_MANIFESTS,
      maxFiles: e.COMMITTER_GROUP_COMMIT_MAX_FILES,
      maxConcurrentTables: e.COMMITTER_MAX_CONCURRENT_TABLES,
      maxQueuedManifests: e.COMMITTER_MAX_QUEUED_MANIFESTS,
    },
    tables: {
      typeWidening: e.COMMITTER_TYPE_WIDENING,
      maxOffsetGap: e.COMMITTER_MAX_OFFSET_GAP,
      maxSchemaColumns: e.COMMITTER_MAX_SCHEMA_COLUMNS,
      maxSchemaDepth: e.COMMITTER_MAX_SCHEMA_DEPTH,
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
      checkpointTimeShare: e.COMMITTER_CHECKPOINT_TIME_SHARE,
      compactionIntervalMs: e.COMMITTER_COMPACTION_INTERVAL_MS,
      compactionTargetFileBytes: e.COMMITTER_COMPACTION_TARGET_FILE_BYTES,
      compactionSmallFileBytes: e.COMMITTER_COMPACTION_SMALL_FILE_BYTES,
      compactionMinFiles: e.COMMITTER_COMPACTION_MIN_FILES,
      compactionMaxBytesPerRun: e.COMMITTER_COMPACTION_MAX_BYTES_PER_RUN,
      intervalMs: e.COMMITTER_MAINTENANCE_INTERVAL_MS,
      threadMaxBytes: e.COMMITTER_MAINTENANCE_THREAD_MAX_BYTES,
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
    memoryReleaseIntervalMs: e.MEMORY_RELEASE_INTERVAL,
    metricsPort: e.METRICS_PORT,
    shutdownTimeoutMs: e.COMMITTER_SHUTDOWN_TIMEOUT_MS,
  };
}

/**
 * The credentials from COMMITTER_TOKEN(_PREVIOUS), COMMITTER_TOKENS and mutual TLS; refuses a configuration without
 * any (unless COMMITTER_INSECURE says so) and scopes that could never match a table this committer serves.
 */
function authConfig(
  e: Env,
  fullTokens: readonly string[],
  tableRootUri: string,
  mutualTls: boolean,
): AuthConfig {
  const credentials: ScopedCredential[] = fullTokens.map((token, i) => ({
    token,
    id: i === 0 && token === e.COMMITTER_TOKEN ? 'token:COMMITTER_TOKEN' : 'token:COMMITTER_TOKEN_PREVIOUS',
  }));
  const scoped = e.COMMITTER_TOKENS ? (JSON.parse(e.COMMITTER_TOKENS) as Record<string, string[]>) : {};
  for (const [token, prefixes] of Object.entries(scoped)) {
    // Checked here rather than in the schema, so that the message can never contain the token.
    if (token.length < 16)
      throw new ConfigError('COMMITTER_TOKENS', 'has a token shorter than 16 characters');
    if (fullTokens.includes(token))
      throw new ConfigError('COMMITTER_TOKENS', 'repeats COMMITTER_TOKEN or COMMITTER_TOKEN_PREVIOUS');
    const id = `token:${createHash('sha256').update(token, 'utf8').digest('hex').slice(0, 8)}`;
    credentials.push({
      token,
      id,
      tablePrefixes: prefixes.map((p) => scopePrefix('COMMITTER_TOKENS', p, tableRootUri)),
    });
  }
  let clientScopes: Map<string, string[]> | undefined;
  if (e.COMMITTER_CLIENT_SCOPES) {
    if (!mutualTls)
      throw new ConfigError('COMMITTER_CLIENT_SCOPES', 'needs mutual TLS (COMMITTER_TLS_CLIENT_CA_FILE)');
    clientScopes = new Map();
    for (const [identity, prefixes] of Object.entries(
      JSON.parse(e.COMMITTER_CLIENT_SCOPES) as Record<string, string[]>,
    )) {
      if (!/^(CN=|DNS:|URI:|IP Address:|email:).+/.test(identity)) {
        throw new ConfigError(
          'COMMITTER_CLIENT_SCOPES',
          `key ${JSON.stringify(identity)} is not CN=<name>, DNS:<name>, URI:<uri>, IP Address:<ip> or email:<address>`,
        );
      }
      clientScopes.set(
        identity,
        prefixes.map((p) => scopePrefix('COMMITTER_CLIENT_SCOPES', p, tableRootUri)),
      );
    }
  }
  if (credentials.length === 0 && !mutualTls && !e.COMMITTER_INSECURE) {
    throw new ConfigError(
      'COMMITTER_TOKEN',
      'is required: the committer does not accept anonymous writes (set COMMITTER_TOKEN or COMMITTER_TOKENS, or mutual TLS with COMMITTER_TLS_CLIENT_CA_FILE; COMMITTER_INSECURE=true runs without authentication)',
    );
  }
  return {
    tokens: credentials,
    ...(clientScopes ? { clientScopes } : {}),
    mutualTls,
    insecure: credentials.length === 0 && !mutualTls && e.COMMITTER_INSECURE,
  };
}

/** A scope prefix, without trailing slashes; it must name the table root or a folder under it. */
function scopePrefix(variable: string, prefix: string, tableRootUri: string): string {
  const p = prefix.replace(/\/+$/, '');
  const root = tableRootUri.replace(/\/+$/, '');
  if (p !== root && !p.startsWith(`${root}/`))
    throw new ConfigError(
      variable,
      `has a prefix that is not under the table root ${tableRootUri}: ${prefix}`,
    );
  if (p.split('/').some((s, i) => i > 2 && (s === '' || s === '.' || s === '..')))
    throw new ConfigError(variable, `has a prefix with empty, '.' or '..' segments: ${prefix}`);
  return p;
}
