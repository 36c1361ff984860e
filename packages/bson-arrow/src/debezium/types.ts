import type { BsonDocument, BsonValue } from '../bson/values.js';
import type { FailureReason } from '../errors.js';

/** One Kafka record, as the ingestor's consumer hands it over. */
export interface KafkaRecord {
  topic: string;
  partition: number;
  /** Kafka offsets are int64; kafkajs gives them as decimal strings. */
  offset: string | bigint | number;
  /** Record timestamp, epoch ms (kafkajs: decimal string). */
  timestamp?: string | number | null;
  key: Uint8Array | string | null;
  value: Uint8Array | string | null;
  headers?: Record<string, unknown>;
}

export interface RecordPosition {
  topic: string;
  partition: number;
  offset: bigint;
  timestampMs: number | null;
}

export type Op = 'c' | 'u' | 'd' | 'r' | 't';

/**
 * A position in the source's change order, comparable across events of one source: MongoDB
 * `[source.ts_ms, ord]` (exactly the oplog clusterTime `[t·1000, i]` up to Debezium 3.3; from 3.4 on,
 * `ts_ms` is the oplog wall time), PostgreSQL `[lastCommitLsn ?? lsn, lsn]`, MySQL `[binlog file number,
 * pos, row]`. `text` is the same position as fixed-width decimal parts joined by `.`, so plain string
 * comparison orders it (the form stored in `_cdc_seq`).
 */
export interface SourceSequence {
  parts: bigint[];
  text: string;
}

/** MongoDB `updateDescription` of a change-stream update, kept whole so that no update is lost. */
export interface MongoPatch {
  /** `updatedFields`: keys are dotted paths (`a.b.2`), values decoded Extended JSON. */
  set: BsonDocument;
  /** `removedFields`: dotted paths. */
  unset: string[];
  truncatedArrays: { field: string; size: number }[];
}

export interface SourceInfo {
  connector: string;
  name: string | null;
  db: string | null;
  /** MongoDB collection, or relational `schema.table` (MySQL: the table). */
  collection: string | null;
  snapshot: string | null;
  version: string | null;
  txId: string | null;
}

export interface ChangeEvent {
  kind: 'change';
  op: Op;
  connector: 'mongodb' | 'relational';
  source: SourceInfo;
  /** The document key: MongoDB `{_id: …}`, relational `{pk1: …, pk2: …}`; null when the table has none. */
  key: BsonDocument | null;
  /** Canonical Extended JSON of the key's value(s): equal keys ⇔ equal strings. Hash or compare this. */
  keyCanonical: string | null;
  /** Full document after the change (`c`, `r`, replace / lookup `u`). */
  after: BsonDocument | null;
  /** Pre-image (MongoDB pre/post images, PostgreSQL REPLICA IDENTITY) when the source sent one. */
  before: BsonDocument | null;
  /** MongoDB partial update (`updateDescription`), present even when `after` is also there. */
  patch: MongoPatch | null;
  /** Relational columns whose value was not sent (unchanged TOAST): absent from `after`, not null. */
  unavailable: string[];
  tsMs: number | null;
  sourceTsMs: number | null;
  seq: SourceSequence;
  record: RecordPosition;
}

/** A Kafka record with a null value: log compaction's delete marker that follows each delete. */
export interface Tombstone {
  kind: 'tombstone';
  key: BsonDocument | null;
  keyCanonical: string | null;
  record: RecordPosition;
}

/** A well-formed record that carries no row change (heartbeats, transaction markers, logical messages). */
export interface Ignored {
  kind: 'ignored';
  reason: 'heartbeat' | 'transaction_marker' | 'logical_message' | 'schema_change';
  record: RecordPosition;
}

export interface DecodeFailure {
  kind: 'failure';
  reason: FailureReason;
  message: string;
  record: RecordPosition;
}

export type DecodeResult = ChangeEvent | Tombstone | Ignored | DecodeFailure;

export type { BsonValue };
