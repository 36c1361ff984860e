/**
 * `@delta-writer/delta-log/files` statistics: the formatter (`statsJson`) fed by leaf statistics read from Arrow
 * (`arrowLeafStatistics`), per type, with the data-skipping configuration, and as a model (property).
 */
import {
  Bool,
  type DataType,
  DateDay,
  Decimal,
  Field,
  Float32,
  Float64,
  Int32,
  Int64,
  List,
  makeData,
  makeVector,
  Struct,
  Table,
  TimestampMicrosecond,
  TimestampMillisecond,
  Utf8,
  type Vector,
  vectorFromArray,
} from 'apache-arrow';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  arrowLeafStatistics,
  deltaSchemaOfArrow,
  type StatsOptions,
  statsJson,
  truncateMax,
  truncateMin,
} from '../src/files/index.js';

/** No lone surrogates: those have no UTF-8 form. */
const wellFormed = (s: string) => !/\p{Cs}/u.test(s);
const cpCompare = (a: string, b: string) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
const tableOf = (columns: Record<string, Vector<DataType>>) => new Table(columns);
const statsText = (t: Table, options: StatsOptions = {}) =>
  statsJson(deltaSchemaOfArrow(t.schema), t.numRows, arrowLeafStatistics(t), options);
const stats = (t: Table, numIndexedCols?: number) =>
  JSON.parse(
    statsText(
      t,
      numIndexedCols === undefined
        ? {}
        : { configuration: { 'delta.dataSkippingNumIndexedCols': String(numIndexedCols) } },
    ),
  );

