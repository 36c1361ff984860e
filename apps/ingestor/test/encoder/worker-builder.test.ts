import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { arrowLeafStatistics, deltaSchemaOfArrow, statsJson } from '@delta-writer/delta-log/files';
import { tableFromIPC } from 'apache-arrow';
import { readParquet } from 'parquet-wasm';
import { afterAll, describe, expect, it } from 'vitest';
import { createEncoderPool } from '../../src/encoder/pool.js';
import { createWorkerBuilder } from '../../src/encoder/worker-builder.js';
import type { BuildResult, BuiltOutput } from '../../src/pipeline/builder.js';
import { sealedRecordsOf } from '../../src/pipeline/records.js';
import type { BufferedRecord } from '../../src/pipeline/types.js';
import { mongoRecord } from '../support/mongo-events.js';
import { testdataDir } from '../support/paths.js';

const CHANGELOG = [{ kind: 'changelog' as const, fromIndex: 0 }];
const only = (r: BuildResult) => r.outputs[0] as BuiltOutput;

const record = (offset: number, key: string | null, value: string | null): BufferedRecord => ({
  offset: BigInt(offset),
  timestampMs: 1_700_000_000_000 + offset,
  key: key === null ? null : Buffer.from(key),
  value: value === null ? null : Buffer.from(value),
  headers: {},
  bytes: 0,
});

