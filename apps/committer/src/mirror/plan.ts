/**
 * Mirror planning for one commit, as a pure function: given the physical rows of the batch's new data files (each
 * with its key, version and op) and the key index's entries for those keys, decide
 * - which existing rows to delete (deletion-vector bits per file): the stored row of every key the batch replaces;
 * - which new rows to delete right away: tombstone rows (a delete is a physical row so the table itself remembers
 *   it), rows that lost to a newer stored version (late or replayed events), and rows superseded inside the batch;
 * - the index entries after the commit.
 *
 * The invariant this keeps, and that {@link rebuildEntries} relies on: for every key, its newest physical row (by
 * version) is the index entry; that row is live iff it is not a delete; every other row of the key is deleted.
 */
import { compareSeq, compareVersion, type RowVersion, supersedes } from '@delta-writer/proto/mirror';

export interface IndexEntry {
  /** Path (as in the `add` action) of the file holding the key's newest row: its live row, or its tombstone row. */
  readonly file: string;
  /** Row index in that file. */
  readonly row: number;
  readonly version: RowVersion;
  /** A tombstone: the key is deleted; kept so that older events cannot bring the row back. */
  readonly deleted: boolean;
  /** Commit time of this version (ms); a tombstone may be purged once the retention has passed after it. */
  readonly at: number;
}

export type RowOp = 'upsert' | 'delete';

/** One physical row of a new data file. */
export interface BatchRow {
  readonly file: string;
  readonly row: number;
  readonly key: string;
  readonly version: RowVersion;
  readonly op: RowOp;
  /**
   * For a row the ingestor computed by applying a partial update to the stored row: the stored version it read.
   * The row may only win if that is still the stored version (otherwise it was built on a stale base).
   */
  readonly base?: RowVersion;
  /**
   * For a row the ingestor computed by applying partial updates to a full document of its own batch: that
   * document's version. The row may only win if the document is newer than the stored row (else the changes between
   * them are missing from it).
   */
  readonly from?: RowVersion;
}

export interface BaseConflict {
  readonly key: string;
  readonly file: string;
  readonly row: number;
  readonly reason: string;
  /**
   * True when rebuilding the batch against the current stored row can succeed (the base moved on); false when the
   * partial update cannot be applied safely at all (the key's base came from another Kafka partition, so events in
   * between may still be on their way).
   */
  readonly retryable: boolean;
}

export interface MirrorCounts {
  inserted: number;
  updated: number;
  deleted: number;
  /** Deletes of keys with no live row (a tombstone is recorded all the same). */
  deletedAbsent: number;
  /** Batch rows older than (or as old as) the stored version: replays, duplicates, late events. */
  stale: number;
  /** Batch rows replaced by a newer row of the same key in the same batch. */
  superseded: number;
}

export interface MirrorPlan {
  /** Row indexes to delete, per file path (existing files and new ones), ascending. */
  readonly deletes: ReadonlyMap<string, readonly number[]>;
  /** Index entries to write (keys the batch changed). */
  readonly entries: ReadonlyMap<string, IndexEntry>;
  /**
   * Rows built on a stored version that is not current any more. When non-empty the plan must not be committed:
   * refuse the manifests holding these files and plan again without them.
   */
  readonly conflicts: readonly BaseConflict[];
  readonly counts: MirrorCounts;
}

export interface PlanOptions {
  /** Commit time recorded in the entries (ms). */
  readonly now: number;
}

