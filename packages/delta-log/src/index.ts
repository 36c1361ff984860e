/**
 * @delta-writer/delta-log — a Delta Lake transaction-log library.
 *
 * Layers, from pure to I/O:
 * - the action model (`Action`, `AddFile`, `Metadata`, ...) and its NDJSON codec;
 * - log layout and replay (`buildLogSegment`, `TableState`), `_last_checkpoint` handling;
 * - schemas (`StructType`, `parseSchema`), table features and their read/write gates;
 * - `Storage` with `FsStorage` and `S3Storage` (atomic put-if-absent on both);
 * - `DeltaTable` / `Snapshot` / `Scan` for reading (time travel, checkpoints, deletion vectors, skipping).
 */

// action model
export * from './actions.js';
// checkpoints and maintenance
export {
  ActionColumn,
  CheckpointFiles,
  CheckpointTombstones,
  type FileEntry,
} from './checkpoint/columns.js';
export {
  type CheckpointContents,
  checkpointActionsFromParquet,
  checkpointContentsFromParquet,
  readCheckpoint,
  readCheckpointContents,
} from './checkpoint/read.js';
export {
  type CheckpointOptions,
  type CheckpointResult,
  checkpointActions,
  checkpointSchema,
  encodeCheckpoint,
  parseInterval,
  writeCheckpoint,
} from './checkpoint/write.js';
export * from './errors.js';
// table features
export {
  assertReadable,
  assertWritable,
  readerFeatures,
  SUPPORTED_READER_FEATURES,
  SUPPORTED_WRITER_FEATURES,
  writerFeatures,
} from './features.js';
export { FileEditor, FileSet } from './log/file-set.js';
export { splitFileKey } from './log/keys.js';
// log layout and replay
export {
  type LastCheckpointInfo,
  lastCheckpointChecksum,
  parseLastCheckpoint,
  serializeLastCheckpoint,
} from './log/last-checkpoint.js';
export { type BaseLayer, LayeredMap, type MapEditor } from './log/layered-map.js';
export {
  classicCheckpointFileName,
  commitFileName,
  LAST_CHECKPOINT,
  LOG_DIR,
  type LogFile,
  parseLogFileName,
} from './log/paths.js';
export { canonicalPath, decodePath, fileKey, StateBuilder, TableState } from './log/replay.js';
export { buildLogSegment, type CheckpointRef, type LogSegment } from './log/segment.js';
export { type CleanupOptions, type CleanupResult, cleanupLog } from './maintenance/cleanup.js';
export {
  type FileRepair,
  isSuspect,
  type RepairProgress,
  type RepairStatsOptions,
  type RepairStatsResult,
  repairStats,
  restatActions,
  type StatsProblem,
  statsProblems,
} from './maintenance/repair-stats.js';
export { type VacuumOptions, type VacuumResult, vacuum } from './maintenance/vacuum.js';
// Parquet (parquet-wasm) helpers
export { type ParquetWriteOptions, readParquet, writeParquet } from './parquet.js';
export {
  formatDecimal,
  parsePartitionValue,
  type Scalar,
  serializePartitionValue,
} from './scan/partition-values.js';
// reading
export type { ComparisonOp, Literal, Predicate } from './scan/predicate.js';
export { Scan, type ScanFile, type ScanOptions } from './scan/scan.js';
// schemas
export { arrowSchema, arrowType } from './schema/arrow.js';
export { type ColumnMappingMode, columnMappingMode, physicalName } from './schema/column-mapping.js';
export {
  type ArrayType,
  array,
  type DataType,
  type DecimalType,
  decimal,
  field,
  findField,
  type MapType,
  map,
  type PrimitiveTypeName,
  parseSchema,
  type StructField,
  type StructType,
  serializeSchema,
  serializeType,
  struct,
} from './schema/types.js';
export { Snapshot, type SnapshotLoadOptions } from './snapshot.js';
// storage
export { FsStorage } from './storage/fs.js';
export { type RetryPolicy, S3Storage, type S3StorageOptions } from './storage/s3.js';
export type { ByteRange, FileMeta, ListOptions, Storage } from './storage/storage.js';
export { type OpenStorageOptions, storageForUri } from './storage/uri.js';
export { DeltaTable, type HistoryEntry } from './table.js';
export { JsonNumber, parseJson, setTopLevelMember, stringifyJson } from './util/json.js';
// writing
export {
  type CommitOptions,
  type CommitRequest,
  type CommitResult,
  commit,
  ENGINE_INFO,
} from './write/commit.js';
export { type CommitIntent, checkConflicts } from './write/conflict.js';
export { type CreateTableOptions, createTable, protocolFor } from './write/create.js';
export { escapePartitionPathSegment, type WriteDataFileOptions, writeDataFile } from './write/data-file.js';
export * from './write/deletion-vector.js';
export { type Evolution, type EvolveOptions, evolveSchema, isWidening } from './write/evolution.js';
export { type SchemaChangeOptions, schemaChange, withFeatures } from './write/schema-change.js';
export { collectStats, type StatsOptions, truncateMax, truncateMin } from './write/stats.js';
export { validateCommit } from './write/validate.js';