describe('statsJson of Arrow data', () => {
  it('computes min, max and null counts per type', () => {
    const t = tableOf({
      i: vectorFromArray([3, null, -7, 12], new Int32()),
      d: vectorFromArray([1.5, Number.NaN, null, -2.25], new Float64()),
      s: vectorFromArray(['pear', 'apple', null, 'zebra'], new Utf8()),
      b: vectorFromArray([true, null, false, true], new Bool()),
      day: vectorFromArray(
        [new Date(Date.UTC(2024, 0, 2)), null, new Date(Date.UTC(1999, 11, 31)), null],
        new DateDay(),
      ),
    });
    expect(stats(t)).toEqual({
      numRecords: 4,
      minValues: { i: -7, d: -2.25, s: 'apple', day: '1999-12-31' },
      maxValues: { i: 12, d: 1.5, s: 'zebra', day: '2024-01-02' },
      nullCount: { i: 1, d: 1, s: 1, b: 1, day: 2 },
    });
  });

  it('keeps int64 bounds exact beyond 2^53', () => {
    const big = 2n ** 62n + 1n;
    const t = tableOf({ l: vectorFromArray([big, -big, 5n], new Int64()) });
    const text = statsText(t);
    expect(text).toContain(`"minValues":{"l":${-big}}`);
    expect(text).toContain(`"maxValues":{"l":${big}}`);
  });

  it('writes decimals as exact numbers with their scale', () => {
    // unscaled 12345 and -5 at scale 2, as little-endian 32-bit words
    const data = makeData({
      type: new Decimal(2, 10, 128),
      length: 2,
      data: new Uint32Array([12345, 0, 0, 0, 0xfffffffb, 0xffffffff, 0xffffffff, 0xffffffff]),
    });
    const t = new Table({ dec: makeVector(data) });
    expect(statsText(t)).toBe(
      '{"numRecords":2,"minValues":{"dec":-0.05},"maxValues":{"dec":123.45},"nullCount":{"dec":0}}',
    );
  });

  it('truncates timestamps to milliseconds and marks UTC', () => {
    const t = tableOf({
      utc: vectorFromArray([new Date(Date.UTC(2024, 4, 1, 12, 0, 0, 123))], new TimestampMillisecond('UTC')),
      ntz: vectorFromArray([new Date(Date.UTC(2024, 4, 1))], new TimestampMicrosecond()),
    });
    const s = stats(t);
    expect(s.minValues).toEqual({ utc: '2024-05-01T12:00:00.123Z', ntz: '2024-05-01T00:00:00.000' });
  });

  it('leaves out infinite bounds and all-null columns', () => {
    const t = tableOf({
      f: vectorFromArray([Number.NEGATIVE_INFINITY, 1, 2], new Float64()),
      n: vectorFromArray([null, null, null], new Int32()),
      nan: vectorFromArray([Number.NaN, Number.NaN, null], new Float64()),
    });
    const s = stats(t);
    expect(s.minValues).toBeUndefined(); // no bound at all: left out of the JSON
    expect(s.maxValues).toEqual({ f: 2 });
    expect(s.nullCount).toEqual({ f: 0, n: 3, nan: 1 });
  });

  it('prints float32 bounds in their shortest exact form', () => {
    const s = stats(tableOf({ f: vectorFromArray([0.234, 46.566], new Float32()) }));
    expect(s.minValues.f).toBe(0.234);
    expect(s.maxValues.f).toBe(46.566);
  });

  it('nests struct stats and counts a null struct as null leaves', () => {
    const type = new Struct([new Field('x', new Int32(), true), new Field('y', new Utf8(), true)]);
    const t = tableOf({
      st: vectorFromArray([{ x: 1, y: 'a' }, null, { x: null, y: 'c' }, { x: 9, y: null }], type),
    });
    expect(stats(t)).toEqual({
      numRecords: 4,
      minValues: { st: { x: 1, y: 'a' } },
      maxValues: { st: { x: 9, y: 'c' } },
      nullCount: { st: { x: 2, y: 2 } },
    });
  });

  it('gives lists a null count only', () => {
    const t = tableOf({
      l: vectorFromArray([[1, 2], null, []], new List(new Field('item', new Int32(), true))),
    });
    expect(stats(t)).toEqual({ numRecords: 3, nullCount: { l: 1 } });
  });

  it('indexes only the first N leaf columns, counting struct leaves', () => {
    const type = new Struct([new Field('x', new Int32(), true), new Field('y', new Int32(), true)]);
    const t = tableOf({
      a: vectorFromArray([1], new Int32()),
      st: vectorFromArray([{ x: 2, y: 3 }], type),
      z: vectorFromArray([4], new Int32()),
    });
    expect(stats(t, 2).nullCount).toEqual({ a: 0, st: { x: 0 } });
    expect(stats(t, 0)).toEqual({ numRecords: 1 });
    expect(Object.keys(stats(t).nullCount)).toEqual(['a', 'st', 'z']);
  });

  it('skips the given (partition) columns', () => {
    const t = tableOf({ p: vectorFromArray([1], new Int32()), v: vectorFromArray([2], new Int32()) });
    expect(JSON.parse(statsText(t, { exclude: ['p'] })).nullCount).toEqual({ v: 0 });
  });

  it('combines several record batches', () => {
    const table = tableOf({ i: vectorFromArray([5, null], new Int32()) }).concat(
      tableOf({ i: vectorFromArray([-1, 8], new Int32()) }),
    );
    expect(table.batches).toHaveLength(2);
    expect(stats(table)).toEqual({
      numRecords: 4,
      minValues: { i: -1 },
      maxValues: { i: 8 },
      nullCount: { i: 1 },
    });
  });

  it('escapes column names and strings in JSON', () => {
    const t = tableOf({ 'we"ird': vectorFromArray(['a"b\n'], new Utf8()) });
    expect(JSON.parse(statsText(t)).minValues).toEqual({ 'we"ird': 'a"b\n' });
  });
});

describe('string truncation', () => {
  it('truncates to 32 code points, the max with a tie-breaker', () => {
    const long = 'a'.repeat(40);
    expect(truncateMin(long)).toBe('a'.repeat(32));
    expect(truncateMax(long)).toBe(`${'a'.repeat(32)}\u007f`);
    expect(truncateMax(`${'a'.repeat(32)}é${'b'.repeat(5)}`)).toBe(`${'a'.repeat(32)}\u{10FFFF}`);
    expect(truncateMin('🙂'.repeat(33))).toBe('🙂'.repeat(32));
    expect(truncateMax('\u{10FFFF}'.repeat(70))).toBeUndefined();
    expect(truncateMax(`${'a'.repeat(32)}${'\u{10FFFF}'.repeat(3)}b`)).toBe(
      `${'a'.repeat(32)}${'\u{10FFFF}'.repeat(3)}\u007f`,
    );
  });

  it('min ≤ value ≤ max in code-point order, and short strings stay exact (property)', () => {
    const str = fc.string({ unit: 'binary', maxLength: 80 }).filter(wellFormed);
    fc.assert(
      fc.property(str, (s) => {
        const lo = truncateMin(s);
        const hi = truncateMax(s);
        expect(cpCompare(lo, s)).toBeLessThanOrEqual(0);
        expect(Array.from(lo).length).toBeLessThanOrEqual(32);
        if (hi !== undefined) expect(cpCompare(hi, s)).toBeGreaterThanOrEqual(0);
        if (Array.from(s).length <= 32) expect([lo, hi]).toEqual([s, s]);
      }),
      { numRuns: 500 },
    );
  });
});

