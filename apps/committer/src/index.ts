export {
  type CommitterDeps,
  type Maintenance,
  type RunningCommitter,
  SERVER_VERSION,
  startCommitter,
} from './app.js';
export { type BatchResult, commitBatch } from './commit/batch.js';
export * from './commit/tables.js';
export { type CommitterConfig, ConfigError, loadConfig, type MaintenanceConfig } from './config/load.js';
export { addAction, type CommittedTable, DeltaTables } from './delta/delta-tables.js';
export { FencedStorage, runFenced, UnfencedWriteError } from './delta/fence.js';
export { createS3Storage, tablePathOf } from './delta/s3.js';
export { type Leadership, LeadershipLostError, Lease, type LeaseHolder } from './lease/lease.js';
export { type CompactionBin, type CompactionLimits, planCompaction } from './maintenance/compaction-plan.js';
export { Maintainer } from './maintenance/maintainer.js';
export * from './plan/offsets.js';
export * from './plan/txn-app-id.js';
export { GroupCommitScheduler } from './schedule/scheduler.js';
export { type ColumnConflict, mergeSchema, type WideningMode } from './schema/merge.js';
export { createDeltaDeps } from './wiring.js';
