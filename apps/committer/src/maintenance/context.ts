/**
 * What a maintenance run is given and what it gives back. It lives apart from the runs themselves (jobs.ts) and
 * from the helpers they share (commit-bin.ts, mirror-compaction.ts, mirror-bin-commit.ts), so that each of those
 * depends on this contract alone and none of them imports another back.
 */
import type { Snapshot, Storage } from '@delta-writer/delta-log';
import type { Logger } from '@delta-writer/service-kit';
import type { MaintenanceConfig, MirrorConfig } from '../config/load.js';
import type { MirrorPlanner } from '../mirror/planner.js';
import type { MirrorTables } from '../mirror/tables.js';
import type { Metrics } from '../ops/metrics.js';
import type { MaintenancePool } from './pool.js';

export type JobKind = 'checkpoint' | 'compaction' | 'cleanup' | 'vacuum';

/** What a run did, for its log line. */
export type JobReport = Record<string, unknown>;

/** Mirror tables (key indexes): their compaction folds deletion vectors away and purges tombstones. */
export interface MirrorMaintenance {
  readonly tables: MirrorTables;
  readonly planner: MirrorPlanner;
  readonly config: MirrorConfig;
}

export interface JobContext {
  /** Fenced: writes fail once `signal` aborts. */
  readonly storage: Storage;
  readonly snapshot: (tablePath: string, fresh: boolean) => Promise<Snapshot | undefined>;
  readonly pool: MaintenancePool;
  readonly config: MaintenanceConfig;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Aborted when leadership ends or the committer stops. */
  readonly signal: AbortSignal;
  readonly term: number;
  readonly mirror?: MirrorMaintenance;
}
