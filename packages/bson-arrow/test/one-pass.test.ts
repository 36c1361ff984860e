/**
 * The one-pass decoder (`decodeBatch`: record bytes straight into the columns) against its oracle, the reference
 * decoder (`Decoder` on its reference path, every document a `Map`, then `BatchBuilder.append`): for the same records —
 * random events of every dialect, the e2e generator's collections, the captured fixtures, and hostile bytes — the Arrow
 * batches must be byte-identical, the Delta statistics kept while appending identical (and equal to statistics read
 * from the finished Arrow data), and the failures the same records with the same reasons and messages.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Data, DataType, type Field, type Schema, type Table, tableToIPC } from 'apache-arrow';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { poisonRecord, SMALL_POISON } from '../../../e2e/src/generator/poison.js';
import { Random } from '../../../e2e/src/generator/random.js';
import { standardCollections, Workload } from '../../../e2e/src/generator/workload.js';
import { BatchBuilder } from '../src/arrow/batch.js';
import type { LeafStatistics } from '../src/arrow/statistics.js';
import { ObjectId } from '../src/bson/values.js';
import { encodeMongoEvent, encodeMongoKey } from '../src/debezium/encoder.js';
import { Decoder } from '../src/debezium/record.js';
import type { KafkaRecord } from '../src/debezium/types.js';
import { DecodeError } from '../src/errors.js';
import {
  type DecodeBatchOptions,
  type DecodedBatch,
  decodeBatch,
  type RecordSlab,
} from '../src/fast/batch.js';
import { TESTDATA, testdataFile } from './helpers.js';
import { mongoRecord } from './records.js';

type Raw = { key: string | Uint8Array | null; value: string | Uint8Array | null };

const bytesOf = (v: string | Uint8Array | null) =>
  v === null ? null : typeof v === 'string' ? Buffer.from(v, 'utf8') : Buffer.from(v);

/** Packs records as the ingestor does: one byte array, index arrays. */
function slabOf(records: readonly Raw[], topic = 'n.d.c', partition = 1): RecordSlab {
  const parts = records.map((r) => [bytesOf(r.key), bytesOf(r.value)] as const);
  const size = parts.reduce((n, [k, v]) => n + (k?.length ?? 0) + (v?.length ?? 0), 0);
  const bytes = new Uint8Array(size);
  const bounds = new Int32Array(records.length * 4);
  let at = 0;
  parts.forEach((pair, i) => {
    pair.forEach((b, j) => {
      if (b === null) bounds.set([-1, -1], i * 4 + j * 2);
      else {
        bytes.set(b, at);
        bounds.set([at, at + b.length], i * 4 + j * 2);
        at += b.length;
      }
    });
  });
  const offsets = BigInt64Array.from(records, (_, i) => BigInt(100 + i));
  const timestamps = Float64Array.from(records, (_, i) => 1_700_000_000_000 + i);
  return { topic, partition, count: records.length, bytes, bounds, offsets, timestamps };
}

/**
 * The oracle: the reference decoder, record by record, into a `BatchBuilder` (a row the batch refuses — too many
 * columns — fails its record, as the ingestor's reference route does).
 */
function reference(slab: RecordSlab, options: DecodeBatchOptions = {}) {
  const decoder = new Decoder({ ...options, fastPath: false });
  const builder = new BatchBuilder(options);
  const failures: DecodedBatch['failures'] = [];
  for (let i = 0; i < slab.count; i++) {
    const part = (at: number) => {
      const start = slab.bounds[i * 4 + at] as number;
      return start < 0 ? null : slab.bytes.subarray(start, slab.bounds[i * 4 + at + 1]);
    };
    const r: KafkaRecord = {
      topic: slab.topic,
      partition: slab.partition,
      offset: slab.offsets[i] as bigint,
      timestamp: slab.timestamps[i] as number,
      key: part(0),
      value: part(2),
    };
    const d = decoder.decode(r);
    if (d.kind === 'failure') failures.push({ index: i, reason: d.reason, message: d.message });
    else if (d.kind === 'change') {
      try {
        builder.append(d);
      } catch (e) {
        if (!(e instanceof DecodeError)) throw e;
        failures.push({ index: i, reason: e.reason, message: e.message });
      }
    }
  }
  return { ...builder.finish(), failures };
}

