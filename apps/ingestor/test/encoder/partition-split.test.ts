import {
  Bool,
  DateDay,
  Float64,
  Int64,
  makeData,
  makeVector,
  Table,
  TimestampMicrosecond,
  TimestampMillisecond,
  Utf8,
  vectorFromArray,
} from 'apache-arrow';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PartitionColumnError, splitByPartition } from '../../src/encoder/partition-split.js';

describe('splitByPartition', () => {
  it('returns the batch unchanged without partition columns', () => {
    const t = new Table({ a: vectorFromArray([1, 2]) });
    expect(splitByPartition(t, [])).toEqual([{ values: {}, table: t, runs: [[0, 2]] }]);
  });

  it('groups rows by value, drops the partition columns, keeps row order', () => {
    const t = new Table({
      region: vectorFromArray(['eu', 'eu', 'us', null, 'eu'], new Utf8()),
      id: vectorFromArray([1n, 2n, 3n, 4n, 5n], new Int64()),
    });
    const groups = splitByPartition(t, ['region']);
    expect(
      groups.map((g) => [
        g.values,
        g.table.schema.fields.map((f) => f.name),
        g.table.getChild('id')?.toArray(),
      ]),
    ).toEqual([
      [{ region: 'eu' }, ['id'], BigInt64Array.from([1n, 2n, 5n])],
      [{ region: 'us' }, ['id'], BigInt64Array.from([3n])],
      [{ region: null }, ['id'], BigInt64Array.from([4n])],
    ]);
  });

  it('serializes values as Delta partition values, timestamps to the microsecond', () => {
    const micros = BigInt(Date.UTC(2024, 1, 29, 10, 30, 0, 5)) * 1000n + 7n;
    const t = new Table({
      d: vectorFromArray([new Date(Date.UTC(2024, 1, 29))], new DateDay()),
      ts: vectorFromArray([new Date(Date.UTC(2024, 1, 29, 10, 30, 0, 5))], new TimestampMillisecond('UTC')),
      us: makeVector(
        makeData({ type: new TimestampMicrosecond('UTC'), length: 1, data: BigInt64Array.of(micros) }),
      ),
      b: vectorFromArray([false], new Bool()),
      n: vectorFromArray([42n], new Int64()),
      v: vectorFromArray([1]),
    });
    expect(splitByPartition(t, ['d', 'ts', 'us', 'b', 'n'])[0]?.values).toEqual({
      d: '2024-02-29',
      ts: '2024-02-29 10:30:00.005000',
      us: '2024-02-29 10:30:00.005007',
      b: 'false',
      n: '42',
    });
  });

  it('treats a partition column the batch lacks as null', () => {
    const t = new Table({ v: vectorFromArray([1, 2]) });
    const groups = splitByPartition(t, ['missing']);
    expect(groups).toHaveLength(1);
    expect(groups[0]?.values).toEqual({ missing: null });
    expect(groups[0]?.table.numRows).toBe(2);
  });

  it('refuses partition columns of other types', () => {
    const t = new Table({ f: vectorFromArray([1.5], new Float64()) });
    expect(() => splitByPartition(t, ['f'])).toThrow(PartitionColumnError);
  });

  it('keeps every row exactly once (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('a', 'b', 'c', null), { minLength: 1, maxLength: 50 }), (keys) => {
        const ids = keys.map((_, i) => BigInt(i));
        const t = new Table({ k: vectorFromArray(keys, new Utf8()), id: vectorFromArray(ids, new Int64()) });
        const groups = splitByPartition(t, ['k']);
        const seen = groups.flatMap((g) =>
          [...((g.table.getChild('id')?.toArray() ?? []) as BigInt64Array)].map((id) => [id, g.values.k]),
        );
        expect(seen.map(([id]) => id).sort((a, b) => Number(a) - Number(b))).toEqual(ids);
        for (const [id, k] of seen) expect(k).toBe(keys[Number(id)]);
      }),
    );
  });
});
