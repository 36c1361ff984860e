/**
 * Committing one mirror compaction bin while mirror commits keep arriving (docs/mirror-tables.md §8).
 *
 * The rewrite (the worker thread: seconds for a large bin) runs outside the table's lock and reads each file with
 * the vector it had then. Meanwhile a mirror commit may delete more of those rows (a newer version of a key
 * replaced its row, or a delete). The bin's `remove` of the old (path, vector) then conflicts with that commit
 * (DELTA_CONCURRENT_DELETE_DELETE); giving up the bin, as compaction first did, meant that under steady load it
 * never finished. So the bin commits inside the table's lock — the one every mirror commit of this process holds
 * from planning to its index update — where nothing can move between what it reads and what it commits:
 *
 * 1. the fresh snapshot gives each bin file's current add (a file no longer live: give up; nothing but compaction
 *    removes a mirror table's files, and it runs one bin at a time);
 * 2. files whose vector grew since the rewrite read them: their newly deleted rows, as positions in the new file
 *    (`carriedDeletes`; the rewrite copied each file's live rows in order, so that is pure arithmetic);
 * 3. the new file is added with a vector of those positions plus the carried-over tombstones, and the bin's files
 *    are removed as they are now (their current vectors): the live rows are the same set, dataChange = false;
 * 4. the compaction is folded into the key index before the lock is released (rows keep their versions and move to
 *    the new file; rows deleted meanwhile are deleted there too and lose to the newer entries they already have).
 *
 * Why the lock rather than re-planning after a conflict: a re-plan races the next mirror commit again, and with
 * commits arriving back to back it may lose every time; under the lock one attempt suffices. The lock is held for
 * no Parquet work: a log update, a vector read per changed file, one small vector write, one commit and the index
 * catch-up. Ingest commits of the table wait for that, no longer.
 */
import {
  type AddFile,
  fileKey,
  normalizeRows,
  replaceDeletionVector,
  type Snapshot,
  writeDeletionVectors,
} from '@delta-writer/delta-log';
import { INLINE_VECTOR_MAX_BYTES } from '../mirror/mirror-commit.js';
import { commitBin } from './commit-bin.js';
import type { CompactionBin } from './compaction-plan.js';
import type { JobContext, MirrorMaintenance } from './context.js';
import type { CompactMirrorOutput } from './mirror-worker.js';

/** One bin file's vectors, as the rewrite read it and as it is at commit time. */
export interface FileVectors {
  /** Live rows the rewrite copied from the file (they follow the previous files' in the new file). */
  readonly liveRows: number;
  /** Rows deleted when the rewrite read the file. */
  readonly read: Iterable<number>;
  /** Rows deleted now (a superset: a mirror table's vectors only grow). */
  readonly now: Iterable<number>;
}

/** The bin cannot be committed as rewritten: a vector lost rows or deletes rows the rewrite did not copy. */
export class CarryError extends Error {
  override readonly name = 'CarryError';
}

/**
 * Positions in the new file of the rows deleted since the rewrite read the bin (ascending). A row deleted now but
 * not then was live then, so the rewrite copied it: its position is the file's start (the live rows of the files
 * before it) plus the rows of its file that were live then and come before it.
 */
export function carriedDeletes(files: readonly FileVectors[]): number[] {
  const out: number[] = [];
  let start = 0;
  for (const [i, f] of files.entries()) {
    const read = normalizeRows(f.read);
    let before = 0; // rows of `read` below the current row
    let still = 0; // rows of `read` deleted now too
    for (const row of normalizeRows(f.now)) {
      while (before < read.length && (read[before] as number) < row) before++;
      if (read[before] === row) {
        still++;
        continue;
      }
      const position = row - before;
      if (position >= f.liveRows) {
        throw new CarryError(
          `file ${i} of the bin: row ${row} is deleted, but ${f.liveRows} rows were copied`,
        );
      }
      out.push(start + position);
    }
    if (still < read.length) throw new CarryError(`file ${i} of the bin: its deletion vector lost rows`);
    start += f.liveRows;
  }
  return out;
}