/** Every leaf path of a schema, as Delta statistics see them: struct fields walked, everything else a leaf. */
function leaves(fields: readonly Field[], path: string[] = []): string[][] {
  return fields.flatMap((f) =>
    DataType.isStruct(f.type) ? leaves(f.type.children, [...path, f.name]) : [[...path, f.name]],
  );
}

/** Statistics of one leaf read back from the Arrow data: an independent check of what the builders kept. */
function arrowLeafStatistics(table: Table, path: readonly string[]): LeafStatistics {
  let nullCount = 0;
  let min: number | bigint | string | undefined;
  let max: number | bigint | string | undefined;
  const compare = (a: number | bigint | string, b: number | bigint | string): number => {
    if (typeof a === 'string') return Buffer.compare(Buffer.from(a), Buffer.from(b as string));
    const y = b as number | bigint;
    return a < y ? -1 : a > y ? 1 : 0;
  };
  for (const batch of table.batches) {
    for (let row = 0; row < batch.numRows; row++) {
      let data: Data = batch.data;
      let valid = true;
      for (const name of path) {
        const index = (data.type.children as Field[]).findIndex((f) => f.name === name);
        data = data.children[index] as Data;
        if (!data.getValid(row)) valid = false;
      }
      if (!valid) {
        nullCount++;
        continue;
      }
      const t = data.type;
      let v: number | bigint | string | undefined;
      if (DataType.isInt(t) || DataType.isFloat(t) || DataType.isTimestamp(t) || DataType.isDate(t))
        v = (data.values as ArrayLike<number | bigint>)[row];
      else if (DataType.isUtf8(t)) {
        const o = data.valueOffsets as Int32Array;
        v = Buffer.from(data.values.subarray(o[row], o[row + 1])).toString('utf8');
      } else if (DataType.isDecimal(t)) {
        const w = data.values as Uint32Array;
        let x = 0n;
        for (let k = 3; k >= 0; k--) x = (x << 32n) | BigInt(w[row * 4 + k] as number);
        v = BigInt.asIntN(128, x);
      }
      if (v === undefined || (typeof v === 'number' && Number.isNaN(v))) continue;
      if (typeof v === 'bigint' && v >= -(2n ** 53n) + 1n && v <= 2n ** 53n - 1n) v = Number(v);
      if (min === undefined || compare(v, min) < 0) min = v;
      if (max === undefined || compare(v, max) > 0) max = v;
    }
  }
  return min === undefined ? { nullCount } : { nullCount, min, max };
}

const text = (v: unknown) => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `${x}n` : x));

/** The whole comparison; returns the fast batch for further checks. */
function expectSame(slab: RecordSlab, options: DecodeBatchOptions = {}): DecodedBatch {
  const fast = decodeBatch(slab, options);
  const ref = reference(slab, options);
  expect(fast.failures).toEqual(ref.failures);
  expect(fast.resolutions).toEqual(ref.resolutions);
  expect(String(fast.schema)).toBe(String(ref.schema));
  expect(Buffer.from(tableToIPC(fast.table)).equals(Buffer.from(tableToIPC(ref.table)))).toBe(true);
  for (const path of leaves(fast.schema.fields)) {
    const kept = fast.statistics(path);
    expect(text(kept), path.join('.')).toBe(text(ref.statistics(path)));
    const type = leafType(fast.schema, path);
    // Bounds exist only for orderable columns; for those the kept ones equal the ones read from the data.
    const read = arrowLeafStatistics(fast.table, path);
    if (DataType.isBool(type) || DataType.isBinary(type) || DataType.isList(type))
      expect(kept).toEqual({ nullCount: read.nullCount });
    else expect(text(kept), path.join('.')).toBe(text(read));
  }
  expect(fast.fastRecords + fast.referenceRecords).toBeGreaterThanOrEqual(slab.count);
  return fast;
}