describe('createWorkerBuilder (bson-arrow in the encoder workers)', () => {
  const pool = createEncoderPool({ threads: 1 });
  const builder = createWorkerBuilder({ pool, maxRecordBytes: 1 << 20 });
  afterAll(() => builder.close());

  it('turns Debezium MongoDB records into a Parquet file with CDC columns, and dead-letters the rest', async () => {
    const fixture = readFileSync(join(testdataDir, 'debezium/mongodb-2.7.0-create-schemaless.json'), 'utf8');
    const records = [
      record(0, mongoRecord(0).key, mongoRecord(0).value),
      record(1, null, fixture),
      record(2, mongoRecord(2).key, null), // tombstone: no row, no failure
      record(3, null, '{"not": "debezium"}'),
      record(4, null, '{broken'),
      record(5, mongoRecord(5).key, mongoRecord(5).value),
    ];
    const result = await builder.build({
      topic: 'mongodb.shop.orders',
      partition: 0,
      records: sealedRecordsOf(records),
      partitionBy: [],
      compression: 'zstd',
      outputs: CHANGELOG,
    });
    expect(result.failures.map((f) => [f.index, f.reason])).toEqual([
      [3, 'not_debezium'],
      [4, 'invalid_json'],
    ]);
    expect(only(result).files).toHaveLength(1);
    const file = only(result).files[0];
    expect(file?.numRecords).toBe(3);
    const table = tableFromIPC(readParquet(file?.parquet as Uint8Array).intoIPCStream());
    expect(table.getChild('_kafka_offset')?.toArray()).toEqual(BigInt64Array.from([0n, 1n, 5n]));
    expect(table.getChild('_cdc_op')?.toArray()).toEqual(['c', 'c', 'c']);
    const schema = JSON.parse(only(result).deltaSchemaJson);
    const names = schema.fields.map((f: { name: string }) => f.name);
    expect(names).toEqual(
      expect.arrayContaining(['_id', 'customer', 'address', '_cdc_op', '_cdc_key', '_kafka_offset']),
    );
    const id = schema.fields.find((f: { name: string }) => f.name === '_id');
    expect(id).toMatchObject({ type: 'string', metadata: { 'bson.type': 'objectId' } });
    expect(JSON.parse(file?.statsJson ?? '{}')).toMatchObject({ numRecords: 3, nullCount: { _cdc_op: 0 } });
  });

  it("a file's stats — kept while decoding, or read from the file when a batch is split — equal the stats of its data", async () => {
    const records = Array.from({ length: 40 }, (_, i) => {
      const r = mongoRecord(i, { op: i % 3 === 0 ? 'r' : 'c' });
      return record(i, r.key, r.value);
    });
    for (const partitionBy of [[], ['_cdc_op']]) {
      const result = await builder.build({
        topic: 't',
        partition: 0,
        records: sealedRecordsOf(records),
        partitionBy,
        compression: 'zstd',
        outputs: CHANGELOG,
      });
      for (const file of only(result).files) {
        const table = tableFromIPC(readParquet(file.parquet).intoIPCStream());
        const fromData = statsJson(
          deltaSchemaOfArrow(table.schema),
          table.numRows,
          arrowLeafStatistics(table),
        );
        expect(file.statsJson).toBe(fromData);
        expect(JSON.parse(file.statsJson).numRecords).toBe(file.numRecords);
      }
    }
  });

  it('dead-letters a record whose row would pass MAX_BATCH_COLUMNS, and one over MAX_DOCUMENT_FIELDS, keeping the rest', async () => {
    const limited = createWorkerBuilder({
      pool,
      maxRecordBytes: 1 << 20,
      limits: { maxBatchColumns: 40, maxDocumentFields: 100 },
    });
    try {
      const wide = (i: number, n: number) => {
        const doc = new Map<string, unknown>([['_id', i]]);
        for (let k = 0; k < n; k++) doc.set(`f${i}_${k}`, k);
        const r = mongoRecord(i, { doc: doc as never });
        return record(i, r.key, r.value);
      };
      const records = [wide(0, 10), wide(1, 30), wide(2, 5), wide(3, 200), wide(4, 3)];
      for (const outputs of [CHANGELOG, [{ kind: 'mirror' as const, fromIndex: 0 }]]) {
        const result = await limited.build({
          topic: 't',
          partition: 0,
          records: sealedRecordsOf(records),
          partitionBy: [],
          compression: 'zstd',
          outputs,
        });
        // _id + 10 columns, then 30 more would make 41 > 40: record 1 is refused, records 2 and 4 fit
        const failures = result.failures
          .map((f) => [f.index, f.reason])
          .sort((x, y) => Number(x[0]) - Number(y[0]));
        expect(failures).toEqual([
          [1, 'too_many_columns'],
          [3, 'too_many_fields'],
        ]);
        const file = only(result).files[0];
        const table = tableFromIPC(readParquet(file?.parquet as Uint8Array).intoIPCStream());
        expect(table.getChild('_kafka_offset')?.toArray()).toEqual(BigInt64Array.from([0n, 2n, 4n]));
        if (file?.mirrorRows) {
          // the row block still describes the rows of the file, one for one
          expect(file.numRecords).toBe(3);
        }
      }
    } finally {
      await limited.close();
    }
  });

  it('writes one file per partition value', async () => {
    const records = [0, 1, 2, 3].map((i) => {
      const r = mongoRecord(i, { op: i % 2 === 0 ? 'c' : 'r' });
      return record(i, r.key, r.value);
    });
    const result = await builder.build({
      topic: 't',
      partition: 1,
      records: sealedRecordsOf(records),
      partitionBy: ['_cdc_op'],
      compression: 'snappy',
      outputs: CHANGELOG,
    });
    expect(only(result).files.map((f) => [f.partitionValues, f.numRecords])).toEqual([
      [{ _cdc_op: 'c' }, 2],
      [{ _cdc_op: 'r' }, 2],
    ]);
    expect(
      JSON.parse(only(result).deltaSchemaJson).fields.some((f: { name: string }) => f.name === '_cdc_op'),
    ).toBe(true);
  });

  it('builds large batches in chunks: one file each, one schema for the request', async () => {
    const chunked = createWorkerBuilder({ pool, maxRecordBytes: 1 << 20, chunkBytes: 2000 });
    const { orderDocument } = await import('../support/mongo-events.js');
    const extra = orderDocument(4);
    extra.set('coupon', 'SPRING');
    const records = [0, 1, 2, 3, 4].map((i) => {
      const r = mongoRecord(i, i === 4 ? { doc: extra } : {});
      const rec = record(i, r.key, i === 3 ? '{broken' : r.value);
      return { ...rec, bytes: (rec.key?.length ?? 0) + (rec.value?.length ?? 0) };
    });
    const result = await chunked.build({
      topic: 't',
      partition: 0,
      records: sealedRecordsOf(records),
      partitionBy: [],
      compression: 'zstd',
      outputs: CHANGELOG,
    });
    expect(only(result).files.length).toBeGreaterThan(1);
    expect(only(result).files.reduce((n, f) => n + f.numRecords, 0)).toBe(4);
    expect(result.failures.map((f) => f.index)).toEqual([3]);
    const fields = JSON.parse(only(result).deltaSchemaJson).fields.map((f: { name: string }) => f.name);
    expect(fields).toContain('coupon');
    expect(fields).toContain('customer');
  });

  it('splits a chunk that overflows the encoder heap limit instead of failing it (the change-event path)', async () => {
    // DELTA_WRITE_MODE=both decodes into change events (the mirror output needs them): ~10× the JSON in the heap.
    const small = createEncoderPool({ threads: 1, maxHeapBytes: 36 * 2 ** 20 });
    const tight = createWorkerBuilder({ pool: small, maxRecordBytes: 1 << 20, chunkBytes: 64 * 2 ** 20 });
    try {
      const records = Array.from({ length: 12_000 }, (_, i) => {
        const r = mongoRecord(i);
        return { ...record(i, r.key, r.value), bytes: r.key.length + r.value.length };
      });
      const result = await tight.build({
        topic: 't',
        partition: 0,
        records: sealedRecordsOf(records),
        partitionBy: [],
        compression: 'zstd',
        outputs: [...CHANGELOG, { kind: 'mirror', fromIndex: 0 }],
      });
      expect(result.failures).toEqual([]);
      expect(only(result).files.length).toBeGreaterThan(1);
      expect(only(result).files.reduce((n, f) => n + f.numRecords, 0)).toBe(12_000);
    } finally {
      await tight.close();
    }
  }, 120_000);

  it('builds the same chunk in that heap in one piece on the one-pass path (columns, not change events)', async () => {
    const small = createEncoderPool({ threads: 1, maxHeapBytes: 36 * 2 ** 20 });
    const tight = createWorkerBuilder({ pool: small, maxRecordBytes: 1 << 20, chunkBytes: 64 * 2 ** 20 });
    try {
      const records = Array.from({ length: 12_000 }, (_, i) => {
        const r = mongoRecord(i);
        return { ...record(i, r.key, r.value), bytes: r.key.length + r.value.length };
      });
      const result = await tight.build({
        topic: 't',
        partition: 0,
        records: sealedRecordsOf(records),
        partitionBy: [],
        compression: 'zstd',
        outputs: CHANGELOG,
      });
      expect(result.failures).toEqual([]);
      expect(only(result).files).toHaveLength(1);
      expect(only(result).files[0]?.numRecords).toBe(12_000);
    } finally {
      await tight.close();
    }
  }, 120_000);

  it('conforms a batch to the table schema it is given', async () => {
    const first = mongoRecord(1);
    const a = await builder.build({
      topic: 't',
      partition: 0,
      records: sealedRecordsOf([record(0, first.key, first.value)]),
      partitionBy: [],
      compression: 'zstd',
      outputs: CHANGELOG,
    });
    // the same field now holds a string: the table keeps `n` as a number and the value goes to an overflow column
    const doc = new Map([...(await import('../support/mongo-events.js')).orderDocument(2)]);
    doc.set('n', 'two');
    const second = mongoRecord(2, { doc });
    const b = await builder.build({
      topic: 't',
      partition: 0,
      records: sealedRecordsOf([record(1, second.key, second.value)]),
      partitionBy: [],
      compression: 'zstd',
      outputs: [{ kind: 'changelog', fromIndex: 0, tableSchemaJson: only(a).deltaSchemaJson }],
    });
    const fieldOf = (json: string, name: string) =>
      JSON.parse(json).fields.find((f: { name: string }) => f.name === name);
    expect(fieldOf(only(b).deltaSchemaJson, 'n').type).toBe(fieldOf(only(a).deltaSchemaJson, 'n').type);
    expect(
      JSON.parse(only(b).deltaSchemaJson).fields.some(
        (f: { metadata: Record<string, string> }) => f.metadata['bson.overflow_of'] === 'n',
      ),
    ).toBe(true);
  });
});