/** Plans one commit. `stored` must hold the index entry of every key in `rows` that has one. */
export function planMirrorBatch(
  rows: readonly BatchRow[],
  stored: ReadonlyMap<string, IndexEntry>,
  options: PlanOptions,
): MirrorPlan {
  const deletes = new Map<string, Set<number>>();
  const drop = (file: string, row: number) => {
    const set = deletes.get(file);
    if (set) set.add(row);
    else deletes.set(file, new Set([row]));
  };
  const counts: MirrorCounts = {
    inserted: 0,
    updated: 0,
    deleted: 0,
    deletedAbsent: 0,
    stale: 0,
    superseded: 0,
  };

  // The newest row of each key in the batch; ties keep the earlier row (input order is manifest then row order).
  const winners = new Map<string, BatchRow>();
  const byKey = new Map<string, BatchRow[]>();
  const seen = new Map<string, Set<number>>(); // rows per file
  for (const r of rows) {
    const same = byKey.get(r.key);
    if (same) same.push(r);
    else byKey.set(r.key, [r]);
    let inFile = seen.get(r.file);
    if (!inFile) {
      inFile = new Set();
      seen.set(r.file, inFile);
    }
    if (inFile.has(r.row)) throw new Error(`row ${r.row} of ${r.file} appears twice in the batch`);
    inFile.add(r.row);
    const best = winners.get(r.key);
    if (!best) winners.set(r.key, r);
    else if (supersedes(r.version, best.version)) {
      drop(best.file, best.row);
      counts.superseded++;
      winners.set(r.key, r);
    } else {
      drop(r.file, r.row);
      counts.superseded++;
    }
  }

  const entries = new Map<string, IndexEntry>();
  const conflicts: BaseConflict[] = [];
  for (const [key, w] of winners) {
    const old = stored.get(key);
    if (old && !supersedes(w.version, old.version)) {
      drop(w.file, w.row);
      counts.stale++;
      continue;
    }
    const conflict = chainConflict(byKey.get(key) ?? [], old) ?? fromConflict(w, old);
    if (conflict) {
      conflicts.push(conflict);
      continue;
    }
    if (old && !old.deleted) drop(old.file, old.row);
    if (w.op === 'delete') {
      drop(w.file, w.row);
      if (old && !old.deleted) counts.deleted++;
      else counts.deletedAbsent++;
    } else if (old && !old.deleted) counts.updated++;
    else counts.inserted++;
    entries.set(key, {
      file: w.file,
      row: w.row,
      version: w.version,
      deleted: w.op === 'delete',
      at: options.now,
    });
  }

  const sorted = new Map<string, number[]>();
  for (const [file, set] of deletes)
    sorted.set(
      file,
      [...set].sort((a, b) => a - b),
    );
  return { deletes: sorted, entries, conflicts, counts };
}

function sameVersion(a: RowVersion, b: RowVersion): boolean {
  return compareSeq(a.seq, b.seq) === 0 && a.partition === b.partition && a.offset === b.offset;
}

/**
 * A patched row is right only if it was patched onto the key's immediately preceding version. Kafka keeps a key's
 * events in order within its partition and the table commits a partition in order, so a stored row of the same
 * partition that is still the stored row is that version. A base from another partition (the topic was
 * repartitioned) gives no such guarantee.
 */
function baseConflict(
  w: BatchRow,
  base: RowVersion,
  old: { version: RowVersion; deleted: boolean } | undefined,
): BaseConflict | undefined {
  const at = { key: w.key, file: w.file, row: w.row };
  if (base.partition !== w.version.partition) {
    return {
      ...at,
      retryable: false,
      reason: `a partial update in partition ${w.version.partition} cannot be applied to a row from partition ${base.partition}: set the Debezium capture.mode to change_streams_update_full (or *_update_full_with_pre_image)`,
    };
  }
  if (!old || old.deleted || !sameVersion(old.version, base)) {
    const now = old ? `${old.deleted ? 'a tombstone' : 'a row'} of seq ${old.version.seq}` : 'no row';
    return {
      ...at,
      retryable: true,
      reason: `patched onto the stored row of seq ${base.seq}, but the table now has ${now}`,
    };
  }
  if (compareSeq(old.version.seq, w.version.seq) === 0) {
    // Without the order inside a source transaction, a second change of the document in the same transaction and
    // a replay of an earlier one look the same (and the ingestor already dropped replays that change nothing).
    return {
      ...at,
      retryable: false,
      reason: `two changes of one source transaction (seq ${w.version.seq}) to this document cannot be ordered: enable Debezium provide.transaction.metadata so that sequences include the order within the transaction, or use capture.mode change_streams_update_full`,
    };
  }
  return undefined;
}

/**
 * Checks every patched row of one key that is newer than the stored version against its predecessor: the previous
 * row of the key in the batch, or the stored row for the first. (Two manifests patched onto the same stored row
 * must not both go through: the second one missed the first one's change.)
 */
function chainConflict(rows: readonly BatchRow[], old: IndexEntry | undefined): BaseConflict | undefined {
  if (!rows.some((r) => r.base !== undefined)) return undefined; // full documents: nothing was patched
  const chain = rows
    .filter((r) => !old || supersedes(r.version, old.version))
    .sort((a, b) => compareVersion(a.version, b.version));
  let prev = old ? { version: old.version, deleted: old.deleted } : undefined;
  for (const r of chain) {
    if (r.base !== undefined) {
      const conflict = baseConflict(r, r.base, prev);
      if (conflict) return conflict;
    }
    prev = { version: r.version, deleted: r.op === 'delete' };
  }
  return undefined;
}

