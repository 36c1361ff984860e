/**
 * Compaction of a mirror table: deletion vectors are folded back into clean files, and delete tombstones are
 * forgotten once their retention passed (docs/mirror-tables.md §5, §8). One run:
 *
 * 1. syncs the key index to the table, then purges tombstones committed before now − retention from it;
 * 2. picks files whose deleted share passed DELTA_MIRROR_COMPACT_DELETED_RATIO, and small files (`planMirrorCompaction`);
 * 3. per bin: asks the worker for the bin's tombstone rows, keeps those the index still points at (the key's newest
 *    row, within retention), and has the worker write one file: the live rows, then those tombstones — which the new
 *    file's own deletion vector deletes again, so a late older event still loses to them;
 * 4. commits `remove` (with the old vectors) + `add` with dataChange = false, declaring the files it read: a mirror
 *    commit that changed one of their vectors meanwhile makes the bin give up (its output is left to vacuum);
 * 5. folds the compaction into the index right away (the rows keep their versions and move to the new file), so the
 *    next ingest commit does not pay for it.
 */
import {
  type AddFile,
  canonicalPath,
  replaceDeletionVector,
  type Snapshot,
  writeDeletionVectors,
} from '@delta-writer/delta-log';
import type { MirrorConfig } from '../config/load.js';
import type { MirrorTables } from '../mirror/tables.js';
import type { MirrorWriter } from '../mirror/writer.js';
import { commitBin } from './commit-bin.js';
import { planMirrorCompaction } from './compaction-plan.js';
import type { JobContext, JobReport } from './jobs.js';

export interface MirrorMaintenance {
  readonly tables: MirrorTables;
  readonly writer: MirrorWriter;
  readonly config: MirrorConfig;
}

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
  await mirror.writer.sync(tablePath, snapshot, ctx.term);
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
    const add = out.add ? await withVector(snapshot, out.add, out.tombstoneRows) : undefined;
    const after = await commitBin(ctx, tablePath, snapshot, bin, {
      add,
      label: 'mirror compaction',
      provenance: { mirror: true },
    });
    if (after) {
      snapshot = after;
      report.committed++;
      report.filesRemoved += bin.files.length;
      report.filesAdded += add ? 1 : 0;
      report.rows += out.rows;
      report.tombstonesKept += out.tombstoneRows.length;
      report.deletedRowsDropped += bin.files.reduce((n, f) => n + (f.deletionVector?.cardinality ?? 0), 0);
      report.deletedRowsDropped -= out.tombstoneRows.length;
      ctx.metrics.compactionFiles.inc({ direction: 'removed' }, bin.files.length);
      ctx.metrics.compactionBytes.inc({ direction: 'removed' }, bin.bytes);
      if (add) {
        ctx.metrics.compactionFiles.inc({ direction: 'added' });
        ctx.metrics.compactionBytes.inc({ direction: 'added' }, add.size);
      }
      // The committer's cached snapshot learns the compaction too (the next ingest commit plans on it).
      snapshot = (await ctx.snapshot(tablePath, true)) ?? snapshot;
      await mirror.writer.sync(tablePath, snapshot, ctx.term);
    } else {
      report.gaveUp++;
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

/** The new file's add with its carried-over tombstones deleted by its own vector. */
async function withVector(snapshot: Snapshot, add: AddFile, rows: readonly number[]): Promise<AddFile> {
  if (rows.length === 0) return add;
  const [dv] = await writeDeletionVectors(snapshot.storage, snapshot.tablePath, [rows], {
    inlineMaxBytes: 64,
  });
  if (!dv) return add;
  const [, born] = replaceDeletionVector(add, dv, Date.now());
  return { ...(born as { add: AddFile }).add, dataChange: false };
}
