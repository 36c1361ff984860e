/**
 * `dataFromValues` builds Arrow buffers by hand instead of through apache-arrow's builders (a checkpoint's mostly
 * null rows made those the cost of a checkpoint). The builders are the oracle: for any values of the types
 * checkpoints use — nested structs, string maps, string lists, int64 as numbers, bigints or `JsonNumber`s, unicode
 * strings, nulls at every level — both give the same column. And checkpoints encoded a few actions at a time decode
 * to the actions encoded in one piece.
 */
import * as A from 'apache-arrow';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Action } from '../src/actions.js';
import { checkpointActionsFromParquet } from '../src/checkpoint/read.js';
import { encodeCheckpoint } from '../src/checkpoint/write.js';
import { readParquet } from '../src/parquet.js';
import { dataFromValues } from '../src/util/arrow-columns.js';
import { JsonNumber } from '../src/util/json.js';

const f = (name: string, type: A.DataType, nullable = true) => new A.Field(name, type, nullable);
const strMap = () =>
  new A.Map_(
    f('key_value', new A.Struct([f('key', new A.Utf8(), false), f('value', new A.Utf8())]), false) as never,
  );
const type = new A.Struct([
  f('path', new A.Utf8()),
  f('size', new A.Int64()),
  f('offset', new A.Int32()),
  f('dataChange', new A.Bool()),
  f('partitionValues', strMap()),
  f('features', new A.List(f('element', new A.Utf8()))),
  f('dv', new A.Struct([f('storageType', new A.Utf8()), f('cardinality', new A.Int64())])),
]);

const nullish = <T>(arb: fc.Arbitrary<T>) => fc.oneof(arb, fc.constant(null), fc.constant(undefined));
const int64 = fc.oneof(
  fc.maxSafeInteger().map((n) => (n % 2 === 0 ? n : -n)),
  fc.bigInt(-(2n ** 63n), 2n ** 63n - 1n),
  fc.bigInt(-(2n ** 63n), 2n ** 63n - 1n).map((n) => new JsonNumber(String(n))),
);
const text = fc.string({ unit: 'grapheme', maxLength: 30 });
const row = nullish(
  fc.record(
    {
      path: nullish(text),
      size: nullish(int64),
      offset: nullish(fc.integer()),
      dataChange: nullish(fc.boolean()),
      partitionValues: nullish(fc.dictionary(text, nullish(text), { maxKeys: 3 })),
      features: nullish(fc.array(nullish(text), { maxLength: 3 })),
      dv: nullish(fc.record({ storageType: nullish(text), cardinality: nullish(int64) })),
    },
    { requiredKeys: [] },
  ),
);

/** What the builders take: Maps for map columns, bigints for int64, null for undefined. */
function forBuilder(value: unknown, t: A.DataType): unknown {
  if (value === undefined || value === null) return null;
  if (A.DataType.isStruct(t)) {
    return Object.fromEntries(
      t.children.map((c) => [c.name, forBuilder((value as Record<string, unknown>)[c.name], c.type)]),
    );
  }
  if (A.DataType.isMap(t)) {
    return new Map(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, v ?? null]));
  }
  if (A.DataType.isList(t)) return (value as unknown[]).map((v) => v ?? null);
  if (A.DataType.isInt(t) && t.bitWidth === 64) return BigInt(String(value));
  return value;
}

const plain = (v: A.Vector) =>
  JSON.stringify(v.toJSON(), (_, x) => (typeof x === 'bigint' ? `${x}n` : x instanceof Map ? [...x] : x));

describe('dataFromValues', () => {
  it('builds the column apache-arrow builders build, nulls and all', () => {
    fc.assert(
      fc.property(fc.array(row, { maxLength: 40 }), (rows) => {
        const ours = A.makeVector(dataFromValues(type, rows));
        const builder = A.makeBuilder({ type, nullValues: [null, undefined] });
        for (const r of rows) builder.append(forBuilder(r, type) as never);
        const theirs = A.makeVector(builder.finish().flush());
        expect(ours.length).toBe(rows.length);
        expect(ours.nullCount).toBe(theirs.nullCount);
        expect(plain(ours)).toBe(plain(theirs));
      }),
      { numRuns: 300 },
    );
  });

  it('refuses a type it has no rule for', () => {
    expect(() => dataFromValues(new A.Float64(), [1.5])).toThrow(/no column of type/);
  });
});

describe('encodeCheckpoint in chunks', () => {
  const actions: Action[] = [
    { protocol: { minReaderVersion: 1, minWriterVersion: 2 } },
    {
      metaData: {
        id: 'm',
        format: { provider: 'parquet', options: {} },
        schemaString: '{"type":"struct","fields":[]}',
        partitionColumns: [],
        configuration: {},
      },
    },
    ...Array.from({ length: 9 }, (_, i) => ({
      add: { path: `p${i}.parquet`, partitionValues: {}, size: i, modificationTime: i, dataChange: true },
    })),
    ...Array.from({ length: 6 }, (_, i) => ({
      remove: { path: `r${i}.parquet`, deletionTimestamp: 1_000 + i, dataChange: false, size: i },
    })),
  ];

  it('decodes to the same actions whatever the chunk size', async () => {
    const whole = await encodeCheckpoint(actions, false);
    expect(whole.numActions).toBe(actions.length);
    for (const chunkRows of [1, 2, 5, 16]) {
      const chunked = await encodeCheckpoint(actions, false, chunkRows);
      expect(chunked.numActions).toBe(actions.length);
      expect(readParquet(chunked.bytes).numRows).toBe(actions.length);
      expect(checkpointActionsFromParquet(chunked.bytes, 'cp')).toEqual(
        checkpointActionsFromParquet(whole.bytes, 'cp'),
      );
    }
  });

  it('fails with the error the actions threw, not the encoder’s', async () => {
    function* failing(): Generator<Action> {
      yield* actions.slice(0, 4);
      throw new Error('tombstones went away');
    }
    await expect(encodeCheckpoint(failing(), false, 2)).rejects.toThrow('tombstones went away');
  });
});