type Bounds = Record<string, number | bigint | string | undefined>;

describe('stats model (property)', () => {
  const row = fc.record({
    i: fc.option(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })),
    l: fc.option(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })),
    d: fc.option(fc.double()),
    s: fc.option(fc.string({ unit: 'binary', maxLength: 40 }).filter(wellFormed)),
    st: fc.option(fc.record({ x: fc.option(fc.integer({ min: -100, max: 100 })) })),
  });

  it('bounds every non-null value and counts nulls exactly', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(row, { minLength: 1, maxLength: 20 }), { minLength: 1, maxLength: 3 }),
        (batches) => {
          const tables = batches.map((rows) =>
            tableOf({
              i: vectorFromArray(
                rows.map((r) => r.i),
                new Int32(),
              ),
              l: vectorFromArray(
                rows.map((r) => r.l),
                new Int64(),
              ),
              d: vectorFromArray(
                rows.map((r) => r.d),
                new Float64(),
              ),
              s: vectorFromArray(
                rows.map((r) => r.s),
                new Utf8(),
              ),
              st: vectorFromArray(
                rows.map((r) => r.st),
                new Struct([new Field('x', new Int32(), true)]),
              ),
            }),
          );
          const table = tables.slice(1).reduce((a, b) => a.concat(b), tables[0] as Table);
          const rows = batches.flat();
          const text = statsText(table);
          const s = JSON.parse(text) as {
            numRecords: number;
            minValues: Bounds;
            maxValues: Bounds;
            nullCount: unknown;
          };
          // Longs are exact integer literals in the text: read them back as bigints.
          const long = (tree: string) => {
            const m = new RegExp(`"${tree}":\\{[^}]*?"l":(-?\\d+)`).exec(text);
            return m ? BigInt(m[1] as string) : undefined;
          };
          s.minValues ??= {};
          s.maxValues ??= {};
          const present = <T>(xs: (T | null)[]) => xs.filter((x): x is T => x !== null);

          expect(s.numRecords).toBe(rows.length);
          expect(s.nullCount).toEqual({
            i: rows.filter((r) => r.i === null).length,
            l: rows.filter((r) => r.l === null).length,
            d: rows.filter((r) => r.d === null).length,
            s: rows.filter((r) => r.s === null).length,
            st: { x: rows.filter((r) => r.st === null || r.st.x === null).length },
          });

          const ints = present(rows.map((r) => r.i));
          expect(s.minValues.i).toBe(ints.length ? Math.min(...ints) : undefined);
          expect(s.maxValues.i).toBe(ints.length ? Math.max(...ints) : undefined);

          const longs = present(rows.map((r) => r.l)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
          expect(long('minValues')).toEqual(longs[0]);
          expect(long('maxValues')).toEqual(longs.at(-1));

          const doubles = present(rows.map((r) => r.d)).filter((x) => !Number.isNaN(x));
          const [dmin, dmax] = [Math.min(...doubles), Math.max(...doubles)];
          expect(s.minValues.d).toBe(doubles.length && Number.isFinite(dmin) ? dmin : undefined);
          expect(s.maxValues.d).toBe(doubles.length && Number.isFinite(dmax) ? dmax : undefined);

          const strings = present(rows.map((r) => r.s));
          for (const v of strings) {
            expect(cpCompare(s.minValues.s as string, v)).toBeLessThanOrEqual(0);
            if (s.maxValues.s !== undefined)
              expect(cpCompare(s.maxValues.s as string, v)).toBeGreaterThanOrEqual(0);
          }
          if (strings.length === 0) expect(s.minValues.s).toBeUndefined();
        },
      ),
      { numRuns: 200 },
    );
  });
});
