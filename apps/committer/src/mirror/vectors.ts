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
  type DeletionVectorDescriptor,
  fileKey,
  normalizeRows,
  replaceDeletionVector,
  type Snapshot,
  writeDeletionVectors,
} from '@delta-writer/delta-log';

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

function merge(before: Uint32Array, wanted: readonly number[]): Uint32Array {
  if (before.length === 0) return Uint32Array.from(wanted);
  const out = new Uint32Array(before.length + wanted.length);
  let i = 0;
  let j = 0;
  let n = 0;
  while (i < before.length || j < wanted.length) {
    const a = i < before.length ? (before[i] as number) : Number.POSITIVE_INFINITY;
    const b = j < wanted.length ? (wanted[j] as number) : Number.POSITIVE_INFINITY;
    const next = Math.min(a, b);
    if (a <= b) i++;
    if (b <= a) j++;
    out[n++] = next;
  }
  return out.subarray(0, n);
}

/**
 * Deletes rows of live files and of `pendingAdds` (files of the same commit) by index: the new vectors of every
 * touched file go into one new DV file (small ones inline). Commit the actions with `readWholeTable` so that a
 * concurrent change of the same files conflicts.
 */
export async function deleteRowsCached(
  snapshot: Snapshot,
  deletes: ReadonlyMap<string, readonly number[]>,
  pendingAdds: readonly AddFile[],
  cache: VectorCache,
  options: { readonly inlineMaxBytes: number; readonly now: number },
): Promise<VectorDeletes> {
  const pending = new Map(pendingAdds.map((a) => [canonicalPath(a.path), a]));
  const scan = snapshot.scan();
  const targets = await Promise.all(
    [...deletes].map(async ([path, rows]) => {
      const add = pending.get(canonicalPath(path)) ?? snapshot.liveFile(path);
      if (!add) throw new Error(`cannot delete rows of ${path}: not a live file of the table`);
      const isPending = pending.has(canonicalPath(path));
      const dv = add.deletionVector;
      let before = dv ? cache.get(fileKey(add.path, dv)) : new Uint32Array(0);
      if (!before) {
        const [file] = scan.filesOf([add]);
        before = Uint32Array.from(file ? await scan.deletedRows(file) : []);
      }
      const merged = merge(before, normalizeRows(rows));
      return { add, isPending, rows: merged, added: merged.length - before.length };
    }),
  );
  const changed = targets.filter((t) => t.added > 0);
  const dvs = await writeDeletionVectors(
    snapshot.storage,
    snapshot.tablePath,
    changed.map((t) => t.rows),
    { inlineMaxBytes: options.inlineMaxBytes },
  );
  const actions: Action[] = [];
  const attached = new Map<string, AddFile>();
  const learned: Array<[string, Uint32Array]> = [];
  changed.forEach((t, i) => {
    const dv = dvs[i] as DeletionVectorDescriptor;
    const pair = replaceDeletionVector(t.add, dv, options.now);
    learned.push([fileKey(t.add.path, dv), t.rows]);
    if (t.isPending) attached.set(canonicalPath(t.add.path), (pair[1] as { add: AddFile }).add);
    else actions.push(...pair);
  });
  for (const add of pendingAdds) actions.push({ add: attached.get(canonicalPath(add.path)) ?? add });
  return {
    actions,
    touched: changed.filter((t) => !t.isPending).length,
    remember: () => {
      for (const [key, rows] of learned) cache.set(key, rows);
    },
  };
}
