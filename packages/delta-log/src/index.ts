/**
 * @delta-writer/delta-log — a Delta Lake transaction-log library.
 *
 * Layers, from pure to I/O:
 * - the action model (`Action`, `AddFile`, `Metadata`, ...) and its NDJSON codec;
 * - log layout and replay (`buildLogSegment`, `TableState`), `_last_checkpoint` handling;
 * - `Storage` with `FsStorage` and `S3Storage` implementations (atomic put-if-absent on both).
 */
export * from './actions.js';
export * from './errors.js';
export {
  type LastCheckpointInfo,
  lastCheckpointChecksum,
  parseLastCheckpoint,
  serializeLastCheckpoint,
} from './log/last-checkpoint.js';
export {
  classicCheckpointFileName,
  commitFileName,
  LAST_CHECKPOINT,
  LOG_DIR,
  type LogFile,
  parseLogFileName,
} from './log/paths.js';
export { canonicalPath, decodePath, fileKey, TableState } from './log/replay.js';
export { buildLogSegment, type CheckpointRef, type LogSegment } from './log/segment.js';
export { FsStorage } from './storage/fs.js';
export { type RetryPolicy, S3Storage, type S3StorageOptions } from './storage/s3.js';
export type { ByteRange, FileMeta, ListOptions, Storage } from './storage/storage.js';
export { storageForUri } from './storage/uri.js';