export interface RewrittenBin {
  /** The files as the rewrite read them. */
  readonly bin: CompactionBin;
  readonly out: CompactMirrorOutput;
  /** Per file: the rows its vector deleted when the rewrite read it. */
  readonly read: ReadonlyArray<readonly number[]>;
}

export interface CommittedBin {
  /** The table after the compaction, the index synced to it. */
  readonly snapshot: Snapshot;
  readonly add: AddFile | undefined;
  /** Rows mirror commits deleted during the rewrite, deleted in the new file by its vector. */
  readonly concurrentDeletes: number;
  /** Bin files whose vector changed during the rewrite. */
  readonly filesChanged: number;
  /** How long the table's lock was held (ms): ingest commits of the table waited at most that long. */
  readonly lockedMs: number;
}

/** Commits a rewritten bin under the table's lock (module comment); undefined when it has to be given up. */
export function commitMirrorBin(
  ctx: JobContext,
  mirror: MirrorMaintenance,
  tablePath: string,
  { bin, out, read }: RewrittenBin,
): Promise<CommittedBin | undefined> {
  return mirror.planner.exclusive(tablePath, async (sync) => {
    const locked = performance.now();
    const fresh = await ctx.snapshot(tablePath, true);
    const current = bin.files.map((f) => fresh?.liveFile(f.path));
    if (!fresh || current.some((c) => c === undefined)) {
      ctx.logger.info({ table: tablePath }, 'mirror compaction: a file of the bin is gone, bin given up');
      return undefined;
    }
    const files = current as AddFile[];
    const scan = fresh.scan();
    const changed = files.map((f, i) => {
      const then = bin.files[i] as AddFile;
      return fileKey(f.path, f.deletionVector) !== fileKey(then.path, then.deletionVector);
    });
    let carried: number[];
    try {
      const vectors = await Promise.all(
        files.map(async (f, i): Promise<FileVectors> => {
          const then = read[i] ?? [];
          const [file] = scan.filesOf([f]);
          const now = changed[i] && file ? await scan.deletedRows(file) : then;
          return { liveRows: out.liveRows[i] ?? 0, read: then, now };
        }),
      );
      carried = carriedDeletes(vectors);
    } catch (error) {
      if (!(error instanceof CarryError)) throw error;
      ctx.logger.warn({ table: tablePath, err: error }, 'mirror compaction: bin given up');
      return undefined;
    }
    const add = out.add ? await withVector(fresh, out.add, [...carried, ...out.tombstoneRows]) : undefined;
    const after = await commitBin(
      ctx,
      tablePath,
      fresh,
      { ...bin, files },
      {
        add,
        label: 'mirror compaction',
        provenance: { mirror: true },
      },
    );
    if (!after) return undefined;
    // The committer's cached snapshot learns the compaction too (the next ingest commit plans on it).
    const latest = (await ctx.snapshot(tablePath, true)) ?? after;
    await sync(latest, ctx.term);
    return {
      snapshot: latest,
      add,
      concurrentDeletes: carried.length,
      filesChanged: changed.filter(Boolean).length,
      lockedMs: Math.round(performance.now() - locked),
    };
  });
}

/** The new file's add with `rows` (deleted during the rewrite, carried-over tombstones) deleted by its own vector. */
async function withVector(snapshot: Snapshot, add: AddFile, rows: readonly number[]): Promise<AddFile> {
  if (rows.length === 0) return add;
  const [dv] = await writeDeletionVectors(snapshot.storage, snapshot.tablePath, [rows], {
    inlineMaxBytes: INLINE_VECTOR_MAX_BYTES,
  });
  if (!dv) return add;
  const [, born] = replaceDeletionVector(add, dv, Date.now());
  return { ...(born as { add: AddFile }).add, dataChange: false };
}
