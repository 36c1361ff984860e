/**
 * Turns environment variables (and a `.env` file, when present) into a validated {@link IngestorConfig}, or a
 * {@link ConfigError} whose message is one line naming the offending variable — never its value when it is a secret.
 */
import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { parseEnv } from 'node:util';
import type { z } from 'zod';
import { encoderThreadsFor, type MachineFacts, machineFacts } from './encoder-threads.js';
import { type Env, EnvSchema, secretVariables } from './schema.js';

export type ParquetCompression = Env['PARQUET_COMPRESSION'];

export interface IngestorConfig {
  ingestorId: string;
  kafka: {
    brokers: string[];
    clientId: string;
    groupId: string;
    topicPattern: RegExp;
    fromBeginning: boolean;
    maxPollRecords: number;
    sessionTimeoutMs: number;
    ssl: false | { ca?: string };
    sasl?: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string };
    dlqTopic: string;
    /** How the dead-letter topic is created when it is missing (kafka/dead-letter-topic.ts). */
    dlq: { create: boolean; partitions: number; replicationFactor: number; retentionMs: number };
    /** Attempts of one dead-letter write before the partition stops. */
    dlqMaxAttempts: number;
  };
  s3: {
    endpoint?: string;
    region: string;
    bucket: string;
    credentials?: { accessKeyId: string; secretAccessKey: string };
    partBytes: number;
  };
  delta: {
    basePath: string;
    routes: Record<string, string>;
    writeMode: Env['DELTA_WRITE_MODE'];
    partialUpdates: Env['DELTA_MIRROR_PARTIAL_UPDATES'];
    partitionBy: string[];
    schemaCacheTtlMs: number;
    compression: ParquetCompression;
  };
  committer: { addresses: string[]; token?: string; tls: false | CommitterTls; timeoutMs: number };
  flush: { maxBytes: number; maxRows: number; maxAgeMs: number; backlogBytes?: number };
  memoryBudgetBytes: number;
  maxRecordBytes: number;
  /** Bounds on one record's document and one batch's columns (bson-arrow limits). */
  recordLimits: RecordLimits;
  encoderThreads: number;
  encoderChunkBytes: number;
  encoderHeapLimitBytes: number;
  logLevel: Env['LOG_LEVEL'];
  metricsPort: number;
  shutdownTimeoutMs: number;
}

export interface RecordLimits {
  maxDocumentFields: number;
  maxDepth: number;
  maxBatchColumns: number;
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`invalid configuration: ${variable} ${problem}`);
    this.name = 'ConfigError';
  }
}

export interface CommitterTls {
  ca?: string;
  /** Client certificate and key (mutual TLS). */
  cert?: string;
  key?: string;
  serverName?: string;
}

export interface LoadOptions {
  /** The process environment; wins over the `.env` file. */
  env: Record<string, string | undefined>;
  /** Where to look for `.env` (default: the working directory). `ENV_FILE` in `env` names another file. */
  cwd?: string;
  /** The CPUs and memory the default encoder thread count is sized to (default: read from this machine). */
  machine?: MachineFacts;
}

export function loadConfig({ env, cwd = process.cwd(), machine }: LoadOptions): IngestorConfig {
  const merged = secretsFromFiles({ ...readDotEnv(env, cwd), ...definedValues(env) });
  const parsed = EnvSchema.safeParse(merged);
  if (!parsed.success) throw toConfigError(parsed.error, merged);
  return toConfig(parsed.data, machine);
}

function readDotEnv(env: Record<string, string | undefined>, cwd: string): Record<string, string> {
  const explicit = env.ENV_FILE !== undefined && env.ENV_FILE !== '';
  const path = resolve(cwd, explicit ? (env.ENV_FILE as string) : '.env');
  if (!existsSync(path)) {
    if (explicit) throw new ConfigError('ENV_FILE', `names a file that does not exist: ${path}`);
    return {};
  }
  return definedValues(parseEnv(readFileSync(path, 'utf8')));
}

/**
 * `<NAME>_FILE` names a file holding a secret (a mounted Kubernetes or Docker secret), so the value never sits in
 * the process environment; one trailing newline is dropped, as `echo` and `kubectl create secret` leave one.
 */
