import { describe, expect, it } from 'vitest';
import { BatchBuilder } from '../src/arrow/batch.js';
import { rowsFromTable } from '../src/arrow/read.js';
import {
  Binary,
  DateTime,
  Decimal128,
  SqlDate,
  SqlDecimal,
  SqlTime,
  SqlTimestamp,
} from '../src/bson/values.js';
import { Decoder } from '../src/debezium/record.js';
import { compareSequence, sequenceOf } from '../src/debezium/sequence.js';
import type { ChangeEvent } from '../src/debezium/types.js';

function event(after: Map<string, unknown>, i = 0): ChangeEvent {
  return {
    kind: 'change',
    op: 'c',
    connector: 'relational',
    source: {
      connector: 'postgresql',
      name: 'n',
      db: 'd',
      collection: 's.t',
      snapshot: null,
      version: null,
      txId: null,
    },
    key: null,
    keyCanonical: null,
    after: after as never,
    before: null,
    patch: null,
    unavailable: [],
    tsMs: 1,
    sourceTsMs: 1,
    seq: sequenceOf([i, i]),
    record: { topic: 't', partition: 0, offset: BigInt(i), timestampMs: null },
  };
}

function build(rows: Map<string, unknown>[], options = {}) {
  const b = new BatchBuilder(options);
  for (const [i, r] of rows.entries()) b.append(event(r, i));
  return b.finish();
}
const type = (r: ReturnType<typeof build>, name: string) =>
  String(r.schema.fields.find((f) => f.name === name)?.type);

describe('relational values in Arrow', () => {
  it('dates, times, timestamps, decimals and bytes get their Delta-friendly types', () => {
    const r = build([
      new Map<string, unknown>([
        ['d', new SqlDate(10957)],
        ['t', new SqlTime(3_723_004_005n)],
        ['ts', new SqlTimestamp(1_700_000_000_123_456n)],
        ['dec', new SqlDecimal(12345n, 2, 10)],
        ['b', new Binary(0, Uint8Array.of(1, 2, 3))],
      ]),
    ]);
    expect(type(r, 'd')).toBe('Date32<DAY>');
    expect(type(r, 't')).toBe('Utf8');
    expect(r.table.getChild('t')?.get(0)).toBe('01:02:03.004005');
    expect(type(r, 'ts')).toBe('Timestamp<MICROSECOND, UTC>');
    expect(r.table.getChild('ts')?.data[0]?.values[0]).toBe(1_700_000_000_123_456n);
    expect(type(r, 'dec')).toBe('Decimal[10e+2]');
    expect(type(r, 'b')).toBe('Binary');
    const [row] = rowsFromTable(r.table, { dataOnly: true });
    expect(String(row?.get('dec'))).toBe('123.45');
    expect(row?.get('ts')).toEqual(new SqlTimestamp(1_700_000_000_123_456n));
  });
});

describe('edge cases of the mapping', () => {
  it('a binary column keeps its first subtype; other subtypes go to the overflow column', () => {
    const r = build([
      new Map([['b', new Binary(0, Uint8Array.of(1))]]),
      new Map([['b', new Binary(5, Uint8Array.of(2))]]),
    ]);
    expect(r.resolutions[0]).toMatchObject({ kind: 'overflow', path: 'b', types: ['binary(05)'] });
    expect(type(r, 'b')).toBe('Binary');
    expect(r.table.getChild('b__ejson')?.get(1)).toBe('{"$binary":{"base64":"Ag==","subType":"05"}}');
  });

  it('dates beyond the µs range are kept exactly as Extended JSON in the overflow column', () => {
    const far = new DateTime(9_300_000_000_000_000n);
    const near = new DateTime(1_700_000_000_000n);
    const r = build([new Map([['at', far]]), new Map([['at', near]])]);
    expect(r.table.getChild('at__ejson')?.get(0)).toBe('{"$date":{"$numberLong":"9300000000000000"}}');
    expect(type(r, 'at')).toBe('Timestamp<MICROSECOND, UTC>');
    expect(rowsFromTable(r.table, { dataOnly: true }).map((x) => x.get('at'))).toEqual([far, near]);
  });

  it('decimal128 as decimal(p,s) when configured; values that do not fit fall back', () => {
    const ok = build([new Map([['x', new Decimal128('12.5')]])], { decimal128: { precision: 10, scale: 2 } });
    expect(type(ok, 'x')).toBe('Decimal[10e+2]');
    expect(String(rowsFromTable(ok.table, { dataOnly: true })[0]?.get('x'))).toBe('12.50');
    const wide = build(
      [new Map([['x', new Decimal128('12.5')]]), new Map([['x', new Decimal128('1.234')]])],
      {
        decimal128: { precision: 10, scale: 2 },
      },
    );
    // decimal(p,s) keeps values, not Decimal128's exponent: 12.5 is stored as 12.50
    expect(type(wide, 'x')).toBe('Decimal[10e+2]');
    expect(wide.table.getChild('x__ejson')?.toArray()).toEqual([null, '{"$numberDecimal":"1.234"}']);
    expect(wide.resolutions[0]).toMatchObject({ kind: 'overflow', path: 'x' });
  });

  it('deep nesting within the limit converts; beyond it the decoder refuses with nesting_too_deep', () => {
    const depth = 40;
    const after = `${'{"a": '.repeat(depth)}1${'}'.repeat(depth)}`;
    const value = JSON.stringify({ after, source: { connector: 'mongodb', ts_ms: 1, ord: 1 }, op: 'c' });
    const d = new Decoder().decode({ topic: 't', partition: 0, offset: 0, key: '{"id":"1"}', value });
    expect(d.kind).toBe('change');
    const b = new BatchBuilder();
    b.append(d as ChangeEvent);
    expect(b.finish().rows).toBe(1);
    expect(
      new Decoder({ maxDepth: 20 }).decode({ topic: 't', partition: 0, offset: 0, key: null, value }),
    ).toMatchObject({
      kind: 'failure',
      reason: 'nesting_too_deep',
    });
  });
});

describe('source sequence', () => {
  it('orders by parts, and its text orders the same way', () => {
    const a = sequenceOf([1745949565000, 2]);
    const b = sequenceOf([1745949565000, 10]);
    const c = sequenceOf([1745949566000, 1]);
    expect(compareSequence(a, b)).toBe(-1);
    expect(compareSequence(c, b)).toBe(1);
    expect([c.text, b.text, a.text].sort()).toEqual([a.text, b.text, c.text]);
  });
});

describe('tombstones of relational topics', () => {
  it('the connector hint parses a PK key whose value looks like JSON text', () => {
    const key = '{"id":"123"}';
    expect(
      new Decoder({ connector: 'relational' }).decode({
        topic: 'pg',
        partition: 0,
        offset: 0,
        key,
        value: null,
      }),
    ).toMatchObject({
      kind: 'tombstone',
      keyCanonical: '{"id":"123"}',
    });
  });
});
