/**
 * What a scan reads, as a contract of its own: the table's layout and live files (a `Snapshot` is one), and the
 * files a scan plans. The scan modules depend on this alone, not on snapshot.ts, which creates scans — so reading
 * and the snapshot that starts it do not import each other.
 */
import type { AddFile } from '../actions.js';
import type { ColumnMappingMode } from '../schema/column-mapping.js';
import type { StructType } from '../schema/types.js';
import type { Storage } from '../storage/storage.js';
import type { Scalar } from './partition-values.js';

/** A table as a scan reads it. */
export interface ScanSource {
  readonly storage: Storage;
  /** The table's key prefix within `storage`. */
  readonly tablePath: string;
  readonly schema: StructType;
  readonly partitionColumns: string[];
  readonly columnMappingMode: ColumnMappingMode;
  /** The live data files. */
  files(): AddFile[];
}

/** A data file a scan plans to read. */
export interface ScanFile {
  add: AddFile;
  /** Storage key of the data file. */
  key: string;
  /** Typed partition values by logical column name. */
  partitionValues: Record<string, Scalar>;
}