function secretsFromFiles(input: Record<string, string>): Record<string, string> {
  const out = { ...input };
  for (const name of secretVariables) {
    const path = input[`${name}_FILE`];
    if (path === undefined) continue;
    if (input[name] !== undefined) throw new ConfigError(`${name}_FILE`, `and ${name} are both set; use one`);
    const value = readPem(`${name}_FILE`, path).replace(/\r?\n$/, '');
    if (value === '') throw new ConfigError(`${name}_FILE`, `names an empty file: ${path}`);
    out[name] = value;
  }
  return out;
}

/** Drops unset and empty values: `FOO=` means "not set", as in most deployment tooling. */
function definedValues(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && v !== '') out[k] = v;
  return out;
}

function toConfigError(error: z.ZodError, input: Record<string, string>): ConfigError {
  const issue = error.issues[0];
  const variable = String(issue?.path[0] ?? '?');
  const value = input[variable];
  if (value === undefined) return withMore(new ConfigError(variable, 'is required but not set'), error);
  let problem = issue?.message ?? 'is invalid';
  if (issue?.code === 'invalid_value' && 'values' in issue)
    problem = `must be one of ${issue.values.join(', ')}`;
  if (/^(Invalid|Too|Expected)/.test(problem)) problem = `is invalid (${problem})`;
  const shown = secretVariables.includes(variable) ? '' : ` (got ${JSON.stringify(value)})`;
  return withMore(new ConfigError(variable, `${problem}${shown}`), error);
}

function withMore(e: ConfigError, error: z.ZodError): ConfigError {
  const others = [...new Set(error.issues.slice(1).map((i) => String(i.path[0])))].filter(
    (v) => v !== e.variable,
  );
  if (others.length > 0) e.message += `; also invalid: ${others.join(', ')}`;
  return e;
}

function toConfig(e: Env, machine?: MachineFacts): IngestorConfig {
  if ((e.MINIO_ACCESS_KEY === undefined) !== (e.MINIO_SECRET_KEY === undefined)) {
    const missing = e.MINIO_ACCESS_KEY === undefined ? 'MINIO_ACCESS_KEY' : 'MINIO_SECRET_KEY';
    throw new ConfigError(missing, 'is required when the other MinIO key is set');
  }
  if (e.KAFKA_SASL_MECHANISM !== undefined) {
    if (e.KAFKA_SASL_USERNAME === undefined)
      throw new ConfigError('KAFKA_SASL_USERNAME', 'is required with SASL');
    if (e.KAFKA_SASL_PASSWORD === undefined)
      throw new ConfigError('KAFKA_SASL_PASSWORD', 'is required with SASL');
  }
  if (e.UPLOAD_PART_BYTES < 5 * 1024 * 1024) {
    throw new ConfigError('UPLOAD_PART_BYTES', 'must be at least 5MiB (the S3 minimum part size)');
  }
  return {
    ingestorId: e.INGESTOR_ID ?? hostname(),
    kafka: {
      brokers: e.KAFKA_BOOTSTRAP_SERVERS,
      clientId: e.KAFKA_CLIENT_ID,
      groupId: e.KAFKA_CONSUMER_GROUP,
      topicPattern: e.KAFKA_TOPIC_PATTERN,
      fromBeginning: e.KAFKA_AUTO_OFFSET_RESET === 'earliest',
      maxPollRecords: e.KAFKA_MAX_POLL_RECORDS,
      sessionTimeoutMs: e.KAFKA_SESSION_TIMEOUT_MS,
      ssl: e.KAFKA_SSL ? caOf('KAFKA_SSL_CA_FILE', e.KAFKA_SSL_CA_FILE) : false,
      ...(e.KAFKA_SASL_MECHANISM && {
        sasl: {
          mechanism: e.KAFKA_SASL_MECHANISM,
          username: e.KAFKA_SASL_USERNAME as string,
          password: e.KAFKA_SASL_PASSWORD as string,
        },
      }),
      dlqTopic: e.KAFKA_DLQ_TOPIC,
      dlq: {
        create: e.KAFKA_DLQ_CREATE,
        partitions: e.KAFKA_DLQ_PARTITIONS,
        replicationFactor: e.KAFKA_DLQ_REPLICATION_FACTOR,
        retentionMs: e.KAFKA_DLQ_RETENTION_MS,
      },
      dlqMaxAttempts: e.KAFKA_DLQ_MAX_ATTEMPTS,
    },
    s3: {
      ...(e.MINIO_ENDPOINT && { endpoint: e.MINIO_ENDPOINT }),
      region: e.MINIO_REGION,
      bucket: e.MINIO_BUCKET,
      ...(e.MINIO_ACCESS_KEY &&
        e.MINIO_SECRET_KEY && {
          credentials: { accessKeyId: e.MINIO_ACCESS_KEY, secretAccessKey: e.MINIO_SECRET_KEY },
        }),
      partBytes: e.UPLOAD_PART_BYTES,
    },
    delta: {
      basePath: e.DELTA_TABLE_BASE_PATH.replace(/^\/+|\/+$/g, ''),
      routes: e.DELTA_TABLE_ROUTES,
      writeMode: e.DELTA_WRITE_MODE,
      partialUpdates: e.DELTA_MIRROR_PARTIAL_UPDATES,
      partitionBy: e.DELTA_PARTITION_BY,
      schemaCacheTtlMs: e.DELTA_SCHEMA_CACHE_TTL * 1000,
      compression: e.PARQUET_COMPRESSION,
    },
    committer: {
      addresses: e.COMMITTER_ADDRESSES,
      ...(e.COMMITTER_TOKEN && { token: e.COMMITTER_TOKEN }),
      tls: e.COMMITTER_TLS ? committerTls(e) : false,
      timeoutMs: e.COMMITTER_TIMEOUT_MS,
    },
    flush: {
      maxBytes: e.FLUSH_MAX_BYTES,
      maxRows: e.FLUSH_MAX_ROWS,
      maxAgeMs: e.FLUSH_MAX_AGE_MS,
      backlogBytes: e.FLUSH_BACKLOG_BYTES,
    },
    memoryBudgetBytes: e.MEMORY_BUDGET_BYTES,
    maxRecordBytes: e.MAX_RECORD_BYTES,
    recordLimits: {
      maxDocumentFields: e.MAX_DOCUMENT_FIELDS,
      maxDepth: e.MAX_DOCUMENT_DEPTH,
      maxBatchColumns: e.MAX_BATCH_COLUMNS,
    },
    encoderThreads:
      e.ENCODER_THREADS ??
      encoderThreadsFor(machine ?? machineFacts(), {
        memoryBudgetBytes: e.MEMORY_BUDGET_BYTES,
        encoderHeapLimitBytes: e.ENCODER_HEAP_LIMIT,
        encoderChunkBytes: e.ENCODER_CHUNK_BYTES,
      }),
    encoderChunkBytes: e.ENCODER_CHUNK_BYTES,
    encoderHeapLimitBytes: e.ENCODER_HEAP_LIMIT,
    logLevel: e.LOG_LEVEL,
    metricsPort: e.METRICS_PORT,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
  };
}

