/**
 * The key index of a mirror table: document key → the file and row of its newest version (or its tombstone). It
 * lets a commit find the rows it replaces without reading the table, so a commit costs what its batch costs.
 *
 * The index is a cache of the table, never the truth: every entry can be recomputed from the table's physical rows
 * (see `foldRows`). Two things keep it honest:
 * - it records the table version it reflects (and the table's Delta id). A commit is planned only when they match
 *   the snapshot; a crash between a Delta commit and the index update leaves the index one version behind, which
 *   the next commit detects and repairs by folding the missing commits' rows in (index-sync.ts);
 * - every write is fenced by the leadership term: a deposed leader's writes are refused, so it cannot overwrite
 *   what the new leader wrote. A lower term than the last writer's is refused even when the lease key is gone.
 */
import type { IndexEntry } from './plan.js';

export interface IndexState {
  /** The Delta table's `metaData.id`: an index of a dropped and recreated table is not reused. */
  readonly tableId: string;
  /** The table version the entries reflect. */
  readonly version: number;
  /** The highest leadership term that wrote. */
  readonly term: number;
  /** A version move or rebuild started and did not finish: entries may be partly ahead of `version`. */
  readonly pending: boolean;
}

export interface IndexDelta {
  readonly set: ReadonlyMap<string, IndexEntry>;
  /** Keys to forget (purged tombstones). */
  readonly remove?: readonly string[];
}

export interface IndexMove {
  readonly tableId: string;
  /** The version the entries reflect now (-1 for a new index)… */
  readonly from: number;
  /** …and after this delta. */
  readonly to: number;
  readonly term: number;
}

export class IndexFencedError extends Error {
  override readonly name = 'IndexFencedError';
}

/** The index is not at the version the caller expected: catch it up (or rebuild it) first. */
export class IndexVersionError extends Error {
  override readonly name = 'IndexVersionError';
  constructor(
    message: string,
    readonly actual: IndexState | undefined,
  ) {
    super(message);
  }
}

export interface KeyIndex {
  state(): Promise<IndexState | undefined>;
  /** Entries of those keys that have one. */
  lookup(keys: readonly string[]): Promise<Map<string, IndexEntry>>;
  /**
   * Applies a delta and moves the index from `move.from` to `move.to`. Throws {@link IndexFencedError} for a stale
   * term and {@link IndexVersionError} when the index is not at `move.from`. Safe to retry: entries are whole values.
   */
  apply(delta: IndexDelta, move: IndexMove): Promise<void>;
  /** Replaces every entry (a rebuild from the table) and sets the version. */
  replaceAll(entries: Iterable<readonly [string, IndexEntry]>, at: Omit<IndexMove, 'from'>): Promise<void>;
  /** Keys of tombstones committed at or before `before` (ms), at most `limit`. */
  expiredTombstones(before: number, limit: number): Promise<string[]>;
  /** Every entry (tests, verification, the rebuild check); order unspecified. */
  entries(): AsyncIterable<readonly [string, IndexEntry]>;
}

/** Checks a move against the current state; the same rules the Redis scripts apply. */
export function checkMove(current: IndexState | undefined, move: IndexMove, fencedTerm?: number): void {
  if (fencedTerm !== undefined && fencedTerm !== move.term) {
    throw new IndexFencedError(
      `leadership term ${move.term} does not hold the lease (term ${fencedTerm} does)`,
    );
  }
  if (current && current.term > move.term) {
    throw new IndexFencedError(`index written by term ${current.term}; term ${move.term} is stale`);
  }
  if (current && current.tableId !== move.tableId) {
    throw new IndexVersionError(`index belongs to table ${current.tableId}, not ${move.tableId}`, current);
  }
  const at = current?.version ?? -1;
  if (at !== move.from) {
    throw new IndexVersionError(`index is at version ${at}, not ${move.from}`, current);
  }
}

/** An in-memory KeyIndex: the model and unit tests use it; same contract as the Redis one. */
export class MemoryKeyIndex implements KeyIndex {
  private meta: IndexState | undefined;
  private readonly map = new Map<string, IndexEntry>();
  /** The term holding the lease, if the test simulates one. */
  leaseTerm: number | undefined;

  async state(): Promise<IndexState | undefined> {
    return this.meta;
  }

  async lookup(keys: readonly string[]): Promise<Map<string, IndexEntry>> {
    const out = new Map<string, IndexEntry>();
    for (const k of keys) {
      const e = this.map.get(k);
      if (e) out.set(k, e);
    }
    return out;
  }

  async apply(delta: IndexDelta, move: IndexMove): Promise<void> {
    checkMove(this.meta, move, this.leaseTerm);
    for (const [k, e] of delta.set) this.map.set(k, e);
    for (const k of delta.remove ?? []) this.map.delete(k);
    this.meta = { tableId: move.tableId, version: move.to, term: move.term, pending: false };
  }

  async replaceAll(
    entries: Iterable<readonly [string, IndexEntry]>,
    at: Omit<IndexMove, 'from'>,
  ): Promise<void> {
    if (this.leaseTerm !== undefined && this.leaseTerm !== at.term) {
      throw new IndexFencedError(`leadership term ${at.term} does not hold the lease`);
    }
    if (this.meta && this.meta.term > at.term) throw new IndexFencedError(`term ${at.term} is stale`);
    this.map.clear();
    for (const [k, e] of entries) this.map.set(k, e);
    this.meta = { tableId: at.tableId, version: at.to, term: at.term, pending: false };
  }

  async expiredTombstones(before: number, limit: number): Promise<string[]> {
    const out: string[] = [];
    for (const [k, e] of this.map) {
      if (out.length >= limit) break;
      if (e.deleted && e.at <= before) out.push(k);
    }
    return out;
  }

  async *entries(): AsyncIterable<readonly [string, IndexEntry]> {
    yield* this.map;
  }
}
