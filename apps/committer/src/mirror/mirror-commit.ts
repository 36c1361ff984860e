/**
 * One mirror commit around a Delta commit, for the committer's commit path:
 *
 *   prepareMirrorCommit   sync the index to the snapshot, look up the batch's keys, plan, write the deletion
 *                         vectors → the actions to add to the Delta commit (or the conflicts to refuse)
 *   <Delta commit>        the batch's adds (with their vectors) + these actions + the txns, readWholeTable: true
 *   finishMirrorCommit    move the index to the committed version
 *
 * The cost is the batch's: a lookup per key, one small read per existing file it deletes rows from, one DV file
 * write, one index write. Nothing scans the table. If the process dies between the Delta commit and the index
 * write, the next prepare notices the index is behind and folds the missing commit in.
 */
import type { Action, AddFile, Snapshot } from '@delta-writer/delta-log';
import type { KeyIndex } from './index-store.js';
import { IndexAheadError, type SyncOptions, type SyncResult, syncIndex } from './index-sync.js';
import { type BatchRow, type MirrorPlan, planMirrorBatch } from './plan.js';
import { deleteRowsCached, VectorCache } from './vectors.js';

/** A new data file of the batch and, in row order, what each of its rows is. */
export interface MirrorFile {
  readonly add: AddFile;
  readonly rows: readonly Omit<BatchRow, 'file' | 'row'>[];
}

/**
 * Deletion vectors up to this size are written inline in the log rather than to a vector file. A mirror commit
 * re-vectors every file whose rows it replaces (remove + add of the same path with the grown vector), and the remove
 * of a file vector is a tombstone that checkpoints carry for `delta.deletedFileRetentionDuration` (7 days): at 2,000
 * events/s that was ~4,000 tombstones a minute per table (38,147 in `customers`' checkpoint after 9 min of the soak,
 * for 475 live files), so each checkpoint of a mirror table grew for a week and the leader's memory with it. The
 * remove of an inline vector whose file the same commit re-adds protects nothing and is not kept (delta-log's
 * replay), and 98 % of those tombstones were of vectors of 1 KiB or less (roaring arrays of a few hundred rows):
 * inline they cost ~1.25× their size in the commit's JSON and save a vector-file PUT per commit. Larger vectors
 * (compacted files with thousands of deleted rows) stay in files. Readers: delta-rs and Spark read inline vectors
 * (docs/mirror-tables.md §2).
 */
export const INLINE_VECTOR_MAX_BYTES = 1024;

export interface MirrorCommitOptions {
  readonly term: number;
  /** Commit time recorded in index entries (ms). */
  readonly now: number;
  /** Vectors up to this many bytes go inline in the log (default {@link INLINE_VECTOR_MAX_BYTES}). */
  readonly inlineMaxBytes?: number;
  /** Deletion vectors this process knows (default: none, every touched file's vector is read). */
  readonly vectors?: VectorCache;
  /** How the index is synced (row reader, catch-up limit). */
  readonly sync?: Omit<SyncOptions, 'term'>;
}

export type PreparedMirrorCommit =
  | {
      readonly kind: 'ready';
      /** The new files' adds (with vectors where rows died at once) and remove/add pairs of existing files. */
      readonly actions: Action[];
      readonly plan: MirrorPlan;
      readonly sync: SyncResult;
      /** The version the plan was made on: the commit must become `baseVersion + 1`. */
      readonly baseVersion: number;
      /** Existing files given a new deletion vector. */
      readonly touchedFiles: number;
      /** Call once the Delta commit landed: the vector cache learns the new vectors. */
      readonly remember: () => void;
    }
  /** Rows built on stale bases: refuse the manifests of `plan.conflicts` and prepare again without them. */
  | { readonly kind: 'conflicts'; readonly plan: MirrorPlan; readonly sync: SyncResult }
  /** The index is ahead of the snapshot (`sync.refuseAhead`): prepare again on a fresh snapshot. */
  | { readonly kind: 'stale'; readonly reason: string };

export async function prepareMirrorCommit(
  snapshot: Snapshot,
  index: KeyIndex,
  files: readonly MirrorFile[],
  options: MirrorCommitOptions,
): Promise<PreparedMirrorCommit> {
  let sync: SyncResult;
  try {
    sync = await syncIndex(index, snapshot, { ...options.sync, term: options.term });
  } catch (error) {
    if (error instanceof IndexAheadError) return { kind: 'stale', reason: error.message };
    throw error;
  }
  const rows: BatchRow[] = [];
  for (const f of files) {
    if (f.rows.length === 0) throw new Error(`mirror file ${f.add.path} has no rows`);
    const file = f.add.path;
    f.rows.forEach((r, row) => {
      rows.push({ key: r.key, version: r.version, op: r.op, base: r.base, from: r.from, file, row });
    });
  }
  const stored = await index.lookup([...new Set(rows.map((r) => r.key))]);
  const plan = planMirrorBatch(rows, stored, { now: options.now });
  if (plan.conflicts.length > 0) return { kind: 'conflicts', plan, sync };
  const deleted = await deleteRowsCached(
    snapshot,
    plan.deletes,
    files.map((f) => f.add),
    options.vectors ?? new VectorCache(0),
    { inlineMaxBytes: options.inlineMaxBytes ?? INLINE_VECTOR_MAX_BYTES, now: options.now },
  );
  return {
    kind: 'ready',
    actions: deleted.actions,
    plan,
    sync,
    baseVersion: snapshot.version,
    touchedFiles: deleted.touched,
    remember: deleted.remember,
  };
}

/**
 * Moves the index to `committedVersion`. When the Delta commit landed later than `baseVersion + 1` (it was rebased
 * over commits that did not conflict, such as a compaction), the index is left behind on purpose: the next
 * prepare folds those commits and this one in, in order.
 */
export async function finishMirrorCommit(
  index: KeyIndex,
  prepared: Extract<PreparedMirrorCommit, { kind: 'ready' }>,
  committed: { readonly version: number; readonly tableId: string },
  term: number,
): Promise<boolean> {
  if (committed.version !== prepared.baseVersion + 1) return false;
  await index.apply(
    { set: prepared.plan.entries },
    { tableId: committed.tableId, from: prepared.baseVersion, to: committed.version, term },
  );
  return true;
}
