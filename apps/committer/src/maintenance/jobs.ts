/**
 * The maintenance runs, one table at a time: checkpoint, compaction, log cleanup, vacuum. CPU-heavy work goes to the
 * worker thread; every write runs on the main thread through the fenced storage, so a run stops writing the moment
 * leadership ends. Long runs (compaction, vacuum) report progress in logs and in the progress gauge.
 *
 * Compaction never gets in the way of ingest: it commits `remove` + `add` with dataChange = false and declares the
 * files it read. An ingest append that wins the race does not conflict with it (delta-log rebases the compaction
 * onto it); an ingest commit that loses the race to a compaction rebases the same way. Only a commit that removed
 * one of the same files makes the compaction give up that bin (its output file is deleted).
 */
import {
  cleanupLog,
  decodePath,
  putCheckpoint,
  Snapshot,
  type Storage,
  TableNotFoundError,
  vacuum,
} from '@delta-writer/delta-log';
import { MODE_PROPERTY } from '../commit/table-mode.js';
import { commitBin } from './commit-bin.js';
import { planCompaction } from './compaction-plan.js';
import type { JobContext, JobReport } from './context.js';
import { runMirrorCompaction } from './mirror-compaction.js';

export async function runCheckpoint(ctx: JobContext, tablePath: string): Promise<JobReport> {
  const latest = await ctx.snapshot(tablePath, true);
  if (!latest) return { skipped: 'no table' };
  // Encoded in the worker thread, written here through the fenced storage.
  const built = await ctx.pool.checkpoint({ tablePath, version: latest.version });
  const written = await putCheckpoint(ctx.storage, tablePath, built);
  return { version: written.version, actions: written.numActions, bytes: written.sizeInBytes };
}

export async function runCompaction(ctx: JobContext, tablePath: string): Promise<JobReport> {
  let snapshot = await ctx.snapshot(tablePath, true);
  if (!snapshot) return { skipped: 'no table' };
  if (snapshot.configuration[MODE_PROPERTY] === 'mirror') {
    if (!ctx.mirror) return { skipped: 'mirror table without mirror maintenance' };
    return runMirrorCompaction(ctx, ctx.mirror, tablePath, snapshot);
  }
  const bins = planCompaction(snapshot.files(), {
    targetFileBytes: ctx.config.compactionTargetFileBytes,
    smallFileBytes: ctx.config.compactionSmallFileBytes,
    minFiles: ctx.config.compactionMinFiles,
    maxBytesPerRun: ctx.config.compactionMaxBytesPerRun,
  });
  if (bins.length === 0) return { bins: 0 };
  const inputFiles = bins.reduce((n, b) => n + b.files.length, 0);
  const inputBytes = bins.reduce((n, b) => n + b.bytes, 0);
  ctx.logger.info({ table: tablePath, bins: bins.length, inputFiles, inputBytes }, 'compaction: started');
  const report = { bins: bins.length, committed: 0, gaveUp: 0, filesRemoved: 0, filesAdded: 0, rows: 0 };
  for (const [i, bin] of bins.entries()) {
    ctx.signal.throwIfAborted();
    const out = await ctx.pool.compact({
      tablePath,
      version: snapshot.version,
      protocol: snapshot.protocol,
      metadata: snapshot.metadata,
      files: bin.files,
    });
    const committed = await commitBin(ctx, tablePath, snapshot, bin, { add: out.add, label: 'compaction' });
    if (committed) {
      snapshot = committed;
      report.committed++;
      report.filesRemoved += bin.files.length;
      report.filesAdded++;
      report.rows += out.rows;
      ctx.metrics.compactionFiles.inc({ direction: 'removed' }, bin.files.length);
      ctx.metrics.compactionFiles.inc({ direction: 'added' });
      ctx.metrics.compactionBytes.inc({ direction: 'removed' }, bin.bytes);
      ctx.metrics.compactionBytes.inc({ direction: 'added' }, out.add.size);
    } else {
      report.gaveUp++;
      await ctx.storage.delete(`${tablePath}/${decodePath(out.add.path)}`);
    }
    ctx.metrics.maintenanceProgress.set({ kind: 'compaction', table: tablePath }, (i + 1) / bins.length);
    ctx.logger.info(
      { table: tablePath, bin: i + 1, of: bins.length, files: bin.files.length, committed: !!committed },
      'compaction: progress',
    );
  }
  return report;
}

export async function runCleanup(ctx: JobContext, tablePath: string): Promise<JobReport> {
  const snapshot = await ctx.snapshot(tablePath, true);
  if (!snapshot) return { skipped: 'no table' };
  const result = await cleanupLog(snapshot, {
    ...(ctx.config.logRetentionHours !== undefined
      ? { retentionMs: ctx.config.logRetentionHours * 3_600_000 }
      : {}),
  });
  ctx.metrics.logFilesDeleted.inc(result.files.length);
  return { deleted: result.files.length, retainedFromVersion: result.retainedFromVersion };
}

export async function runVacuum(ctx: JobContext, tablePath: string): Promise<JobReport> {
  // Its own snapshot, with the tombstones the cached ones leave out (delta-tables.ts); read, then let go.
  const snapshot = await loadWithTombstones(ctx.storage, tablePath);
  if (!snapshot) return { skipped: 'no table' };
  // Listing first (delta-log's dry run), then deleting here in chunks: fenced, abortable, with progress.
  const doomed = await vacuum(snapshot, {
    dryRun: true,
    ...(ctx.config.vacuumRetentionHours !== undefined
      ? { retentionHours: ctx.config.vacuumRetentionHours }
      : {}),
  });
  const chunk = 100;
  let deleted = 0;
  for (let i = 0; i < doomed.files.length; i += chunk) {
    ctx.signal.throwIfAborted();
    const keys = doomed.files.slice(i, i + chunk).map((rel) => `${tablePath}/${rel}`);
    await Promise.all(keys.map((key) => ctx.storage.delete(key)));
    deleted += keys.length;
    ctx.metrics.vacuumFiles.inc(keys.length);
    ctx.metrics.maintenanceProgress.set({ kind: 'vacuum', table: tablePath }, deleted / doomed.files.length);
    if (i + chunk < doomed.files.length && (i / chunk) % 10 === 9) {
      ctx.logger.info({ table: tablePath, deleted, of: doomed.files.length }, 'vacuum: progress');
    }
  }
  ctx.metrics.vacuumBytes.inc(doomed.bytes);
  return { deleted, bytes: doomed.bytes };
}

async function loadWithTombstones(storage: Storage, tablePath: string): Promise<Snapshot | undefined> {
  try {
    return await Snapshot.load(storage, tablePath);
  } catch (error) {
    if (error instanceof TableNotFoundError) return undefined;
    throw error;
  }
}
