/**
 * Turning buffered Kafka records into Parquet data files is the builder's job: decode (Debezium → change events),
 * build Arrow, split by partition, encode Parquet, compute stats. The pipeline depends only on this interface; the
 * production builder runs in the encoder worker threads.
 */
import type { ParquetCompression } from '../config/load.js';
import type { BufferedRecord } from './types.js';

export interface BuildRequest {
  topic: string;
  partition: number;
  records: readonly BufferedRecord[];
  partitionBy: readonly string[];
  compression: ParquetCompression;
  /** The table's current schema (cached from the committer), so a builder can conform to it; may be stale. */
  tableSchemaJson?: string;
}

export interface BuiltFile {
  parquet: Uint8Array;
  statsJson: string;
  numRecords: number;
  /** Delta partition values, one per partition column. */
  partitionValues: Record<string, string | null>;
}

export interface RecordFailure {
  /** Index into `BuildRequest.records`. */
  index: number;
  /** A stable reason code (bson-arrow's `FailureReason`), used as the dead-letter header. */
  reason: string;
  message: string;
}

export interface BuildResult {
  files: BuiltFile[];
  /** Delta schema of the files; '' when there are none. */
  deltaSchemaJson: string;
  /** Records that cannot become rows: they go to the dead-letter topic. */
  failures: RecordFailure[];
}

export interface FileBuilder {
  build(request: BuildRequest): Promise<BuildResult>;
  close(): Promise<void>;
}