function leafType(schema: Schema, path: readonly string[]): DataType {
  let fields: readonly Field[] = schema.fields;
  let type: DataType = schema.fields[0]?.type as DataType;
  for (const name of path) {
    const f = fields.find((x) => x.name === name) as Field;
    type = f.type;
    fields = (f.type.children ?? []) as Field[];
  }
  return type;
}

/** A target schema built the reference way from other records, for the conforming (frozen-column) path. */
function targetOf(records: readonly Raw[]): Schema | null {
  if (records.length === 0) return null;
  return reference(slabOf(records)).schema;
}

/** Byte-level damage to a record: the kinds of corruption a broken producer or a bit flip makes. */
const damaged = (r: Raw): fc.Arbitrary<Raw> =>
  fc
    .tuple(
      fc.constantFrom('value', 'key'),
      fc.constantFrom('insert', 'delete', 'replace', 'truncate'),
      fc.nat(),
      fc.constantFrom(
        0x22,
        0x5c,
        0x7b,
        0x7d,
        0x2c,
        0x30,
        0x2e,
        0x65,
        0x80,
        0xc3,
        0xe0,
        0xed,
        0xff,
        0x00,
        0x0a,
        0x20,
      ),
    )
    .map(([where, how, at, byte]) => {
      const original = bytesOf(where === 'value' ? r.value : r.key);
      if (original === null || original.length === 0) return r;
      const i = at % original.length;
      let b: Buffer;
      if (how === 'insert')
        b = Buffer.concat([original.subarray(0, i), Buffer.from([byte]), original.subarray(i)]);
      else if (how === 'delete') b = Buffer.concat([original.subarray(0, i), original.subarray(i + 1)]);
      else if (how === 'replace') {
        b = Buffer.from(original);
        b[i] = byte;
      } else b = original.subarray(0, i);
      return where === 'value' ? { key: r.key, value: b } : { key: b, value: r.value };
    });

const plainRecord = mongoRecord.map(
  (r): Raw => ({ key: r.key as string | null, value: r.value as string | null }),
);
const tombstone = plainRecord.map((r): Raw => ({ key: r.key, value: null }));
const anyRecord: fc.Arbitrary<Raw> = fc.oneof(
  { weight: 6, arbitrary: plainRecord },
  { weight: 1, arbitrary: tombstone },
  { weight: 3, arbitrary: plainRecord.chain(damaged) },
);

