import { describe, expect, it } from 'vitest';
import {
  type BatchRow,
  expiredTombstones,
  foldRows,
  type IndexEntry,
  type PhysicalRow,
  planMirrorBatch,
} from '../../src/mirror/plan.js';

const v = (seq: number, offset = seq, partition = 0) => ({ seq: String(seq), partition, offset });
const row = (file: string, r: number, key: string, seq: number, op: BatchRow['op'] = 'upsert'): BatchRow => ({
  file,
  row: r,
  key,
  version: v(seq),
  op,
});
const entry = (file: string, r: number, seq: number, deleted = false, at = 0): IndexEntry => ({
  file,
  row: r,
  version: v(seq),
  deleted,
  at,
});
const now = 1_000;

describe('planMirrorBatch', () => {
  it('inserts, updates and deletes: the stored rows it replaces and the tombstone rows go into deletion vectors', () => {
    const stored = new Map([
      ['u', entry('old', 4, 1)],
      ['d', entry('old', 7, 1)],
    ]);
    const plan = planMirrorBatch(
      [
        row('new', 0, 'i', 5),
        row('new', 1, 'u', 5),
        row('new', 2, 'd', 5, 'delete'),
        row('new', 3, 'x', 5, 'delete'),
      ],
      stored,
      { now },
    );
    expect(plan.deletes).toEqual(
      new Map([
        ['old', [4, 7]],
        ['new', [2, 3]],
      ]),
    );
    expect(plan.entries).toEqual(
      new Map([
        ['i', entry('new', 0, 5, false, now)],
        ['u', entry('new', 1, 5, false, now)],
        ['d', entry('new', 2, 5, true, now)],
        ['x', entry('new', 3, 5, true, now)],
      ]),
    );
    expect(plan.counts).toEqual({
      inserted: 1,
      updated: 1,
      deleted: 1,
      deletedAbsent: 1,
      stale: 0,
      superseded: 0,
    });
    expect(plan.conflicts).toEqual([]);
  });

  it('never moves a row backwards: late, replayed and duplicate rows lose, tombstones keep deleted keys deleted', () => {
    const stored = new Map([
      ['live', entry('old', 0, 10)],
      ['gone', entry('old', 1, 10, true)],
    ]);
    const plan = planMirrorBatch(
      [row('new', 0, 'live', 9), row('new', 1, 'live', 10), row('new', 2, 'gone', 3)],
      stored,
      {
        now,
      },
    );
    expect(plan.deletes).toEqual(new Map([['new', [0, 1, 2]]]));
    expect(plan.entries.size).toBe(0);
    expect(plan.counts).toMatchObject({ stale: 2, superseded: 1 });
  });

  it('keeps only the newest row of a key that occurs several times in the batch', () => {
    const plan = planMirrorBatch([row('a', 0, 'k', 3), row('b', 0, 'k', 5), row('c', 0, 'k', 4)], new Map(), {
      now,
    });
    expect(plan.deletes).toEqual(
      new Map([
        ['a', [0]],
        ['c', [0]],
      ]),
    );
    expect(plan.entries.get('k')?.file).toBe('b');
  });

  it('checks the base of patched rows: retryable when the stored row moved on, final when it came from another partition', () => {
    const stored = new Map([['k', entry('old', 0, 5)]]);
    const patched = (base: ReturnType<typeof v>): BatchRow => ({ ...row('new', 0, 'k', 7), base });
    expect(planMirrorBatch([patched(v(5))], stored, { now }).conflicts).toEqual([]);
    const moved = planMirrorBatch([patched(v(4))], stored, { now });
    expect(moved.conflicts).toMatchObject([
      { key: 'k', retryable: true, reason: expect.stringMatching(/seq 4.*seq 5/) },
    ]);
    expect(moved.entries.size).toBe(0);
    const otherPartition = planMirrorBatch(
      [patched(v(5, 5, 1))],
      new Map([['k', { ...entry('old', 0, 5), version: v(5, 5, 1) }]]),
      {
        now,
      },
    );
    expect(otherPartition.conflicts).toMatchObject([
      { retryable: false, reason: expect.stringMatching(/capture.mode/) },
    ]);
  });

  it('refuses, for good, a patched row with the same sequence as the row it was patched onto', () => {
    // Two changes of one transaction, or a replay of an earlier one: without the order inside the transaction,
    // they cannot be told apart.
    const stored = new Map([['k', { ...entry('old', 0, 5), version: v(5, 10) }]]);
    const plan = planMirrorBatch([{ ...row('new', 0, 'k', 5), version: v(5, 11), base: v(5, 10) }], stored, {
      now,
    });
    expect(plan.conflicts).toMatchObject([
      { retryable: false, reason: expect.stringMatching(/provide.transaction.metadata/) },
    ]);
  });

  it('checks each patched row of a key against the row before it in the batch', () => {
    const stored = new Map([['k', entry('old', 0, 5)]]);
    // Two manifests both patched onto the stored row: the second one missed the first one's change.
    const both = planMirrorBatch(
      [
        { ...row('m1', 0, 'k', 6), base: v(5) },
        { ...row('m2', 0, 'k', 7), base: v(5) },
      ],
      stored,
      { now },
    );
    expect(both.conflicts).toMatchObject([{ file: 'm2', retryable: true }]);
    const chained = planMirrorBatch(
      [
        { ...row('m1', 0, 'k', 6), base: v(5) },
        { ...row('m2', 0, 'k', 7), base: v(6) },
      ],
      stored,
      { now },
    );
    expect(chained.conflicts).toEqual([]);
    expect(chained.entries.get('k')?.file).toBe('m2');
  });

  it('accepts a row derived from a batch document that is the stored row (same version), nothing older', () => {
    // The batch re-read the stored row's own full-document event (a lost ack, a restart) and patched on top of it.
    const stored = new Map([['k', { ...entry('old', 3, 5), version: v(5, 10) }]]);
    const same = planMirrorBatch([{ ...row('new', 0, 'k', 7), from: v(5, 10) }], stored, { now });
    expect(same.conflicts).toEqual([]);
    expect(same.deletes.get('old')).toEqual([3]);
    expect(same.entries.get('k')).toMatchObject({ file: 'new', row: 0, deleted: false });
    expect(same.counts.updated).toBe(1);
    // Same sequence but another event of it (another offset, another partition): not the stored row.
    for (const from of [v(5, 9), v(5, 10, 1)]) {
      const other = planMirrorBatch([{ ...row('new', 0, 'k', 7), from }], stored, { now });
      expect(other.conflicts, JSON.stringify(from)).toMatchObject([{ key: 'k', retryable: true }]);
      expect(other.entries.size).toBe(0);
    }
    // A tombstone of that version is not a document to patch.
    const tombstone = new Map([['k', { ...entry('old', 3, 5, true), version: v(5, 10) }]]);
    const onTombstone = planMirrorBatch([{ ...row('new', 0, 'k', 7), from: v(5, 10) }], tombstone, { now });
    expect(onTombstone.conflicts).toMatchObject([{ key: 'k', retryable: true }]);
  });

  it('refuses a row derived from a batch document older than the stored row', () => {
    const stored = new Map([['k', entry('old', 0, 5)]]);
    const plan = planMirrorBatch([{ ...row('new', 0, 'k', 7), from: v(4) }], stored, { now });
    expect(plan.conflicts).toMatchObject([
      { retryable: true, reason: expect.stringMatching(/seq 4.*seq 5/) },
    ]);
    expect(planMirrorBatch([{ ...row('new', 0, 'k', 7), from: v(6) }], stored, { now }).conflicts).toEqual(
      [],
    );
  });

  it('refuses a row listed twice', () => {
    expect(() => planMirrorBatch([row('a', 0, 'k', 1), row('a', 0, 'j', 1)], new Map(), { now })).toThrow(
      /twice/,
    );
  });
});

