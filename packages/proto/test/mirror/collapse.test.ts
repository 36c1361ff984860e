import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type CollapseOptions,
  collapseEvents,
  type MirrorEvent,
  mirrorEventOf,
} from '../../src/mirror/collapse.js';
import type { Doc } from '../../src/mirror/patch.js';

const v = (seq: number, offset = seq, partition = 0) => ({ seq: String(seq), partition, offset });
const d = (o: Record<string, unknown>): Doc => new Map(Object.entries(o));
const full = (key: string, seq: number, o: Record<string, unknown>, offset = seq): MirrorEvent => ({
  key,
  version: v(seq, offset),
  op: 'u',
  after: d(o),
  patch: null,
});
const del = (key: string, seq: number): MirrorEvent => ({
  key,
  version: v(seq),
  op: 'd',
  after: null,
  patch: null,
});
const upd = (key: string, seq: number, set: Record<string, unknown>, offset = seq): MirrorEvent => ({
  key,
  version: v(seq, offset),
  op: 'u',
  after: null,
  patch: { set: d(set), unset: [], truncatedArrays: [] },
});

const APPLY = { partialUpdates: 'apply' } as const;
const collapse = (events: MirrorEvent[], options: CollapseOptions = APPLY) => collapseEvents(events, options);

describe('collapseEvents', () => {
  it('folds each key to its final state in source order, applying partial updates to the batch’s document', () => {
    const r = collapse([
      upd('a', 3, { n: 3 }),
      full('a', 1, { _id: 'a', n: 1 }),
      upd('a', 2, { m: 2 }),
      full('b', 5, { _id: 'b' }),
      del('b', 6),
      del('c', 9),
      full('c', 10, { _id: 'c', again: true }),
    ]);
    expect(r.rows).toEqual([
      { kind: 'upsert', key: 'a', version: v(3), doc: d({ _id: 'a', n: 3, m: 2 }), from: v(1) },
      { kind: 'delete', key: 'b', version: v(6) },
      { kind: 'upsert', key: 'c', version: v(10), doc: d({ _id: 'c', again: true }) },
    ]);
    expect(r.folded).toBe(4);
  });

  it('leaves a key unresolved when its partial updates have no document in the batch', () => {
    const r = collapse([upd('a', 1, { x: 1 }), upd('a', 2, { y: 2 })]);
    expect(r.rows).toEqual([
      {
        kind: 'unresolved',
        key: 'a',
        version: v(2),
        patches: [
          { set: d({ x: 1 }), unset: [], truncatedArrays: [] },
          { set: d({ y: 2 }), unset: [], truncatedArrays: [] },
        ],
        reason: 'the document it updates is not in the batch',
      },
    ]);
    // a later full document resolves it; a later delete makes it irrelevant
    expect(collapse([upd('a', 1, { x: 1 }), full('a', 2, { z: 1 })]).rows[0]?.kind).toBe('upsert');
    expect(collapse([upd('a', 1, { x: 1 }), del('a', 2)]).rows[0]?.kind).toBe('delete');
  });

  it('applies a partial update to the pre-image the event carries', () => {
    const r = collapse([{ ...upd('a', 2, { n: 2 }), before: d({ _id: 'a', n: 1, m: 1 }) }]);
    expect(r.rows).toEqual([{ kind: 'upsert', key: 'a', version: v(2), doc: d({ _id: 'a', n: 2, m: 1 }) }]);
  });

  it('prefers the exact pre-image to an older document of the batch, also for the updates after it', () => {
    const pre = (
      key: string,
      seq: number,
      set: Record<string, unknown>,
      before: Record<string, unknown>,
    ) => ({
      ...upd(key, seq, set),
      before: d(before),
    });
    // The batch's document at 1 is a replay: the table may hold 1..2 already; the pre-image of 3 is what 3 changed.
    const r = collapse([
      full('a', 1, { n: 1 }),
      pre('a', 3, { n: 3 }, { n: 2, m: 2 }),
      upd('a', 4, { k: 4 }),
    ]);
    expect(r.rows).toEqual([{ kind: 'upsert', key: 'a', version: v(4), doc: d({ n: 3, m: 2, k: 4 }) }]);
    // It also resolves a key whose earlier patches had no base, and follows a delete (the re-insert is elsewhere).
    expect(collapse([upd('a', 1, { x: 1 }), pre('a', 2, { y: 2 }, { x: 1 })]).rows[0]).toMatchObject({
      kind: 'upsert',
      doc: d({ x: 1, y: 2 }),
    });
    expect(collapse([del('a', 1), pre('a', 3, { y: 3 }, { y: 2 })]).rows[0]).toMatchObject({
      kind: 'upsert',
    });
  });

  it('skips partial updates in update_full mode (lookup misses: a delete follows), keeping the last full state', () => {
    const skip = { partialUpdates: 'skip' } as const;
    const r = collapse([full('a', 1, { n: 1 }), upd('a', 2, { n: 2 }), upd('b', 3, { n: 3 })], skip);
    expect(r.rows).toEqual([{ kind: 'upsert', key: 'a', version: v(1), doc: d({ n: 1 }) }]);
    expect(r.skipped).toBe(2);
    expect(collapse([full('a', 1, { n: 1 }), upd('a', 2, { n: 2 }), del('a', 3)], skip).rows).toEqual([
      { kind: 'delete', key: 'a', version: v(3) },
    ]);
  });

  it('orders the changes of one transaction (one sequence) by Kafka offset and drops exact duplicates', () => {
    const r = collapse([
      full('a', 7, { s: 'first' }, 100),
      full('a', 7, { s: 'second' }, 101),
      full('a', 7, { s: 'first' }, 100),
    ]);
    expect(r.rows).toEqual([{ kind: 'upsert', key: 'a', version: v(7, 101), doc: d({ s: 'second' }) }]);
    expect(r.duplicates).toBe(1);
  });

  it('ends in the state of the newest event whatever the delivery order and duplication', () => {
    const history = fc.array(fc.oneof(fc.constant<'del'>('del'), fc.integer({ min: 0, max: 99 })), {
      minLength: 1,
      maxLength: 20,
    });
    fc.assert(
      fc.property(history, fc.infiniteStream(fc.nat()), (ops, noise) => {
        const events = ops.map((op, i) => (op === 'del' ? del('k', i) : full('k', i, { n: op })));
        const it = noise[Symbol.iterator]();
        const delivered = [...events, ...events.filter(() => it.next().value % 3 === 0)].sort(
          () => (it.next().value % 3) - 1,
        );
        const last = ops.at(-1);
        const [row] = collapse(delivered).rows;
        expect(row).toEqual(
          last === 'del'
            ? { kind: 'delete', key: 'k', version: v(ops.length - 1) }
            : { kind: 'upsert', key: 'k', version: v(ops.length - 1), doc: d({ n: last }) },
        );
      }),
    );
  });
});

