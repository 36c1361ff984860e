export { type CommitterDeps, type RunningCommitter, SERVER_VERSION, startCommitter } from './app.js';
export { type BatchResult, commitBatch } from './commit/batch.js';
export * from './commit/table-committer.js';
export { type CommitterConfig, ConfigError, loadConfig } from './config/load.js';
export { renderConfigReference } from './config/reference.js';
export { type Leadership, LeadershipLostError, Lease, type LeaseHolder } from './lease/lease.js';
export * from './plan/offsets.js';
export * from './plan/txn-app-id.js';
export { GroupCommitScheduler } from './schedule/scheduler.js';
