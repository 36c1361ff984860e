/**
 * Turns the ingestor's variables (service-kit's `loadEnv`: environment, `.env`, `<NAME>_FILE` secrets) into a
 * validated {@link IngestorConfig}, or a {@link ConfigError} whose message is one line naming the offending variable —
 * never its value when it is a secret. What is checked here is the ingestor's own: settings that only make sense
 * together (SASL, mutual TLS), the S3 part size, the files it names, the encoder threads sized to the machine.
 */
import { hostname } from 'node:os';
import {
  ConfigError,
  type EnvSource,
  loadEnv,
  type ObjectStorage,
  objectStorageOf,
  readConfigFile,
} from '@delta-writer/service-kit';
import { encoderThreadsFor, type MachineFacts, machineFacts } from './encoder-threads.js';
import { type Env, EnvSchema } from './schema.js';

export { ConfigError };

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
  s3: ObjectStorage & { partBytes: number };
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
  /** MEMORY_RELEASE_INTERVAL; 0: off. */
  memoryReleaseIntervalMs: number;
  metricsPort: number;
  shutdownTimeoutMs: number;
}

export interface RecordLimits {
  maxDocumentFields: number;
  maxDepth: number;
  maxBatchColumns: number;
}

export interface CommitterTls {
  ca?: string;
  /** Client certificate and key (mutual TLS). */
  cert?: string;
  key?: string;
  serverName?: string;
}

export interface LoadOptions extends EnvSource {
  /** The CPUs and memory the default encoder thread count is sized to (default: read from this machine). */
  machine?: MachineFacts;
}

export function loadConfig(options: LoadOptions = {}): IngestorConfig {
  const readPem = (variable: string, path: string): string =>
    readConfigFile(variable, path, options.readFile).toString('utf8');
  return toConfig(loadEnv(EnvSchema, options), readPem, options.machine);
}

type ReadPem = (variable: string, path: string) => string;

function toConfig(e: Env, readPem: ReadPem, machine?: MachineFacts): IngestorConfig {
  const storage = objectStorageOf(e);
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
      ssl: e.KAFKA_SSL ? caOf('KAFKA_SSL_CA_FILE', e.KAFKA_SSL_CA_FILE, readPem) : false,
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
    s3: { ...storage, partBytes: e.UPLOAD_PART_BYTES },
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
      tls: e.COMMITTER_TLS ? committerTls(e, readPem) : false,
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
    memoryReleaseIntervalMs: e.MEMORY_RELEASE_INTERVAL,
    metricsPort: e.METRICS_PORT,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
  };
}

function committerTls(e: Env, readPem: ReadPem): CommitterTls {
  if ((e.COMMITTER_TLS_CERT_FILE === undefined) !== (e.COMMITTER_TLS_KEY_FILE === undefined)) {
    const missing =
      e.COMMITTER_TLS_CERT_FILE === undefined ? 'COMMITTER_TLS_CERT_FILE' : 'COMMITTER_TLS_KEY_FILE';
    throw new ConfigError(missing, 'is required for mutual TLS when the other client file is set');
  }
  return {
    ...caOf('COMMITTER_TLS_CA_FILE', e.COMMITTER_TLS_CA_FILE, readPem),
    ...(e.COMMITTER_TLS_CERT_FILE !== undefined && {
      cert: readPem('COMMITTER_TLS_CERT_FILE', e.COMMITTER_TLS_CERT_FILE),
    }),
    ...(e.COMMITTER_TLS_KEY_FILE !== undefined && {
      key: readPem('COMMITTER_TLS_KEY_FILE', e.COMMITTER_TLS_KEY_FILE),
    }),
    ...(e.COMMITTER_TLS_SERVER_NAME !== undefined && { serverName: e.COMMITTER_TLS_SERVER_NAME }),
  };
}

function caOf(variable: string, path: string | undefined, readPem: ReadPem): { ca?: string } {
  return path === undefined ? {} : { ca: readPem(variable, path) };
}