describe('one-pass decoder ≡ reference decoder (the oracle)', () => {
  it('random MongoDB records of every dialect, tombstones and damaged bytes: same batch, stats and failures', () => {
    fc.assert(
      fc.property(fc.array(anyRecord, { minLength: 1, maxLength: 12 }), (records) => {
        expectSame(slabOf(records));
      }),
      { numRuns: 300 },
    );
  }, 120_000);

  it('the same against a table schema (frozen columns, overflow columns, new fields)', () => {
    fc.assert(
      fc.property(
        fc.array(anyRecord, { minLength: 1, maxLength: 10 }),
        fc.array(plainRecord, { minLength: 1, maxLength: 6 }),
        (records, earlier) => {
          expectSame(slabOf(records), { targetSchema: targetOf(earlier) });
        },
      ),
      { numRuns: 150 },
    );
  }, 120_000);

  it('the same under tight limits: named fields per document, columns per batch, nesting depth', () => {
    fc.assert(
      fc.property(
        fc.array(anyRecord, { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 2, max: 8 }),
        fc.boolean(),
        (records, maxDocumentFields, maxColumns, maxDepth, deep) => {
          expectSame(slabOf(records), { maxDocumentFields, maxColumns, ...(deep ? {} : { maxDepth }) });
        },
      ),
      { numRuns: 300 },
    );
  }, 120_000);

  it("the e2e generator's collections (four dialects and capture modes), with poison records between", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000 }), fc.boolean(), (seed, withPoison) => {
        const workload = new Workload({
          prefix: 'p',
          collections: standardCollections(1),
          seed,
          plannedEvents: 200,
        });
        const byTopic = new Map<string, Raw[]>();
        const add = (out: Map<string, { key: string; value: string | null }[]>) => {
          for (const [topic, list] of out) byTopic.set(topic, [...(byTopic.get(topic) ?? []), ...list]);
        };
        add(workload.snapshot(3));
        add(workload.step(60));
        const random = new Random(seed);
        for (const [topic, list] of byTopic) {
          const records = [...list];
          if (withPoison)
            for (const kind of SMALL_POISON)
              records.splice(random.int(0, records.length), 0, poisonRecord(kind, random));
          const fast = expectSame(slabOf(records, topic));
          // Both halves: the legacy and relaxed dialects are read fast; what is not (poison) is the oracle's.
          if (list.some((r) => r.value !== null)) expect(fast.fastRecords).toBeGreaterThan(0);
          const half = Math.floor(records.length / 2);
          expectSame(slabOf(records.slice(half), topic), { targetSchema: targetOf(records.slice(0, half)) });
        }
      }),
      { numRuns: 12 },
    );
  }, 300_000);

  it('the captured Debezium MongoDB fixtures, with each of their keys and as tombstones', () => {
    const dir = join(TESTDATA, 'debezium');
    const names = readdirSync(dir).filter((f) => f.startsWith('mongodb-'));
    const values = names.filter((f) => !f.includes('-key-')).map((f) => testdataFile('debezium', f));
    const keys = [null, ...names.filter((f) => f.includes('-key-')).map((f) => testdataFile('debezium', f))];
    const records: Raw[] = values.flatMap((value) => keys.map((key) => ({ key, value })));
    records.push(...keys.map((key) => ({ key, value: null })));
    const fast = expectSame(slabOf(records));
    expect(fast.fastRecords).toBeGreaterThan(0);
    expect(fast.failures.length).toBeGreaterThan(0); // keys that are not the connector's shape, at least
  });
});

