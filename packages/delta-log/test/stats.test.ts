import * as A from 'apache-arrow';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decimal, field, struct } from '../src/schema/types.js';
import { isWidening } from '../src/write/evolution.js';
import { collectStats, compareUtf8, truncateMax, truncateMin } from '../src/write/stats.js';

describe('string truncation', () => {
  it('keeps min a lower bound and max an upper bound, at most ~32 characters', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 80 }), (s) => {
        const min = truncateMin(s);
        expect(compareUtf8(min, s)).toBeLessThanOrEqual(0);
        expect(Array.from(min).length).toBeLessThanOrEqual(32);
        const max = truncateMax(s);
        if (max !== undefined) {
          expect(compareUtf8(max, s)).toBeGreaterThanOrEqual(0);
          expect(Array.from(max).length).toBeLessThanOrEqual(65);
        }
      }),
    );
  });

  it('uses the ASCII tie-breaker when it can', () => {
    expect(truncateMax('a'.repeat(40))).toBe(`${'a'.repeat(32)}\u007f`);
    expect(truncateMax(`${'a'.repeat(32)}é`)).toBe(`${'a'.repeat(32)}\u{10ffff}`);
    expect(truncateMax('\u{10ffff}'.repeat(70))).toBeUndefined();
  });
});

describe('collectStats', () => {
  it('encodes each type as Delta expects and keys nested columns', () => {
    const ts = new A.TimestampMicrosecond('UTC');
    const schema = struct(
      field('t', 'timestamp'),
      field('d', decimal(10, 2)),
      field('b', 'boolean'),
      field('s', struct(field('x', 'double'))),
      field('gone', 'string'),
    );
    const words = (v: bigint) => [Number(v & 0xffffffffn), Number((v >> 32n) & 0xffffffffn), 0, 0];
    const decData = A.makeData({
      type: new A.Decimal(2, 10, 128),
      length: 2,
      nullCount: 0,
      data: new Uint32Array(
        [...words(12345n), ...words(-5n)].map((w, i) => (i % 4 >= 2 && i >= 4 ? 0xffffffff : w)),
      ),
    });
    const table = new A.Table({
      t: A.makeVector(
        A.makeData({ type: ts, length: 2, nullCount: 0, data: new BigInt64Array([1_500_999n, -1n]) }),
      ),
      d: A.makeVector(decData),
      b: A.vectorFromArray([true, null], new A.Bool()),
      s: A.makeVector(
        A.makeData({
          type: new A.Struct([new A.Field('x', new A.Float64())]),
          length: 2,
          nullCount: 0,
          children: [A.vectorFromArray([1.5, Number.NaN], new A.Float64()).data[0] as A.Data],
        }),
      ),
    });
    const stats = JSON.parse(collectStats(table, schema));
    expect(stats).toEqual({
      numRecords: 2,
      minValues: { t: '1969-12-31T23:59:59.999Z', d: -0.05, s: { x: 1.5 } },
      maxValues: { t: '1970-01-01T00:00:01.500Z', d: 123.45, s: { x: 1.5 } },
      nullCount: { t: 0, d: 0, b: 1, s: { x: 0 }, gone: 2 },
    });
  });

  it('honours dataSkippingNumIndexedCols', () => {
    const schema = struct(field('a', 'integer'), field('b', 'integer'));
    const table = new A.Table({
      a: A.vectorFromArray([1], new A.Int32()),
      b: A.vectorFromArray([2], new A.Int32()),
    });
    const stats = JSON.parse(
      collectStats(table, schema, { configuration: { 'delta.dataSkippingNumIndexedCols': '1' } }),
    );
    expect(stats.minValues).toEqual({ a: 1 });
  });
});

describe('type widening rules', () => {
  const prims = [
    'byte',
    'short',
    'integer',
    'long',
    'float',
    'double',
    'date',
    'timestamp_ntz',
    'string',
  ] as const;
  it('allows exactly the widenings of the protocol', () => {
    for (const a of prims) expect(isWidening(a, a)).toBe(false);
    // integral chain is transitive
    const chain = ['byte', 'short', 'integer', 'long'] as const;
    for (let i = 0; i < chain.length; i++)
      for (let j = 0; j < chain.length; j++)
        expect(isWidening(chain[i] as string as 'byte', chain[j] as string as 'byte')).toBe(i < j);
    expect(isWidening('float', 'double')).toBe(true);
    expect(isWidening('integer', 'double')).toBe(true);
    expect(isWidening('long', 'double')).toBe(false);
    expect(isWidening('date', 'timestamp_ntz')).toBe(true);
    expect(isWidening('string', 'long')).toBe(false);
    expect(isWidening('integer', decimal(10, 0))).toBe(true);
    expect(isWidening('integer', decimal(10, 2))).toBe(false);
    expect(isWidening(decimal(10, 2), decimal(12, 4))).toBe(true);
    expect(isWidening(decimal(10, 2), decimal(11, 3))).toBe(true);
    expect(isWidening(decimal(10, 2), decimal(10, 3))).toBe(false);
  });
});
