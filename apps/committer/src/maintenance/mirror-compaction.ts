/**
 * Compaction of a mirror table: deletion vectors are folded back into clean files, and delete tombstones are
 * forgotten once their retention passed (docs/mirror-tables.md §5, §8). One run:
 *
 * 1. syncs the key index to the table, then purges tombstones committed before now − retention from it;
 * 2. picks files whose deleted share passed DELTA_MIRROR_COMPACT_DELETED_RATIO, and small files (`planMirrorCompaction`);
 * 3. per bin: asks the worker for the bin's tombstone rows, keeps those the index still points at (the key's newest
 *    row, within retention), and has the worker write one file: the live rows, then those tombstones — which the new
 *    file's own deletion vector deletes again, so a late older event still loses to them;
 * 4. commits `remove` + `add` with dataChange = false under the table's lock, so no mirror commit interleaves; rows
 *    that mirror commits deleted during the rewrite are deleted in the new file by its vector (`commitMirrorBin`);
 * 5. folds the compaction into the index before releasing the lock (the rows keep their versions and move to the
 *    new file), so the next ingest commit does not pay for it.
 */
import { type AddFile, canonicalPath, decodePath, type Snapshot } from '@delta-writer/delta-log';
import { planMirrorCompaction } from './compaction-plan.js';
import type { JobContext, JobReport, MirrorMaintenance } from './context.js';
import { commitMirrorBin } from './mirror-bin-commit.js';

/** Tombstones purged per index write (each purge is one fenced script call). */
const PURGE_CHUNK = 5_000;

export async function runMirrorCompaction(
  ctx: JobContext,
  mirror: MirrorMaintenance,
  tablePath: string,
  start: Snapshot,
): Promise<JobReport> {
  let snapshot = start;
  const now = Date.now();
  const cutoff = now - mirror.config.tombstoneRetentionMs;
  const index = mirror.tables.index(tablePath);
  // The snapshot the index is synced to is read under the table's lock: one read before it (`start`) can be older
  // than the index, mirror commits having gone on meanwhile, and syncing the index to an older snapshot rebuilt it
  // from every live file on the main thread — 700 files and +150 MiB of parquet-wasm heap kept for good, twice in
  // a 30 min soak (e2e/results/2026-12-07.md).
  snapshot = await mirror.planner.exclusive(tablePath, async (sync) => {
    const current = (await ctx.snapshot(tablePath, true)) ?? snapshot;
    await sync(current, ctx.term);
    return current;
  });
  const purged = await purgeTombstones(ctx, mirror, tablePath, cutoff);

  const bins = planMirrorCompaction(snapshot.files(), {
    targetFileBytes: ctx.config.compactionTargetFileBytes,
    smallFileBytes: ctx.config.compactionSmallFileBytes,
    minFiles: ctx.config.compactionMinFiles,
    maxBytesPerRun: ctx.config.compactionMaxBytesPerRun,
    deletedRatio: mirror.config.compactDeletedRatio,
  });
  const report = {
    purged,
    bins: bins.length,
    committed: 0,
    gaveUp: 0,
    filesRemoved: 0,
    filesAdded: 0,
    rows: 0,
    tombstonesKept: 0,
    deletedRowsDropped: 0,
    /** Rows mirror commits deleted while their bin was rewritten (carried onto the new files' vectors). */
    concurrentDeletes: 0,
    filesChangedMeanwhile: 0,
    /** The longest a bin's commit held the table's lock (ingest commits of the table wait meanwhile). */
    lockedMs: 0,
  };
  if (bins.length > 0) ctx.logger.info({ table: tablePath, bins: bins.length }, 'mirror compaction: started');
  for (const [i, bin] of bins.entries()) {
    ctx.signal.throwIfAborted();
    const task = {
      tablePath,
      version: snapshot.version,
      protocol: snapshot.protocol,
      metadata: snapshot.metadata,
      files: bin.files,
    };
    const found = await ctx.pool.mirrorTombstones(task);
    const entries = await index.lookup([...new Set(found.tombstones.flat().map(([, key]) => key))]);
    const keep = found.tombstones.map((rows, f) => {
      const path = canonicalPath((bin.files[f] as AddFile).path);
      return rows
        .filter(([row, key]) => {
          const e = entries.get(key);
          return e?.deleted === true && e.row === row && canonicalPath(e.file) === path && e.at > cutoff;
        })
        .map(([row]) => row);
    });
    const out = await ctx.pool.compactMirror({ ...task, keep });
    // The vectors as the rewrite applied them: at commit time, rows deleted since are told apart from these.
    const scan = snapshot.scan();
    const read = await Promise.all(scan.filesOf(bin.files).map((f) => scan.deletedRows(f)));
    const committed = await commitMirrorBin(ctx, mirror, tablePath, { bin, out, read });
    if (committed) {
      report.lockedMs = Math.max(report.lockedMs, committed.lockedMs);
      const { add } = committed;
      snapshot = committed.snapshot;
      report.committed++;
      report.filesRemoved += bin.files.length;
      report.filesAdded += add ? 1 : 0;
      report.rows += out.rows;
      report.tombstonesKept += out.tombstoneRows.length;
      report.concurrentDeletes += committed.concurrentDeletes;
      report.filesChangedMeanwhile += committed.filesChanged;
      report.deletedRowsDropped += bin.files.reduce((n, f) => n + (f.deletionVector?.cardinality ?? 0), 0);
      report.deletedRowsDropped -= out.tombstoneRows.length;
      ctx.metrics.compactionFiles.inc({ direction: 'removed' }, bin.files.length);
      ctx.metrics.compactionBytes.inc({ direction: 'removed' }, bin.bytes);
      if (add) {
        ctx.metrics.compactionFiles.inc({ direction: 'added' });
        ctx.metrics.compactionBytes.inc({ direction: 'added' }, add.size);
      }
    } else {
      report.gaveUp++;
      if (out.add) await ctx.storage.delete(`${tablePath}/${decodePath(out.add.path)}`);
    }
    ctx.metrics.maintenanceProgress.set({ kind: 'compaction', table: tablePath }, (i + 1) / bins.length);
  }
  return report;
}

/** Forgets tombstones committed before `cutoff`, re-checked under the table's lock (a commit may have revived the key). */
async function purgeTombstones(
  ctx: JobContext,
  mirror: MirrorMaintenance,
  tablePath: string,
  cutoff: number,
): Promise<number> {
  const index = mirror.tables.index(tablePath);
  let purged = 0;
  for (;;) {
    ctx.signal.throwIfAborted();
    const n = await mirror.tables.exclusive(tablePath, async () => {
      const candidates = await index.expiredTombstones(cutoff, PURGE_CHUNK);
      if (candidates.length === 0) return 0;
      const state = await index.state();
      if (!state || state.pending) return 0;
      const current = await index.lookup(candidates);
      const expired = candidates.filter((k) => {
        const e = current.get(k);
        return e === undefined || (e.deleted && e.at <= cutoff);
      });
      await index.apply(
        { set: new Map(), remove: expired },
        { tableId: state.tableId, from: state.version, to: state.version, term: ctx.term },
      );
      return expired.length;
    });
    purged += n;
    ctx.metrics.mirrorTombstonesPurged.inc(n);
    if (n < PURGE_CHUNK) return purged;
  }
}