describe('mirrorEventOf', () => {
  const event = (o: Partial<Parameters<typeof mirrorEventOf>[0]>) =>
    mirrorEventOf({
      op: 'u',
      keyCanonical: '{"$numberLong":"1"}',
      seq: { text: '00000000000000000042.00000000000000000003' },
      after: d({ id: 1, a: 'x' }),
      patch: null,
      before: null,
      unavailable: [],
      record: { partition: 2, offset: 17n },
      ...o,
    });

  it('keys rows by the key identity: an int32 key is the same row as an int64 one', () => {
    expect(event({ keyCanonical: '{"$numberInt":"1"}' })).toMatchObject({ key: '{"$numberLong":"1"}' });
  });

  it('maps a decoded change event, with the compact sequence and the Kafka position', () => {
    expect(event({})).toEqual({
      key: '{"$numberLong":"1"}',
      version: { seq: '42.3', partition: 2, offset: 17 },
      op: 'u',
      after: d({ id: 1, a: 'x' }),
      patch: null,
    });
  });

  it('turns unavailable (TOAST) columns into a partial update that keeps them from the stored row', () => {
    const e = event({ unavailable: ['big'] });
    expect(e).toMatchObject({
      after: null,
      patch: { set: d({ id: 1, a: 'x' }), unset: [], truncatedArrays: [] },
      mustApply: true,
    });
    // Under skip (the MongoDB update_full setting) it is still applied: here onto its REPLICA IDENTITY FULL old row.
    const full = event({ unavailable: ['big'], before: d({ id: 1, a: 'old', big: 'B' }) });
    const collapsed = collapseEvents([full as MirrorEvent], { partialUpdates: 'skip' });
    expect(collapsed.skipped).toBe(0);
    expect(collapsed.rows).toMatchObject([{ kind: 'upsert', doc: d({ id: 1, a: 'x', big: 'B' }) }]);
    // Without the old row it needs the stored row: unresolved, never silently skipped.
    const bare = collapseEvents([e as MirrorEvent], { partialUpdates: 'skip' });
    expect(bare.rows).toMatchObject([{ kind: 'unresolved' }]);
  });

  it('refuses events without a key and ops without row semantics', () => {
    expect(event({ keyCanonical: null })).toMatch(/no document key/);
    expect(event({ op: 't' })).toMatch(/op "t"/);
  });
});