describe('one-pass decoder: taking rows back', () => {
  const key = encodeMongoKey(1);
  const event = (after: string) => {
    const v = JSON.parse(
      encodeMongoEvent({
        op: 'c',
        after: new Map([['_id', 1]]),
        tsMs: 1,
        source: { name: 'n', db: 'd', collection: 'c', tsMs: 1, ord: 1 },
      }),
    ) as { after: string };
    v.after = after;
    return JSON.stringify(v);
  };

  it('a row abandoned halfway is rolled back — values, nulls and bounds — and left to the reference path', () => {
    const records: Raw[] = [
      { key, value: event('{"_id": 1, "a": "m", "b": 5}') },
      // a duplicate name: the reference path writes the row its own way (first position, last value)
      { key, value: event('{"_id": 1, "a": "a", "b": 900, "a": "z"}') },
      // a syntax error after two values: a failure, and no row
      { key, value: event('{"_id": 1, "a": "0", "b": -900, "c": }') },
      { key, value: event('{"_id": 1, "a": "k", "b": 7}') },
    ];
    const fast = expectSame(slabOf(records));
    expect(fast.fastRecords).toBe(2);
    expect(fast.referenceRecords).toBe(2);
    expect(fast.restarts).toBe(0);
    expect(fast.failures.map((f) => f.index)).toEqual([2]);
    expect(fast.statistics(['b'])).toEqual({ nullCount: 0, min: 5, max: 900 });
  });

  it('a row abandoned after it changed the schema is rebuilt, with the same result', () => {
    const records: Raw[] = [
      { key, value: event('{"_id": 1, "a": "m"}') },
      { key, value: event('{"_id": 1, "a": 5, "n": 1, "n": 2}') }, // widens `a`, then a duplicate
      { key, value: event('{"_id": 1, "a": "x", "c": [1, {"$oid": "zz"}]}') }, // new field, then an invalid ObjectId
      { key, value: event('{"_id": 1, "a": "k"}') },
    ];
    const fast = expectSame(slabOf(records));
    expect(fast.restarts).toBeGreaterThan(0);
    expect(fast.failures.map((f) => f.index)).toEqual([2]);
  });

  it('hostile batches fall back to the reference path entirely after a few restarts, still identical', () => {
    const records: Raw[] = Array.from({ length: 8 }, (_, i) => ({
      key,
      value: event(`{"_id": 1, "f${i}": ${i}, "d": 1, "d": 2}`),
    }));
    const fast = expectSame(slabOf(records));
    expect(fast.restarts).toBe(3);
    expect(fast.fastRecords).toBe(0);
  });

  it("the limits: a record near one is the reference path's, which names the failure; the rest stay fast", () => {
    const wide = (prefix: string, n: number) =>
      event(`{"_id": 1, ${Array.from({ length: n }, (_, k) => `"${prefix}${k}": ${k}`).join(', ')}}`);
    const records: Raw[] = [
      { key, value: wide('a', 10) }, // _id + 10 columns
      { key, value: wide('b', 30) }, // 30 more would make 41 > 40: too_many_columns
      { key, value: wide('a', 5) }, // columns the batch has
      { key, value: wide('c', 60) }, // over 50 named fields: too_many_fields
      { key, value: event('{"_id": 1, "a0": "été"}') },
      { key, value: wide('a', 3) },
    ];
    const values = records.map((r) => Buffer.from(r.value as string));
    // Bytes that are not UTF-8 inside a string value: invalid_utf8, never U+FFFD in the column.
    const bad = values[4] as Buffer;
    bad[bad.indexOf(Buffer.from('été')) + 1] = 0xff;
    const fast = expectSame(slabOf(records.map((r, i) => ({ key: r.key, value: values[i] as Buffer }))), {
      maxColumns: 40,
      maxDocumentFields: 50,
    });
    expect(fast.failures.map((f) => [f.index, f.reason])).toEqual([
      [1, 'too_many_columns'],
      [3, 'too_many_fields'],
      [4, 'invalid_utf8'],
    ]);
    expect(fast.rows).toBe(3);
    expect(fast.fastRecords).toBe(3);
    // Records 1 and 3 had made new columns before they passed a bound: the batch was built again, once for each.
    expect(fast.restarts).toBe(2);
  });

  it("the bench's shape is read entirely on the fast path", () => {
    const records: Raw[] = Array.from({ length: 50 }, (_, i) => ({
      key: encodeMongoKey(i),
      value: encodeMongoEvent({
        op: i % 3 === 0 ? 'u' : 'c',
        after: new Map<string, never>([
          ['_id', i as never],
          ['s', `v${i}` as never],
          ['n', (i * 1.5) as never],
        ]),
        patch: i % 3 === 0 ? { set: new Map([['s', `v${i}`]]), unset: [], truncatedArrays: [] } : null,
        tsMs: 1_700_000_000_000 + i,
        source: { name: 'n', db: 'd', collection: 'c', tsMs: 1_700_000_000_000, ord: i },
      }),
    }));
    records.push({ key: encodeMongoKey(new ObjectId('0123456789abcdef01234567')), value: null });
    records.push({ key: null, value: null });
    const fast = expectSame(slabOf(records));
    expect(fast.fastRecords).toBe(52); // the tombstones too: no row, and nothing to fail
    expect(fast.rows).toBe(50);
  });
});
