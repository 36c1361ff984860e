/**
 * When a leadership term starts, every mirror table Redis has an index for is synced to its table in the
 * background: a new leader would otherwise pay for a catch-up (or a rebuild, after a crash or a lost Redis) inside
 * the first commit of each table, while ingestors wait for its ack. The tables also join maintenance at once
 * (compaction folds their deletion vectors away), instead of after their first commit in this term.
 */
import type { Snapshot } from '@delta-writer/delta-log';
import type { Logger } from '@delta-writer/service-kit';
import type { Leadership } from '../lease/lease.js';
import type { MirrorPlanner } from './planner.js';
import type { MirrorTables } from './tables.js';

export interface TermStartDeps {
  readonly tables: MirrorTables;
  readonly planner: MirrorPlanner;
  readonly snapshot: (tablePath: string) => Promise<Snapshot | undefined>;
  /** Tells maintenance about the table. */
  readonly track?: (tablePath: string, snapshot: Snapshot) => void;
  readonly logger: Logger;
}

/** Syncs the indexes one table at a time (they compete with commits for Redis and the CPU); stops with the term. */
export async function syncMirrorTablesOnTermStart(
  deps: TermStartDeps,
  leadership: Leadership,
): Promise<void> {
  let tables: string[];
  try {
    tables = await deps.tables.known();
  } catch (error) {
    deps.logger.warn(
      { err: error },
      'mirror tables: cannot list the key indexes; each syncs at its next commit',
    );
    return;
  }
  for (const tablePath of tables) {
    if (leadership.signal.aborted) return;
    try {
      const snapshot = await deps.snapshot(tablePath);
      if (!snapshot) continue;
      deps.track?.(tablePath, snapshot);
      await deps.planner.sync(tablePath, snapshot, leadership.term);
    } catch (error) {
      if (leadership.signal.aborted) return;
      deps.logger.warn({ err: error, table: tablePath }, 'mirror table: index sync at term start failed');
    }
  }
}
