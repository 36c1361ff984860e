/**
 * Log cleanup (PROTOCOL "Metadata Cleanup"): drop commit, checkpoint and checksum files older than the
 * log retention (`delta.logRetentionDuration`, default 30 days) — but only those strictly before the newest
 * checkpoint that is itself older than the cutoff, so every version after the cutoff stays reconstructable.
 */
import { parseInterval } from '../checkpoint/write.js';
import { joinPath, LOG_DIR } from '../log/paths.js';
import { completeCheckpoints } from '../log/segment.js';
import { listLogFiles, type Snapshot } from '../snapshot.js';

/** Options of {@link cleanupLog}. */
export interface CleanupOptions {
  /** Override `delta.logRetentionDuration` (ms). */
  retentionMs?: number;
  /** Only report what would be deleted (default false). */
  dryRun?: boolean;
  now?: () => number;
}

/** What {@link cleanupLog} deleted (or would delete). */
export interface CleanupResult {
  /** Log files (keys) deleted, or that would be with `dryRun`. */
  files: string[];
  /** The checkpoint every remaining history starts from, if any files qualified. */
  retainedFromVersion?: number;
}

/**
 * Deletes log files older than the log retention that no version after the cutoff needs (see the module
 * comment).
 */
export async function cleanupLog(snapshot: Snapshot, options: CleanupOptions = {}): Promise<CleanupResult> {
  const retention =
    options.retentionMs ??
    parseInterval(snapshot.configuration['delta.logRetentionDuration']) ??
    30 * 86_400_000;
  const cutoff = (options.now ?? Date.now)() - retention;
  const files = await listLogFiles(snapshot.storage, snapshot.tablePath, 0);
  // The newest complete checkpoint at or below the snapshot whose files are all older than the cutoff.
  const anchor = completeCheckpoints(files).find(
    (c) => c.version <= snapshot.version && c.files.every((f) => f.lastModified <= cutoff),
  );
  if (!anchor) return { files: [] };
  const doomed = files
    .filter((f) => f.version < anchor.version && f.lastModified <= cutoff)
    .filter((f) => f.kind !== 'compacted' || f.toVersion < anchor.version)
    .map((f) => joinPath(snapshot.tablePath, LOG_DIR, f.name));
  if (!options.dryRun) {
    // Oldest first, so a crash mid-way never leaves a hole before a surviving commit.
    for (const key of doomed) await snapshot.storage.delete(key);
  }
  return { files: doomed, retainedFromVersion: anchor.version };
}
