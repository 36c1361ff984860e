/**
 * The committer's configuration: one environment variable per setting. Names shared with the ingestor (MINIO_*,
 * DELTA_TABLE_BASE_PATH, COMMITTER_TOKEN, LOG_LEVEL, METRICS_PORT, REDIS_URL) mean the same on both sides, so one
 * ConfigMap/Secret serves both; the ones defined identically (MINIO_*, LOG_LEVEL) come from service-kit. The README
 * reference, docs/configuration.md and the Helm values are generated from this file: the meaning, default and
 * format of each variable live here only. How values are read (environment, `.env`, `<NAME>_FILE` secrets, empty as
 * unset) is service-kit's `loadEnv`.
 */
import {
  bool,
  duration,
  hostPort,
  int,
  logLevelVariable,
  memoryReleaseVariable,
  meta,
  objectStorageVariables,
  ratio,
} from '@delta-writer/service-kit';
import { z } from 'zod';

const SCOPE_MAP_ERROR = 'must be a JSON object mapping each name to an array of table URI prefixes';

export const EnvSchema = z.object({
  // ── Identity and gRPC ───────────────────────────────────────────────────────────────────────────────────────
  COMMITTER_ID: meta(z.string().optional(), {
    description:
      'Name of this replica in logs, metrics and the lease (unique per process is ensured by a random suffix). Default: the host name.',
  }),
  COMMITTER_GRPC_HOST: meta(z.string().prefault('0.0.0.0'), {
    description: 'Address the gRPC server binds to.',
  }),
  COMMITTER_GRPC_PORT: meta(int(0, 65535).prefault('50051'), { description: 'Port of the gRPC server.' }),
  COMMITTER_ADVERTISED_ADDRESS: meta(hostPort().optional(), {
    description:
      'How ingestors reach this replica; stored in the lease so standbys can redirect ingestors to the leader. In Kubernetes use the pod IP or a per-pod DNS name. Default: `<host name>:<COMMITTER_GRPC_PORT>`.',
    format: 'host:port',
  }),
  COMMITTER_TOKEN: meta(z.string().min(16, { error: 'must be at least 16 characters' }).optional(), {
    description:
      'Shared bearer token ingestors must send (`authorization: Bearer …`); it may commit to and read every table under the table root. The committer does not start without authentication: set this, COMMITTER_TOKENS, or mutual TLS (COMMITTER_TLS_CLIENT_CA_FILE), or explicitly COMMITTER_INSECURE=true.',
    secret: true,
  }),
  COMMITTER_TOKEN_PREVIOUS: meta(z.string().min(16, { error: 'must be at least 16 characters' }).optional(), {
    description: 'A second accepted token, for rotating COMMITTER_TOKEN without downtime.',
    secret: true,
  }),
  COMMITTER_TOKENS: meta(z.string().refine(isScopeMapJson, { error: SCOPE_MAP_ERROR }).optional(), {
    description:
      'Scoped tokens, as a JSON object token → table URI prefixes, e.g. `{"<token of team A>":["s3://lake/delta/shop/"]}`: a caller with that token may commit to and read only tables under those prefixes (matched at a `/` boundary); any other table is refused PERMISSION_DENIED. Tokens are at least 16 characters; prefixes must lie under the table root. Works beside COMMITTER_TOKEN (which may touch every table). Logs name a token as `token:<first 8 hex digits of its SHA-256>`.',
    format: 'JSON',
    secret: true,
  }),
  COMMITTER_CLIENT_SCOPES: meta(z.string().refine(isScopeMapJson, { error: SCOPE_MAP_ERROR }).optional(), {
    description:
      'Mutual TLS: table URI prefixes per client certificate identity, as a JSON object, e.g. `{"CN=ingestor-shop":["s3://lake/delta/shop/"],"URI:spiffe://cluster/ns/data/sa/ingestor":["s3://lake/delta/"]}` (keys: `CN=<common name>` or a subject alternative name as `DNS:…`, `URI:…`, `IP Address:…`). A certificate matching no key is refused UNAUTHENTICATED. Unset: every certificate the client CA signed may touch every table. Used only when no token is configured (with tokens, the token decides).',
    format: 'JSON',
  }),
  COMMITTER_INSECURE: meta(bool().prefault('false'), {
    description:
      'Run without authentication when no token or mutual TLS is configured: any caller that reaches the gRPC port may commit to and read every table. Only for a closed test network; a warning is logged every minute and `deltawriter_committer_insecure` is 1.',
    format: 'boolean',
  }),
  COMMITTER_TLS_CERT_FILE: meta(z.string().optional(), {
    description: 'PEM certificate chain of the gRPC server; with COMMITTER_TLS_KEY_FILE it turns TLS on.',
    format: 'path',
  }),
  COMMITTER_TLS_KEY_FILE: meta(z.string().optional(), {
    description: 'PEM private key of the gRPC server certificate.',
    format: 'path',
  }),
  COMMITTER_TLS_CLIENT_CA_FILE: meta(z.string().optional(), {
    description:
      'PEM CA bundle; when set, ingestors must present a client certificate it signed (mutual TLS).',
    format: 'path',
  }),

  // ── Leadership (Redis lease) ────────────────────────────────────────────────────────────────────────────────
  REDIS_URL: meta(z.url({ protocol: /^rediss?$/, error: 'must be a redis:// or rediss:// URL' }), {
    description: 'Redis holding the leader lease (`rediss://` for TLS; credentials may be in the URL).',
    format: 'URL',
    secret: true,
  }),
  COMMITTER_LEASE_KEY: meta(z.string().prefault('deltawriter:committer'), {
    description:
      'Redis key prefix of the lease (`<prefix>:lease`, `<prefix>:term`); pipelines sharing one Redis need different prefixes.',
  }),
  COMMITTER_LEASE_TTL_MS: meta(int(1000).prefault('10000'), {
    description:
      'Lease time to live. A standby takes over at most TTL + retry interval after the leader dies (11 s by default).',
  }),
  COMMITTER_LEASE_RENEW_INTERVAL_MS: meta(int(100).prefault('2500'), {
    description:
      'How often the leader renews the lease; at most a third of the TTL, so two renewals can fail.',
  }),
  COMMITTER_LEASE_RETRY_INTERVAL_MS: meta(int(100).prefault('1000'), {
    description: 'How often a standby tries to take the lease.',
  }),

  // ── Tables and object storage ───────────────────────────────────────────────────────────────────────────────
  ...objectStorageVariables,
  DELTA_TABLE_BASE_PATH: meta(z.string().prefault('delta'), {
    description:
      'Key prefix of all tables in the bucket. Commits for table URIs outside `s3://<bucket>/<base>/` are refused.',
  }),

  // ── Group commit ────────────────────────────────────────────────────────────────────────────────────────────
  COMMITTER_GROUP_COMMIT_MAX_WAIT_MS: meta(int(0, 60_000).prefault('100'), {
    description:
      'How long the first manifest of a batch waits for more manifests of the same table before the batch is committed.',
  }),
  COMMITTER_GROUP_COMMIT_MAX_MANIFESTS: meta(int(1).prefault('100'), {
    description: 'Most manifests in one Delta commit.',
  }),
  COMMITTER_GROUP_COMMIT_MAX_FILES: meta(int(1).prefault('5000'), {
    description: 'Most data files in one Delta commit (a single larger manifest still commits alone).',
  }),
  COMMITTER_MAX_CONCURRENT_TABLES: meta(int(1, 1024).prefault('8'), {
    description:
      'How many tables commit at the same time (each table commits one batch at a time, in order).',
  }),
  COMMITTER_MAX_QUEUED_MANIFESTS: meta(int(1).prefault('10000'), {
    description: 'Manifests waiting across all tables beyond which new ones are refused with RETRY_LATER.',
  }),

  // ── Tables ──────────────────────────────────────────────────────────────────────────────────────────────────
  COMMITTER_TYPE_WIDENING: meta(z.enum(['promote', 'feature', 'off']).prefault('promote'), {
    description:
      'How numeric columns may widen. `promote`: new columns are created at the widest type of their kind (byte/short/integer → long, float → double) and files with narrower types are accepted, so no column ever changes type and delta-rs and Spark both read the table. `feature`: Delta `typeWidening` (a column changes integer → long, → double, … when files need it; Spark reads it, delta-rs 1.x cannot). `off`: file types must equal the table types.',
  }),
  COMMITTER_TABLE_PROPERTIES: meta(
    z.string().refine(isStringRecordJson, { error: 'must be a JSON object of string values' }).optional(),
    {
      description:
        'Delta table properties of new tables, as a JSON object, e.g. `{"delta.logRetentionDuration":"interval 30 days"}`. `delta.checkpointInterval` is set from COMMITTER_CHECKPOINT_INTERVAL.',
      format: 'JSON',
    },
  ),
  COMMITTER_MAX_OFFSET_GAP: meta(int(0).prefault('1000000'), {
    description:
      "Most offsets one manifest may move its partitions forward beyond the rows of its files: an acknowledged gap (records Kafka deleted) plus records that left no row (dead-lettered, tombstones, updates collapsed in a mirror table, transaction markers, compacted-away offsets). A manifest over it is refused INVALID_REQUEST naming this setting, never committed: a table's offsets cannot be pushed ahead of its data by a bug or a hostile client. Raise it for a topic whose offsets legitimately jump further (a long retention loss, heavy compaction).",
  }),
  COMMITTER_MAX_SCHEMA_COLUMNS: meta(int(1).prefault('10000'), {
    description:
      'Most columns a table schema may have (every field at every nesting level counted); a manifest whose schema would take a table past it is refused SCHEMA_INCOMPATIBLE.',
  }),
  COMMITTER_MAX_SCHEMA_DEPTH: meta(int(1, 1000).prefault('100'), {
    description:
      'Deepest nesting of structs, arrays and maps a table schema may have (a top-level column is depth 1); deeper is refused SCHEMA_INCOMPATIBLE. 100 matches MongoDB and bson-arrow.',
  }),
  COMMITTER_TABLE_CACHE_SIZE: meta(int(1).prefault('256'), {
    description:
      'How many table snapshots are kept in memory between commits (least recently used are dropped and read again when needed).',
  }),

  // ── Maintenance ─────────────────────────────────────────────────────────────────────────────────────────────
  COMMITTER_CHECKPOINT_INTERVAL: meta(int(0).prefault('10'), {
    description:
      'Write a checkpoint every this many versions of a table (in a worker thread, after the commit is acknowledged); 0 turns checkpoints off.',
  }),
  COMMITTER_CHECKPOINT_TIME_SHARE: meta(
    ratio()
      .refine((n) => n > 0, { error: 'must be above 0' })
      .prefault('0.1'),
    {
      description:
        "The most of the maintenance thread's time one table's checkpoints may take: after a checkpoint that took t, the table's next one waits until t × (1 / share − 1) has passed, even when COMMITTER_CHECKPOINT_INTERVAL versions are due. A checkpoint rewrites every live file and every tombstone still inside `delta.deletedFileRetentionDuration` — around a million for a compacted table after the retention's week at a few commits a second — so checkpointing every few versions would take the thread all its time; readers then replay a few more commits. 1 never waits.",
      format: 'number above 0, up to 1',
    },
  ),
  COMMITTER_COMPACTION_INTERVAL_MS: meta(int(0).prefault('300000'), {
    description:
      'How often the tables this leader commits to are checked for small files to compact; 0 turns compaction off.',
  }),
  COMMITTER_COMPACTION_TARGET_FILE_BYTES: meta(int(1024).prefault('67108864'), {
    description: 'Compaction bin-packs small files of one partition into files of about this size.',
  }),
  COMMITTER_COMPACTION_SMALL_FILE_BYTES: meta(int(1).prefault('16777216'), {
    description: 'Files smaller than this are candidates for compaction.',
  }),
  COMMITTER_COMPACTION_MIN_FILES: meta(int(2).prefault('10'), {
    description: 'A partition is compacted once it has at least this many small files.',
  }),
  COMMITTER_COMPACTION_MAX_BYTES_PER_RUN: meta(int(1024).prefault('1073741824'), {
    description:
      'Most input bytes one compaction run rewrites per table (the rest waits for the next run), so a run stays short.',
  }),
  COMMITTER_MAINTENANCE_INTERVAL_MS: meta(int(0).prefault('3600000'), {
    description:
      'How often log cleanup and vacuum run on the tables this leader commits to; 0 turns both off.',
  }),
  COMMITTER_MAINTENANCE_THREAD_MAX_BYTES: meta(int(16 * 1024 * 1024).prefault('268435456'), {
    description:
      "The maintenance worker thread ends after a task when it holds more than this (V8 heap in use, external memory and parquet-wasm's heap, which never shrinks), and the next task starts a new one: what a thread that only checkpoints holds grows with the checkpoints it has read. A compaction's thread always ends after it.",
  }),
  COMMITTER_VACUUM_RETENTION_HOURS: meta(int(1).optional(), {
    description:
      "Vacuum deletes unreferenced data files older than this. Default: the table's `delta.deletedFileRetentionDuration` (7 days); a value below it is refused.",
  }),
  COMMITTER_LOG_RETENTION_HOURS: meta(int(1).optional(), {
    description:
      "Log cleanup deletes commits and checkpoints older than this (keeping every version after it readable). Default: the table's `delta.logRetentionDuration` (30 days).",
  }),

  // ── Mirror tables (DELTA_WRITE_MODE=upsert|both on the ingestors) ─────────────────────────────────────────────
  DELTA_MIRROR_TOMBSTONE_RETENTION: meta(duration().prefault('7d'), {
    description:
      "How long a mirror table remembers a deleted key (its tombstone, with the delete's version), so that an older insert or update arriving later cannot bring the row back. Must exceed the longest time an old event can still arrive: the source topics' Kafka retention plus the longest connector replay. After it, maintenance forgets the tombstone and compaction drops its row.",
    format: 'duration (7d, 36h, 90m, 30s)',
  }),
  DELTA_MIRROR_COMPACT_DELETED_RATIO: meta(ratio().prefault('0.3'), {
    description:
      'Mirror-table compaction rewrites a data file once this share of its rows is deleted (by deletion vectors), folding the vector away; small files are compacted as in changelog tables. 1 leaves files with deleted rows alone unless they are small.',
    format: 'number 0–1',
  }),
  DELTA_MIRROR_VECTOR_CACHE_ROWS: meta(int(0).prefault('16000000'), {
    description:
      'Deleted row indexes of mirror-table data files kept in memory (4 bytes each), so a commit does not read back the deletion vectors of the files it touches; 0 reads them every time.',
  }),

  // ── Operations ──────────────────────────────────────────────────────────────────────────────────────────────
  ...logLevelVariable,
  ...memoryReleaseVariable,
  METRICS_PORT: meta(int(0, 65535).prefault('8002'), {
    description:
      'Port of the HTTP server with `/metrics` (Prometheus), `/healthz` and `/readyz` (200 only on the leader).',
  }),
  COMMITTER_SHUTDOWN_TIMEOUT_MS: meta(int(0).prefault('30000'), {
    description: 'On SIGTERM, how long in-flight commits may take before the process exits anyway.',
  }),
});

export type Env = z.output<typeof EnvSchema>;

function isScopeMapJson(text: string): boolean {
  try {
    const value: unknown = JSON.parse(text);
    return (
      typeof value === 'object' &&
      value !== null &&
      !Array.isArray(value) &&
      Object.values(value).every(
        (v) => Array.isArray(v) && v.length > 0 && v.every((p) => typeof p === 'string' && p !== ''),
      )
    );
  } catch {
    return false;
  }
}

function isStringRecordJson(text: string): boolean {
  try {
    const value: unknown = JSON.parse(text);
    return (
      typeof value === 'object' &&
      value !== null &&
      !Array.isArray(value) &&
      Object.values(value).every((v) => typeof v === 'string')
    );
  } catch {
    return false;
  }
}