/**
 * A row patched onto a full document of its own batch is right if no change between that document and the row is
 * missing from it: the document is newer than the stored row, or it is the stored row. Equal versions (sequence,
 * partition and offset) name one Kafka record, one event: the stored row of that version was built from the same
 * full document (a full document replaces whatever came before it), so patching it in the batch is patching the
 * stored row. The changes after it are the batch's own events of the key, in order: the batch is a contiguous range
 * of the partition that holds the key's events, and nothing newer is stored. (This is the batch re-reading, after a
 * lost ack or a restart, a document the table already has.)
 */
function fromConflict(w: BatchRow, old: IndexEntry | undefined): BaseConflict | undefined {
  if (!w.from || !old || supersedes(w.from, old.version)) return undefined;
  if (!old.deleted && sameVersion(w.from, old.version)) return undefined;
  return {
    key: w.key,
    file: w.file,
    row: w.row,
    retryable: true,
    reason: `partial updates applied to the document of seq ${w.from.seq}, but the table has a newer row (seq ${old.version.seq})`,
  };
}

/** The new files whose rows conflict (their manifests are refused). */
export function conflictingFiles(plan: MirrorPlan): Set<string> {
  return new Set(plan.conflicts.map((c) => c.file));
}

/** Tombstones whose retention has passed: they may leave the index (and compaction may drop their rows). */
export function expiredTombstones(
  entries: Iterable<readonly [string, IndexEntry]>,
  now: number,
  retentionMs: number,
): string[] {
  const out: string[] = [];
  for (const [key, e] of entries) if (e.deleted && e.at + retentionMs <= now) out.push(key);
  return out;
}

/** One physical row of a table file, as a rebuild or catch-up reads it (`deleted`: in the file's deletion vector). */
export interface PhysicalRow extends BatchRow {
  readonly deleted: boolean;
  /** When the file was added (ms), the best available commit time for a rebuilt entry. */
  readonly at: number;
}

export interface FoldResult {
  /** Entries that changed. */
  readonly entries: Map<string, IndexEntry>;
  /**
   * Keys whose rows break the invariant (a live row that is not the newest, a newest upsert row that is deleted,
   * a live tombstone row): the table was not written by this planner, or a bug did it. Reported, not repaired.
   */
  readonly violations: string[];
}

/**
 * Folds physical rows into index entries: for every key the newest row wins (ties: a row of a file in
 * `removedFiles` yields to an equal row elsewhere, as when compaction moves rows; then a live row beats a deleted
 * one). Used to rebuild the index from the whole table (`stored` empty) and to catch up on commits the index missed
 * (`rows` = rows of the files they added, `stored` = current entries of those keys). Idempotent.
 */
export function foldRows(
  rows: Iterable<PhysicalRow>,
  stored: ReadonlyMap<string, IndexEntry>,
  removedFiles: ReadonlySet<string> = new Set(),
): FoldResult {
  const best = new Map<string, { entry: IndexEntry; live: boolean; fromRows: boolean }>();
  const liveRows = new Map<string, string[]>();
  for (const [key, entry] of stored) best.set(key, { entry, live: !entry.deleted, fromRows: false });
  for (const r of rows) {
    const at = `${r.file}\u0000${r.row}`;
    const live = liveRows.get(r.key) ?? [];
    if (!r.deleted) live.push(at);
    liveRows.set(r.key, live);
    const entry: IndexEntry = {
      file: r.file,
      row: r.row,
      version: r.version,
      deleted: r.op === 'delete',
      at: r.at,
    };
    const cur = best.get(r.key);
    const c = cur ? compareVersion(r.version, cur.entry.version) : 1;
    const wins =
      !cur ||
      c > 0 ||
      (c === 0 && removedFiles.has(cur.entry.file) && !removedFiles.has(r.file)) ||
      (c === 0 && cur.fromRows && !r.deleted && !cur.live);
    // A row that only moved (compaction: same version) keeps its commit time, so a tombstone's retention runs from
    // its delete, not from the last compaction that carried it over.
    const moved = cur !== undefined && c === 0 ? { ...entry, at: cur.entry.at } : entry;
    if (wins) best.set(r.key, { entry: moved, live: !r.deleted, fromRows: true });
  }
  const entries = new Map<string, IndexEntry>();
  const violations: string[] = [];
  for (const [key, live] of liveRows) {
    const b = best.get(key) as { entry: IndexEntry; live: boolean; fromRows: boolean };
    if (b.fromRows) entries.set(key, b.entry);
    // Among the rows read, exactly the winner is live, and only if it is not a tombstone.
    const winner = `${b.entry.file}\u0000${b.entry.row}`;
    const ok = b.fromRows && !b.entry.deleted ? live.length === 1 && live[0] === winner : live.length === 0;
    if (!ok) violations.push(key);
  }
  return { entries, violations };
}
