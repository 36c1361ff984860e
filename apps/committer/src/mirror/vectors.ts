/**
 * Deleting rows of a mirror commit through deletion vectors, with the vectors this process wrote or read kept in
 * memory. A file's new vector must hold its old rows too; reading the old vector back from storage is one ranged
 * GET per touched file per commit — on S3 the largest part of a commit's cost once most files carry a vector. The
 * committer is the only writer of its tables' vectors, so it remembers them: the cache is keyed by the file's path
 * and vector descriptor (the protocol's file key), so an entry can never be wrong for a snapshot, only missing.
 */
import { type Action, type AddFile, deleteRows, fileKey, type Snapshot } from '@delta-writer/delta-log';

/** Deleted row indexes per file key, least recently used first, bounded by the total number of rows held. */
export class VectorCache {
  private readonly entries = new Map<string, Uint32Array>();
  private rows = 0;

  constructor(private readonly maxRows = 16_000_000) {}

  get(key: string): Uint32Array | undefined {
    const rows = this.entries.get(key);
    if (rows) {
      this.entries.delete(key);
      this.entries.set(key, rows);
    }
    return rows;
  }

  set(key: string, rows: Uint32Array): void {
    const old = this.entries.get(key);
    if (old) this.rows -= old.length;
    this.entries.delete(key);
    if (rows.length > this.maxRows) return;
    this.entries.set(key, rows);
    this.rows += rows.length;
    for (const [k, v] of this.entries) {
      if (this.rows <= this.maxRows) break;
      this.entries.delete(k);
      this.rows -= v.length;
    }
  }

  get size(): number {
    return this.entries.size;
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
  const result = await deleteRows(snapshot, deletes, {
    pendingAdds,
    inlineMaxBytes: options.inlineMaxBytes,
    now: options.now,
    knownRows: (add) => (add.deletionVector ? cache.get(fileKey(add.path, add.deletionVector)) : undefined),
  });
  return {
    actions: result.actions,
    // A live file given a new vector is removed and added again; a pending file only gets its add.
    touched: result.actions.filter((a) => 'remove' in a).length,
    remember: () => {
      for (const { add, rows } of result.vectors) {
        const last = rows.at(-1) ?? 0;
        if (last <= 0xffff_ffff) cache.set(fileKey(add.path, add.deletionVector), Uint32Array.from(rows));
      }
    },
  };
}