function committerTls(e: Env): CommitterTls {
  if ((e.COMMITTER_TLS_CERT_FILE === undefined) !== (e.COMMITTER_TLS_KEY_FILE === undefined)) {
    const missing =
      e.COMMITTER_TLS_CERT_FILE === undefined ? 'COMMITTER_TLS_CERT_FILE' : 'COMMITTER_TLS_KEY_FILE';
    throw new ConfigError(missing, 'is required for mutual TLS when the other client file is set');
  }
  return {
    ...caOf('COMMITTER_TLS_CA_FILE', e.COMMITTER_TLS_CA_FILE),
    ...(e.COMMITTER_TLS_CERT_FILE !== undefined && {
      cert: readPem('COMMITTER_TLS_CERT_FILE', e.COMMITTER_TLS_CERT_FILE),
    }),
    ...(e.COMMITTER_TLS_KEY_FILE !== undefined && {
      key: readPem('COMMITTER_TLS_KEY_FILE', e.COMMITTER_TLS_KEY_FILE),
    }),
    ...(e.COMMITTER_TLS_SERVER_NAME !== undefined && { serverName: e.COMMITTER_TLS_SERVER_NAME }),
  };
}

function caOf(variable: string, path: string | undefined): { ca?: string } {
  return path === undefined ? {} : { ca: readPem(variable, path) };
}

function readPem(variable: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(
      variable,
      `names a file that cannot be read: ${path} (${(err as NodeJS.ErrnoException).code})`,
    );
  }
}

/** The configuration as safe to log: secrets replaced, CA bodies omitted. */
export function redactedConfig(config: IngestorConfig): unknown {
  return JSON.parse(
    JSON.stringify(config, (key, value) => {
      if (['password', 'secretAccessKey', 'token'].includes(key)) return '[redacted]';
      if (key === 'ca' || key === 'cert' || key === 'key') return typeof value === 'string' ? '[pem]' : value;
      if (value instanceof RegExp) return value.source;
      return value;
    }),
  );
}
