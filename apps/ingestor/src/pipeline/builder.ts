/**
 * Turning buffered Kafka records into Parquet data files is the builder's job: decode (Debezium → change events),
 * build Arrow, split by partition, encode Parquet, compute stats. The pipeline depends only on this interface; the
 * production builder runs in the encoder worker threads.
 *
 * One build decodes a batch once and writes one set of files per output: a changelog table's rows (every event), a
 * mirror table's rows (one per document key, its final state; see build/mirror-rows.ts), or both (DELTA_WRITE_MODE
 * both). An output may start later in the batch than the records do (`fromIndex`: the table already has the
 * records before it).
 */
import type { ParquetCompression } from '../config/load.js';
import type { SealedRecords } from './records.js';

export type TableKind = 'changelog' | 'mirror';
export type PartialUpdatesMode = 'skip' | 'apply';

export interface BuildOutputRequest {
  kind: TableKind;
  /** Index of the first record of the batch that goes into this output. */
  fromIndex: number;
  /** The table's current schema (cached from the committer), so a builder can conform to it; may be stale. */
  tableSchemaJson?: string;
  /** The table's data-skipping properties (`delta.dataSkipping*`), which decide the files' statistics. */
  statsConfiguration?: Record<string, string>;
}

export interface BuildRequest {
  topic: string;
  partition: number;
  records: SealedRecords;
  partitionBy: readonly string[];
  compression: ParquetCompression;
  outputs: readonly BuildOutputRequest[];
  /** Mirror outputs: what a partial update (an update description without the document) does. */
  partialUpdates?: PartialUpdatesMode;
}

export interface BuiltFile {
  parquet: Uint8Array;
  statsJson: string;
  numRecords: number;
  /** Delta partition values, one per partition column. */
  partitionValues: Record<string, string | null>;
  /** Mirror outputs: the row block (Arrow IPC, `MirrorRows`) describing each row of the file. */
  mirrorRows?: Uint8Array;
}

export interface MirrorBuildStats {
  /** Events dropped as exact duplicates of another event of the batch. */
  duplicates: number;
  /** Events folded into a later event of the same key. */
  folded: number;
  /** Partial updates dropped under `skip`. */
  skipped: number;
}

export interface BuiltOutput {
  kind: TableKind;
  files: BuiltFile[];
  /** Delta schema of the files; '' when there are none. */
  deltaSchemaJson: string;
  mirror?: MirrorBuildStats;
  /**
   * Mirror outputs that cannot be written safely: why, naming the key and the setting to change. The output has no
   * files and must never be committed.
   */
  unsafe?: string;
}

export interface RecordFailure {
  /** Index into `BuildRequest.records`. */
  index: number;
  /** A stable reason code (bson-arrow's `FailureReason`), used as the dead-letter header. */
  reason: string;
  message: string;
}

export interface BuildResult {
  /** One per requested output, in the same order. */
  outputs: BuiltOutput[];
  /** Records that cannot become rows: they go to the dead-letter topic. */
  failures: RecordFailure[];
}

export interface FileBuilder {
  build(request: BuildRequest): Promise<BuildResult>;
  close(): Promise<void>;
}
