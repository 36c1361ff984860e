/**
 * The ingestor's configuration: one environment variable per setting. The names of the original service
 * (KAFKA_*, MINIO_*, DELTA_*, LOG_LEVEL, METRICS_PORT) are kept so existing deployments carry over; the rest are what
 * this design adds. The README's configuration reference is generated from this schema (`pnpm docs:config`), so the
 * description, default and type of each variable live here and nowhere else.
 *
 * Every value arrives as a string; each field parses its own string with service-kit's parsers, and the variables
 * both apps read (MINIO_*, LOG_LEVEL) come from service-kit, defined once. How values are read (environment, `.env`,
 * `<NAME>_FILE` secrets, an empty value as unset) is service-kit's `loadEnv`.
 */
import {
  bool,
  bytes,
  int,
  list,
  logLevelVariable,
  memoryReleaseVariable,
  meta,
  objectStorageVariables,
} from '@delta-writer/service-kit';
import { z } from 'zod';

/** Kafka's `retention.ms`: a positive number of milliseconds, or -1 for no time limit. */
const retentionMs = () =>
  z
    .string()
    .regex(/^(-1|[1-9]\d*)$/, { error: 'must be a positive number of milliseconds, or -1 (keep forever)' })
    .transform(Number)
    .pipe(z.number().int().max(Number.MAX_SAFE_INTEGER, { error: 'is too large' }));

/** Java's `subscribe(Pattern)` matches the whole topic name; users of the original service expect the same. */
const topicPattern = () =>
  z.string().transform((s, ctx) => {
    try {
      return new RegExp(`^(?:${s})$`);
    } catch (e) {
      ctx.addIssue({
        code: 'custom',
        message: `is not a valid regular expression (${(e as Error).message})`,
      });
      return z.NEVER;
    }
  });

/** `topic=table/path` pairs, comma separated: an override of the default topic → table routing. */
const routeMap = () =>
  z.string().transform((s, ctx) => {
    const routes: Record<string, string> = {};
    for (const pair of s.split(',')) {
      if (pair.trim() === '') continue;
      const eq = pair.indexOf('=');
      const topic = pair.slice(0, eq).trim();
      const table = pair.slice(eq + 1).trim();
      if (eq < 0 || topic === '' || table === '') {
        ctx.addIssue({ code: 'custom', message: `expects topic=table pairs, got "${pair.trim()}"` });
        return z.NEVER;
      }
      routes[topic] = table;
    }
    return routes;
  });

