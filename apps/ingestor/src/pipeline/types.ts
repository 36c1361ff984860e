/** The data that flows through the ingest pipeline, from a fetched Kafka record to a committed manifest. */
import type { TableRoute } from '../routing.js';

/** A changelog table takes every event; a mirror table one row per document key (docs/mirror-tables.md). */
export type TableKind = 'changelog' | 'mirror';

export interface TopicPartition {
  topic: string;
  partition: number;
}

/** Kafka topic names use only `[a-zA-Z0-9._-]`, so `topic:partition` is unambiguous. */
export const tpKey = (topic: string, partition: number): string => `${topic}:${partition}`;

export type RecordHeaders = Record<string, Buffer | string | (Buffer | string)[] | undefined>;

/** A Kafka record as an object: one kept out of the slab (rejected), or one read back from it (`records.ts`). */
export interface BufferedRecord {
  offset: bigint;
  timestampMs: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeaders;
  /** What the record costs in memory, for flush thresholds and the memory budget. */
  bytes: number;
}

/** A partition's records, sealed for building: a byte slab with index arrays (made and read in `records.ts`). */
export interface SealedRecords {
  readonly count: number;
  /** The keys and values; `bounds` are positions in it. Shared memory. */
  readonly bytes: Uint8Array;
  /** `[keyStart, keyEnd, valueStart, valueEnd]` per record; a start of -1 means null. */
  readonly bounds: Int32Array;
  readonly offsets: BigInt64Array;
  /** Epoch ms. */
  readonly timestamps: Float64Array;
  /** The headers of the records that have any, by index (Debezium records usually have none). */
  readonly headers: ReadonlyMap<number, RecordHeaders>;
  readonly newestTimestampMs: number;
  /** Record `i` as an object whose key and value are views into the slab. */
  record(i: number): BufferedRecord;
  /** Key and value bytes of record `i` plus the per-record overhead (what the memory budget counts). */
  sizeOf(i: number): number;
}

/** A contiguous range of one partition: `first` is the position the range starts at, `last` the last record. */
export interface OffsetRange {
  first: bigint;
  last: bigint;
  /** Offsets between the committed position and `first` are gone from Kafka (retention); see SourceRange. */
  gapAcknowledged?: boolean;
}

/** A record that will not reach a data file, and why (its DLQ headers). */
export interface Rejection {
  record: BufferedRecord;
  reason: string;
  message: string;
}

/** A table a partition's records go to: a changelog table, a mirror table (DELTA_WRITE_MODE both: one of each). */
export interface Target {
  /** The table's URI: one commit queue per target. */
  key: string;
  kind: TableKind;
  route: TableRoute;
}

/** The part of a sealed batch one target takes: the table may already hold its first records (catch-up). */
export interface TargetBatch {
  target: Target;
  /** The range this target commits; ends where the batch ends. */
  range: OffsetRange;
  /** Index of the first of the batch's records inside `range`. */
  fromIndex: number;
}

/** One partition's buffer, closed for appends and on its way to a data file. */
export interface SealedBatch extends TopicPartition {
  route: TableRoute;
  /** The ownership epoch of the partition when sealed; a batch from an older epoch is never committed. */
  epoch: number;
  range: OffsetRange;
  /** Records to decode and write. */
  records: SealedRecords;
  /** Records already known to be poison (over the size limit). */
  rejected: Rejection[];
  bytes: number;
  sealedAt: number;
  /** The tables this batch goes to (set when sealed; empty only in tests that never commit it). */
  targets: TargetBatch[];
}
