/** The data that flows through the ingest pipeline, from a fetched Kafka record to a committed manifest. */
import type { TableRoute } from '../routing.js';
import type { TableKind } from './builder.js';
import type { SealedRecords } from './records.js';

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
