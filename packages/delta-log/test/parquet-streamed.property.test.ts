/**
 * `writeParquetStreamed` is `writeParquet` without the whole-table copies: whatever the slicing (down to one row a
 * slice, slices cutting through record batches), the file it writes must decode to the same rows, with the same
 * schema, as the file `writeParquet` writes of the same table; row groups follow `maxRowGroupSize` and are bounded
 * by their Arrow bytes.
 */
import * as A from 'apache-arrow';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parquetHeapBytes, readParquet, writeParquet, writeParquetStreamed } from '../src/parquet.js';

interface Row {
  id: bigint;
  name: string | null;
  score: number | null;
  tags: string[] | null;
}

const row: fc.Arbitrary<Row> = fc.record({
  id: fc.bigInt(-(2n ** 63n), 2n ** 63n - 1n),
  name: fc.option(fc.string({ unit: 'grapheme', maxLength: 40 }), { nil: null }),
  score: fc.option(fc.double({ noNaN: true }), { nil: null }),
  tags: fc.option(fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }), { nil: null }),
});

const schema = new A.Schema([
  new A.Field('id', new A.Int64(), false),
  new A.Field('name', new A.Utf8(), true),
  new A.Field('score', new A.Float64(), true),
  new A.Field('tags', new A.List(new A.Field('element', new A.Utf8(), true)), true),
]);

/** The rows as record batches of the given sizes (the table's own batch boundaries). */
function tableOf(rows: readonly Row[], batchSizes: readonly number[]): A.Table {
  const batches: A.RecordBatch[] = [];
  let at = 0;
  for (const size of [...batchSizes, rows.length]) {
    const part = rows.slice(at, at + size);
    at += part.length;
    if (part.length === 0) continue;
    const vectors = {
      id: A.vectorFromArray(
        part.map((r) => r.id),
        new A.Int64(),
      ),
      name: A.vectorFromArray(
        part.map((r) => r.name),
        new A.Utf8(),
      ),
      score: A.vectorFromArray(
        part.map((r) => r.score),
        new A.Float64(),
      ),
      tags: A.vectorFromArray(
        part.map((r) => r.tags),
        schema.fields[3]?.type as A.List<A.Utf8>,
      ),
    };
    batches.push(
      new A.RecordBatch(
        schema,
        A.makeData({
          type: new A.Struct(schema.fields),
          length: part.length,
          nullCount: 0,
          children: Object.values(vectors).map((v) => v.data[0] as A.Data),
        }),
      ),
    );
  }
  return new A.Table(schema, batches);
}

const rowsOf = (t: A.Table) =>
  t.toArray().map((r) => JSON.stringify(r, (_, v) => (typeof v === 'bigint' ? `${v}n` : v)));

describe('writeParquetStreamed', () => {
  it('writes the file writeParquet writes, however the table is sliced', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(row, { minLength: 1, maxLength: 60 }),
        fc.array(fc.integer({ min: 1, max: 25 }), { maxLength: 4 }),
        fc.integer({ min: 1, max: 4096 }),
        async (rows, batchSizes, sliceBytes) => {
          const table = tableOf(rows, batchSizes);
          const whole = writeParquet(table);
          const streamed = await writeParquetStreamed(table, { sliceBytes });
          const a = readParquet(whole);
          const b = readParquet(streamed);
          expect(b.schema.fields.map(String)).toEqual(a.schema.fields.map(String));
          expect(rowsOf(b)).toEqual(rowsOf(a));
          expect(rowsOf(b)).toEqual(rowsOf(table));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('honours the row group size and the footer metadata', async () => {
    const rows = Array.from({ length: 1000 }, (_, i) => ({
      id: BigInt(i),
      name: `n${i}`,
      score: i / 3,
      tags: [String(i)],
    }));
    const bytes = await writeParquetStreamed(tableOf(rows, [300, 300]), {
      sliceBytes: 512,
      maxRowGroupSize: 256,
      metadata: { origin: 'test' },
    });
    const { ParquetFile } = await import('parquet-wasm');
    const file = await ParquetFile.fromFile(new Blob([bytes]));
    const meta = file.metadata();
    expect(meta.rowGroups().map((g) => g.numRows())).toEqual([256, 256, 256, 232]);
    expect(meta.fileMetadata().keyValueMetadata().get('origin')).toBe('test');
    expect(rowsOf(readParquet(bytes))).toEqual(rowsOf(tableOf(rows, [])));
  });

  it('bounds row groups by their Arrow bytes', async () => {
    const rows = Array.from({ length: 1000 }, (_, i) => ({
      id: BigInt(i),
      name: 'x'.repeat(i % 90),
      score: null,
      tags: null,
    }));
    const table = tableOf(rows, [400]);
    const bytesPerRow = table.data.reduce((n, d) => n + d.byteLength, 0) / table.numRows;
    const bytes = await writeParquetStreamed(table, { rowGroupBytes: Math.ceil(bytesPerRow * 150) });
    const { ParquetFile } = await import('parquet-wasm');
    const groups = (await ParquetFile.fromFile(new Blob([bytes])))
      .metadata()
      .rowGroups()
      .map((g) => g.numRows());
    expect(groups.reduce((a, b) => a + b, 0)).toBe(1000);
    expect(Math.max(...groups)).toBe(150);
    expect(rowsOf(readParquet(bytes))).toEqual(rowsOf(table));
  });

  it('writes a table without rows (the streaming writer would have no schema)', async () => {
    const empty = new A.Table(schema);
    const back = readParquet(await writeParquetStreamed(empty));
    expect(back.numRows).toBe(0);
    expect(back.schema.fields.map((f) => f.name)).toEqual(['id', 'name', 'score', 'tags']);
  });
});

describe('parquetHeapBytes', () => {
  it('reports the WebAssembly heap, which grows to hold a file larger than it and never shrinks', () => {
    const before = parquetHeapBytes();
    expect(before).toBeGreaterThan(0);
    // incompressible values, more bytes than the heap holds now: encoding them needs a larger heap
    const n = Math.ceil((before * 1.5) / 8);
    const ids = BigInt64Array.from({ length: n }, (_, i) => BigInt(i) * 0x9e3779b97f4a7c15n);
    const table = new A.Table({ id: A.makeVector(ids) });
    const bytes = writeParquet(table, { compression: 'uncompressed' });
    const grown = parquetHeapBytes();
    expect(grown).toBeGreaterThan(before);
    expect(grown).toBeGreaterThan(bytes.length);
    readParquet(bytes);
    expect(parquetHeapBytes()).toBeGreaterThanOrEqual(grown);
  });
});
