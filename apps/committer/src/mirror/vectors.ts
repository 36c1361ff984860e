/**
 * Deleting rows of a mirror commit through deletion vectors, with the vectors this process wrote or read kept in
 * memory. A file's new vector must hold its old rows too; reading the old vector back from storage is one ranged
 * GET per touched file per commit — on S3 the largest part of a commit's cost once most files carry a vector. The
 * committer is the only writer of its tables' vectors, so it remembers them: the cache is keyed by the file's path
 * and vector descriptor (the protocol's file key), so an entry can never be wrong for a snapshot, only missing.
 */
import {
  type Action,
  type AddFile,
  canonicalPath,
  deleteRows,
  fileKey,
  type Snapshot,
} from '@delta-writer/delta-log';

/** A table's data file in the cache: table path and data file path. */
const slotOf = (tablePath: string, path: string) => `${tablePath}\u0000${canonicalPath(path)}`;

/** How many vectors a table learns between sweeps of its entries whose files are gone. */
const SWEEP_EVERY = 256;

/**
 * Deleted row indexes of live files, one entry per data file (its newest vector), least recently used first,
 * bounded by the total number of rows held. Keyed by file key, a file's every re-vector left its old entry behind
 * until the bound pushed it out: a mirror table re-vectors ~26 files a commit, each key carrying its inline vector
 * (up to 1 KiB), so the leader's heap grew by the entries of vectors no snapshot had any more. Entries of files
 * compaction removed go at the table's next sweep.
 */
export class VectorCache {
  private readonly entries = new Map<
    string,
    { readonly path: string; readonly key: string; readonly rows: Uint32Array }
  >();
  private rows = 0;
  private readonly learned = new Map<string, number>();

  constructor(private readonly maxRows = 16_000_000) {}

  /** The deleted rows of `add` (path and vector) in `tablePath`, if this is the vector the cache holds. */
  get(tablePath: string, add: Pick<AddFile, 'path' | 'deletionVector'>): Uint32Array | undefined {
    const slot = slotOf(tablePath, add.path);
    const entry = this.entries.get(slot);
    if (!entry || entry.key !== fileKey(add.path, add.deletionVector)) return undefined;
    this.entries.delete(slot);
    this.entries.set(slot, entry);
    return entry.rows;
  }

  /** Remembers `add`'s vector, replacing what the cache held for its file. */
  set(tablePath: string, add: Pick<AddFile, 'path' | 'deletionVector'>, rows: Uint32Array): void {
    const slot = slotOf(tablePath, add.path);
    this.drop(slot);
    this.learned.set(tablePath, (this.learned.get(tablePath) ?? 0) + 1);
    if (rows.length > this.maxRows) return;
    this.entries.set(slot, { path: add.path, key: fileKey(add.path, add.deletionVector), rows });
    this.rows += rows.length;
    for (const [k, v] of this.entries) {
      if (this.rows <= this.maxRows) break;
      this.entries.delete(k);
      this.rows -= v.rows.length;
    }
  }

  /**
   * Drops the entries of the table's files that `snapshot` no longer has (compacted away), once the table has
   * learned {@link SWEEP_EVERY} vectors since its last sweep. A file the snapshot has not seen yet loses only its
   * entry (a read on next use), never a wrong answer.
   */
  sweep(snapshot: Pick<Snapshot, 'tablePath' | 'liveFile'>): void {
    if ((this.learned.get(snapshot.tablePath) ?? 0) < SWEEP_EVERY) return;
    this.learned.set(snapshot.tablePath, 0);
    const prefix = slotOf(snapshot.tablePath, '');
    for (const [slot, entry] of this.entries) {
      if (slot.startsWith(prefix) && !snapshot.liveFile(entry.path)) this.drop(slot);
    }
  }

  get size(): number {
    return this.entries.size;
  }

  /** Deleted row indexes held, over all files. */
  get heldRows(): number {
    return this.rows;
  }

  private drop(slot: string): void {
    const old = this.entries.get(slot);
    if (!old) return;
    this.rows -= old.rows.length;
    this.entries.delete(slot);
  }
}

export interface VectorDeletes {
  /** `remove`+`add` pairs of live files that got new vectors, then the pending adds (with their vectors). */
  readonly actions: Action[];
  /** Files whose vectors changed: call once the commit is in the table (the cache learns the new vectors). */
  readonly remember: () => void;
  /** Existing files given a new vector. */
  readonly touched: number;
}

/**
 * Deletes rows of live files and of `pendingAdds` (files of the same commit) by index, through delta-log's
 * `deleteRows` with the vectors this process knows: the new vectors of every touched file go into one new DV file
 * (small ones inline). Commit the actions with `readWholeTable` so that a concurrent change of the same files
 * conflicts.
 */
export async function deleteRowsCached(
  snapshot: Snapshot,
  deletes: ReadonlyMap<string, readonly number[]>,
  pendingAdds: readonly AddFile[],
  cache: VectorCache,
  options: { readonly inlineMaxBytes: number; readonly now: number },
): Promise<VectorDeletes> {
  cache.sweep(snapshot);
  const result = await deleteRows(snapshot, deletes, {
    pendingAdds,
    inlineMaxBytes: options.inlineMaxBytes,
    now: options.now,
    knownRows: (add) => (add.deletionVector ? cache.get(snapshot.tablePath, add) : undefined),
  });
  return {
    actions: result.actions,
    // A live file given a new vector is removed and added again; a pending file only gets its add.
    touched: result.actions.filter((a) => 'remove' in a).length,
    remember: () => {
      for (const { add, rows } of result.vectors) {
        const last = rows.at(-1) ?? 0;
        if (last <= 0xffff_ffff) cache.set(snapshot.tablePath, add, Uint32Array.from(rows));
      }
    },
  };
}