describe('foldRows', () => {
  const phys = (r: BatchRow, deleted: boolean): PhysicalRow => ({ ...r, deleted, at: 7 });

  it('rebuilds entries from physical rows and reports rows that break the invariant', () => {
    const folded = foldRows(
      [
        phys(row('f', 0, 'a', 1), true),
        phys(row('g', 0, 'a', 2), false),
        phys(row('g', 1, 'b', 2, 'delete'), true),
        phys(row('g', 2, 'c', 1), false),
        phys(row('g', 3, 'c', 2), false), // two live rows of one key
      ],
      new Map(),
    );
    expect(folded.entries).toEqual(
      new Map([
        ['a', entry('g', 0, 2, false, 7)],
        ['b', entry('g', 1, 2, true, 7)],
        ['c', entry('g', 3, 2, false, 7)],
      ]),
    );
    expect(folded.violations).toEqual(['c']);
  });

  it('moves entries to the copies of rows in files that replace removed ones (compaction)', () => {
    const stored = new Map([['a', entry('small', 3, 4, false, 5)]]);
    const folded = foldRows([phys(row('big', 9, 'a', 4), false)], stored, new Set(['small']));
    // The row only moved: it keeps its commit time (a tombstone's retention runs from its delete).
    expect(folded.entries.get('a')).toEqual(entry('big', 9, 4, false, 5));
    expect(foldRows([phys(row('big', 9, 'a', 4), false)], stored).violations).toEqual(['a']);
  });
});

describe('expiredTombstones', () => {
  it('lists tombstones past the retention only', () => {
    const entries = new Map([
      ['old', entry('f', 0, 1, true, 100)],
      ['young', entry('f', 1, 1, true, 900)],
      ['live', entry('f', 2, 1, false, 0)],
    ]);
    expect(expiredTombstones(entries, 1000, 500)).toEqual(['old']);
  });
});