export const EnvSchema = z.object({
  // ── Kafka ────────────────────────────────────────────────────────────────────────────────────────────────
  KAFKA_BOOTSTRAP_SERVERS: meta(
    list().pipe(z.array(z.string()).min(1, { error: 'needs at least one host:port' })),
    {
      description: 'Kafka brokers, comma separated `host:port`.',
      format: 'host:port[,host:port…]',
    },
  ),
  KAFKA_CONSUMER_GROUP: meta(z.string().prefault('delta-writer'), {
    description:
      'Consumer group of all ingestors of one deployment. Committed offsets in Delta are kept per group.',
  }),
  KAFKA_TOPIC_PATTERN: meta(topicPattern().prefault('mongodb.*'), {
    description:
      'Regular expression a topic name must match as a whole (like Java `subscribe(Pattern)`). Topics created later are picked up by a periodic metadata check.',
    format: 'regex',
  }),
  KAFKA_AUTO_OFFSET_RESET: meta(z.enum(['earliest', 'latest']).prefault('earliest'), {
    description:
      'Where to start a partition that neither the Delta table nor the consumer group has an offset for.',
  }),
  KAFKA_MAX_POLL_RECORDS: meta(int(1).prefault('500'), {
    description:
      'Records handled per step of a fetched batch; between steps the consumer heartbeats and checks for rebalances.',
  }),
  KAFKA_CLIENT_ID: meta(z.string().prefault('delta-writer-ingestor'), { description: 'Kafka client id.' }),
  KAFKA_SSL: meta(bool().prefault('false'), { description: 'Connect to Kafka with TLS.', format: 'boolean' }),
  KAFKA_SSL_CA_FILE: meta(z.string().optional(), {
    description: 'PEM file of the CA that signed the brokers’ certificates (default: the system CAs).',
    format: 'path',
  }),
  KAFKA_SASL_MECHANISM: meta(z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).optional(), {
    description: 'SASL mechanism; unset disables SASL.',
  }),
  KAFKA_SASL_USERNAME: meta(z.string().optional(), { description: 'SASL user name.' }),
  KAFKA_SASL_PASSWORD: meta(z.string().optional(), { description: 'SASL password.', secret: true }),
  KAFKA_DLQ_TOPIC: meta(z.string().prefault('delta-writer.dlq'), {
    description:
      'Dead-letter topic for records that cannot be written (undecodable, over the limits, refused by the table schema).',
  }),
  KAFKA_DLQ_CREATE: meta(bool().prefault('true'), {
    description:
      'Create the dead-letter topic at start-up when it does not exist, with the partitions, replication factor and retention below. With false (topics managed elsewhere), a missing topic stops the start-up with one line saying how to create it.',
    format: 'boolean',
  }),
  KAFKA_DLQ_PARTITIONS: meta(int(1, 10000).prefault('3'), {
    description:
      'Partitions of the dead-letter topic when the ingestor creates it (dead letters are few: partitions only spread them over brokers).',
  }),
  KAFKA_DLQ_REPLICATION_FACTOR: meta(int(0, 32767).prefault('0'), {
    description:
      "Replication factor of the dead-letter topic when the ingestor creates it; 0 takes the brokers' `default.replication.factor`.",
  }),
  KAFKA_DLQ_RETENTION_MS: meta(retentionMs().prefault('2592000000'), {
    description:
      '`retention.ms` of the dead-letter topic when the ingestor creates it: 30 days by default, -1 keeps dead letters forever. They must outlive the time it takes to notice and replay them (docs/runbook.md, "Replaying the dead-letter topic").',
    format: 'milliseconds, or -1',
  }),
  KAFKA_DLQ_MAX_ATTEMPTS: meta(int(1, 1000).prefault('20'), {
    description:
      'Attempts of one dead-letter write (full-jitter backoff from 0.2 s doubling up to 10 s: 20 attempts take up to ≈ 2.5 min, about 70 s on average) before the partition stops: it is paused, its records stay in Kafka uncommitted, `dw_ingestor_partitions_stopped` counts it and DeltaWriterPartitionStopped fires (docs/runbook.md). The next rebalance or restart resumes it from the table.',
  }),
  KAFKA_SESSION_TIMEOUT_MS: meta(int(6000, 300000).prefault('30000'), {
    description: 'Consumer group session timeout.',
  }),

  // ── Object storage ───────────────────────────────────────────────────────────────────────────────────────
  ...objectStorageVariables,

  // ── Delta tables ─────────────────────────────────────────────────────────────────────────────────────────
  DELTA_TABLE_BASE_PATH: meta(z.string().prefault('delta'), {
    description: 'Key prefix of all tables in the bucket; a table lives at `<base>/<db>/<collection>`.',
  }),
  DELTA_TABLE_ROUTES: meta(routeMap().prefault(''), {
    description:
      'Overrides of the topic → table routing: `topic=path` pairs, comma separated; the path is relative to the base path.',
    format: 'topic=path[,…]',
  }),
  DELTA_WRITE_MODE: meta(z.enum(['append', 'upsert', 'both']).prefault('append'), {
    description:
      '`append` writes a changelog table (every event, with CDC columns). `upsert` writes a mirror table: one row per document key with its latest state, deletes remove it, older events never replace newer ones (docs/mirror-tables.md). `both` writes the mirror at `<table>` and the changelog at `<table>_changelog`. A table keeps the mode it was created with.',
  }),
  DELTA_MIRROR_PARTIAL_UPDATES: meta(z.enum(['skip', 'apply']).prefault('skip'), {
    description:
      'Mirror tables: what an update without the full document does. `skip` (for Debezium MongoDB `capture.mode` `*_update_full*`) drops it (a looked-up document or a delete follows). `apply` (for `change_streams*`) applies its update description onto the document earlier in the batch or its pre-image; a batch where neither exists stops the partition with a message naming the Debezium setting to change. Must match the table (fixed when it is created).',
  }),
  DELTA_PARTITION_BY: meta(list().prefault(''), {
    description: 'Top-level columns to partition new tables by, comma separated; empty for none.',
    format: 'column[,column…]',
  }),
  DELTA_SCHEMA_CACHE_TTL: meta(int(0).prefault('300'), {
    description: 'Seconds a table schema read from the committer is reused before it is read again.',
  }),

  // ── Committer ────────────────────────────────────────────────────────────────────────────────────────────
  COMMITTER_ADDRESSES: meta(
    list().pipe(z.array(z.string()).min(1, { error: 'needs at least one host:port' })),
    {
      description: 'Committer replicas, comma separated `host:port`; the leader is found among them.',
      format: 'host:port[,host:port…]',
    },
  ),
  COMMITTER_TOKEN: meta(z.string().optional(), {
    description: 'Shared bearer token sent with every committer call.',
    secret: true,
  }),
  COMMITTER_TLS: meta(bool().prefault('false'), {
    description: 'Call the committer over TLS.',
    format: 'boolean',
  }),
  COMMITTER_TLS_CA_FILE: meta(z.string().optional(), {
    description: 'PEM CA for the committer.',
    format: 'path',
  }),
  COMMITTER_TLS_CERT_FILE: meta(z.string().optional(), {
    description:
      'PEM client certificate chain for mutual TLS (the committer has COMMITTER_TLS_CLIENT_CA_FILE); with COMMITTER_TLS_KEY_FILE.',
    format: 'path',
  }),
  COMMITTER_TLS_KEY_FILE: meta(z.string().optional(), {
    description: 'PEM private key of the client certificate.',
    format: 'path',
  }),
  COMMITTER_TLS_SERVER_NAME: meta(z.string().optional(), {
    description:
      "Name expected in the committer's certificate when it differs from the dialled host (e.g. dialling pod IPs).",
  }),
  COMMITTER_TIMEOUT_MS: meta(int(100).prefault('30000'), { description: 'Deadline of one committer call.' }),

  // ── Flushing and memory ──────────────────────────────────────────────────────────────────────────────────
  FLUSH_MAX_BYTES: meta(bytes().prefault('32MiB'), {
    description: 'Flush a partition buffer when its records reach this size (Kafka record bytes).',
    format: 'bytes',
  }),
  FLUSH_MAX_ROWS: meta(int(1).prefault('500000'), {
    description: 'Flush a partition buffer at this many records.',
  }),
  FLUSH_MAX_AGE_MS: meta(int(100).prefault('3000'), {
    description:
      'Flush a partition buffer this long after its first record. With upload and commit this gives ~5 s end to end.',
  }),
  FLUSH_BACKLOG_BYTES: meta(bytes({ zeroTurnsOff: true }).prefault('8MiB'), {
    description:
      'While a partition has more records waiting in Kafka (catching up after a restart, a burst), flush it when the next record would take it past this size instead of waiting for FLUSH_MAX_AGE_MS, so encoding, upload and commit overlap. The default matches ENCODER_CHUNK_BYTES: one encoder task, one data file per flush. 0 turns it off.',
    format: 'bytes',
  }),
  MEMORY_BUDGET_BYTES: meta(bytes().prefault('128MiB'), {
    description:
      'Budget for buffered and in-flight data. When reached, fetching pauses for the partitions holding data until flushes free memory.',
    format: 'bytes',
  }),
  MAX_RECORD_BYTES: meta(bytes().prefault('16MiB'), {
    description: 'Records larger than this go to the dead-letter topic.',
    format: 'bytes',
  }),
  MAX_DOCUMENT_FIELDS: meta(int(1, 1_000_000).prefault('10000'), {
    description:
      "Most named fields (all levels, documents inside arrays included) a record's document may have; each can become a column. A record over it goes to the dead-letter topic with reason `too_many_fields`.",
  }),
  MAX_DOCUMENT_DEPTH: meta(int(1, 1000).prefault('100'), {
    description:
      "Deepest nesting of documents and arrays in a record (100 is MongoDB's own limit); deeper goes to the dead-letter topic with reason `nesting_too_deep`.",
  }),
  MAX_BATCH_COLUMNS: meta(int(1, 1_000_000).prefault('10000'), {
    description:
      "Most distinct columns (struct fields at every level) one data file may have. A record whose row would take its batch past it goes to the dead-letter topic with reason `too_many_columns`; the batch goes on. Keep it at most the committer's COMMITTER_MAX_SCHEMA_COLUMNS.",
  }),
  PARQUET_COMPRESSION: meta(z.enum(['zstd', 'snappy', 'uncompressed']).prefault('zstd'), {
    description: 'Parquet codec (see "Parquet codec" in the README for the measurements behind the default).',
  }),
  ENCODER_THREADS: meta(int(1, 64).optional(), {
    description:
      'Worker threads that decode records and encode Parquet off the event loop. Default: one per CPU the process may use (os.availableParallelism() bounded by the cgroup CPU quota) less one for the event loop, at most as many as the memory (the cgroup limit, else the machine) fits beside MEMORY_BUDGET_BYTES at ENCODER_HEAP_LIMIT + 4 × ENCODER_CHUNK_BYTES each, and never fewer than one.',
    format: 'integer (unset: sized to the machine)',
  }),
  ENCODER_CHUNK_BYTES: meta(bytes().prefault('8MiB'), {
    description:
      'Records converted per encoder task (one data file each). A worker holds a few times this while encoding (the columns, their Arrow IPC copy, the Parquet file; ~10× in upsert/both mode, which decodes into change events), so it bounds memory per encoder thread.',
    format: 'bytes',
  }),
  ENCODER_HEAP_LIMIT: meta(bytes().prefault('128MiB'), {
    description:
      'V8 heap limit of each encoder thread. Keeps resident memory bounded; a chunk that needs more is split in half.',
    format: 'bytes',
  }),
  UPLOAD_PART_BYTES: meta(bytes().prefault('16MiB'), {
    description: 'Files above this size are uploaded in multipart parts of this size (minimum 5 MiB).',
    format: 'bytes',
  }),

  // ── Operating ────────────────────────────────────────────────────────────────────────────────────────────
  INGESTOR_ID: meta(z.string().optional(), {
    description:
      'This instance’s id in manifests and logs; defaults to the host name (the pod name in Kubernetes).',
  }),
  ...logLevelVariable,
  ...memoryReleaseVariable,
  METRICS_PORT: meta(int(1, 65535).prefault('8001'), {
    description: 'Port of `/metrics`, `/healthz` and `/readyz`.',
  }),
  SHUTDOWN_TIMEOUT_MS: meta(int(1000).prefault('25000'), {
    description: 'On SIGTERM: time allowed to flush, commit and leave the group before exiting anyway.',
  }),
});

export type Env = z.output<typeof EnvSchema>;
