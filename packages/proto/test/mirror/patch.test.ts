import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyPatch, type Doc, type Patch } from '../../src/mirror/patch.js';

/** Plain objects become documents (Maps), recursively, also inside arrays. */
const value = (v: unknown): unknown =>
  Array.isArray(v)
    ? v.map(value)
    : v !== null && typeof v === 'object'
      ? doc(v as Record<string, unknown>)
      : v;
const doc = (o: Record<string, unknown>): Doc => new Map(Object.entries(o).map(([k, v]) => [k, value(v)]));
const patch = (
  p: Partial<{ set: Record<string, unknown>; unset: string[]; truncatedArrays: Patch['truncatedArrays'] }>,
): Patch => ({
  set: new Map(Object.entries(p.set ?? {})),
  unset: p.unset ?? [],
  truncatedArrays: p.truncatedArrays ?? [],
});

describe('applyPatch', () => {
  it('sets, unsets and truncates along dotted paths without touching the base', () => {
    const base = doc({ _id: 1, a: 1, b: 'x', arr: [1, 2, 3, 4], sub: { x: 1, y: [{ z: 1 }] } });
    const snapshot = structuredClone(base);
    const r = applyPatch(
      base,
      patch({
        set: { a: 2, 'sub.x': 5, 'sub.y.0.z': 9, 'arr.2': 30, 'arr.3': 40, c: true },
        unset: ['b', 'sub.y.0.q'],
        truncatedArrays: [{ field: 'arr', size: 2 }],
      }),
    );
    expect(r).toEqual({
      ok: true,
      doc: doc({ _id: 1, a: 2, arr: [1, 2, 30, 40], sub: { x: 5, y: [{ z: 9 }] }, c: true }),
    });
    expect(base).toEqual(snapshot);
  });

  it('leaves null in place of an unset array element, as $unset does', () => {
    expect(applyPatch(doc({ a: [1, 2, 3] }), patch({ unset: ['a.1'] }))).toEqual({
      ok: true,
      doc: doc({ a: [1, null, 3] }),
    });
  });

  it.each([
    [
      'a dotted field name on the path',
      { 'a.b': 1, a: { b: 2 } },
      patch({ set: { 'a.b': 3 } }),
      /contains a dot/,
    ],
    ['a missing parent', { a: 1 }, patch({ set: { 'x.y': 1 } }), /lacks/],
    ['a path through a scalar', { a: 1 }, patch({ set: { 'a.b': 1 } }), /not a document or an array/],
    ['a gap in an array', { a: [1] }, patch({ set: { 'a.3': 1 } }), /index 3 of an array of length 1/],
    ['a field name on an array', { a: [1] }, patch({ set: { 'a.x': 1 } }), /names field "x" of an array/],
    ['a changed _id', { _id: 1 }, patch({ set: { _id: 2 } }), /_id/],
    [
      'a truncation that grows',
      { a: [1] },
      patch({ truncatedArrays: [{ field: 'a', size: 3 }] }),
      /truncated to 3/,
    ],
    [
      'a truncated non-array',
      { a: 1 },
      patch({ truncatedArrays: [{ field: 'a', size: 0 }] }),
      /not an array/,
    ],
  ])('refuses %s', (_, base, p, reason) => {
    const r = applyPatch(doc(base), p);
    expect(r.ok).toBe(false);
    expect(r.ok ? '' : r.reason).toMatch(reason);
  });

  it('reproduces any document from the update description of a change to it', () => {
    // A random document, a random change to it, and the update description MongoDB reports for that change.
    const scalar = fc.oneof(fc.integer(), fc.string({ maxLength: 3 }), fc.constant(null));
    const base = fc.record({
      a: scalar,
      b: scalar,
      arr: fc.array(fc.integer(), { maxLength: 5 }),
      sub: fc.record({ x: scalar, y: scalar }),
    });
    const change = fc.record({
      setA: fc.option(scalar),
      unsetB: fc.boolean(),
      truncateTo: fc.option(fc.nat({ max: 5 })),
      append: fc.array(fc.integer(), { maxLength: 3 }),
      setSubX: fc.option(scalar),
      newField: fc.option(scalar),
    });
    fc.assert(
      fc.property(base, change, (b, c) => {
        const before = doc({ _id: 7, ...b });
        const after = doc({ _id: 7, ...b });
        const set: Record<string, unknown> = {};
        const unset: string[] = [];
        const truncatedArrays: { field: string; size: number }[] = [];
        if (c.setA !== null) {
          after.set('a', c.setA);
          set.a = c.setA;
        }
        if (c.unsetB) {
          after.delete('b');
          unset.push('b');
        }
        let arr = [...b.arr];
        if (c.truncateTo !== null && c.truncateTo < arr.length) {
          arr = arr.slice(0, c.truncateTo);
          truncatedArrays.push({ field: 'arr', size: c.truncateTo });
        }
        for (const v of c.append) {
          set[`arr.${arr.length}`] = v;
          arr.push(v);
        }
        after.set('arr', arr);
        if (c.setSubX !== null) {
          (after.get('sub') as Doc).set('x', c.setSubX);
          set['sub.x'] = c.setSubX;
        }
        if (c.newField !== null) {
          after.set('n', c.newField);
          set.n = c.newField;
        }
        expect(applyPatch(before, patch({ set, unset, truncatedArrays }))).toEqual({ ok: true, doc: after });
      }),
    );
  });
});
