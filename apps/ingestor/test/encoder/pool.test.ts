import { Field, Int64, Struct, Table, tableFromIPC, tableToIPC, Utf8, vectorFromArray } from 'apache-arrow';
import { readParquet } from 'parquet-wasm';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeParquet } from '../../src/encoder/parquet.js';
import { createEncoderPool } from '../../src/encoder/pool.js';

function sampleTable(n: number, seed = 0): Table {
  const ids = Array.from({ length: n }, (_, i) => BigInt(seed + i));
  return new Table({
    _id: vectorFromArray(ids, new Int64()),
    name: vectorFromArray(
      ids.map((i) => (i % 7n === 0n ? null : `name-${i}`)),
      new Utf8(),
    ),
    address: vectorFromArray(
      ids.map((i) => ({ city: `city-${i % 13n}` })),
      new Struct([new Field('city', new Utf8(), true)]),
    ),
  });
}

const roundTrip = (parquet: Uint8Array) => tableFromIPC(readParquet(parquet).intoIPCStream());

describe('encodeParquet', () => {
  it.each(['zstd', 'snappy', 'uncompressed'] as const)(
    'writes %s Parquet that reads back to the same rows',
    (compression) => {
      const table = sampleTable(1000);
      const result = encodeParquet({ ipc: tableToIPC(table, 'stream'), compression });
      expect(Buffer.from(result.parquet.subarray(0, 4)).toString()).toBe('PAR1');
      expect(result.numRecords).toBe(1000);
      const back = roundTrip(result.parquet);
      expect(back.numRows).toBe(1000);
      expect(back.toArray().map((r) => r.toJSON())).toEqual(table.toArray().map((r) => r.toJSON()));
      expect(JSON.parse(result.statsJson)).toMatchObject({
        numRecords: 1000,
        nullCount: { name: 143, address: { city: 0 } },
      });
    },
  );

  it('leaves partition columns out of the stats', () => {
    const result = encodeParquet({
      ipc: tableToIPC(sampleTable(3), 'stream'),
      compression: 'zstd',
      skipColumns: ['name'],
    });
    expect(Object.keys(JSON.parse(result.statsJson).nullCount)).toEqual(['_id', 'address']);
  });
});

describe('createEncoderPool', () => {
  const pools: { close(): Promise<void> }[] = [];
  afterAll(async () => {
    await Promise.all(pools.map((p) => p.close()));
  });

  it('encodes in worker threads, concurrently, with results matching the input', async () => {
    const heaps: number[] = [];
    const pool = createEncoderPool({ threads: 2, onWasmHeap: (b) => heaps.push(b) });
    pools.push(pool);
    const tables = [0, 1, 2, 3].map((k) => sampleTable(500, k * 1000));
    const results = await Promise.all(
      tables.map((t) => pool.encode({ ipc: tableToIPC(t, 'stream'), compression: 'zstd' })),
    );
    results.forEach((r, k) => {
      expect(roundTrip(r.parquet).getChild('_id')?.get(0)).toBe(BigInt(k * 1000));
    });
    expect(heaps).toHaveLength(4);
    expect(pool.pending).toBe(0);
  });

  it('runs queued tasks in the order they were submitted', async () => {
    // Batches commit in the order they were sealed: a task overtaken in the queue holds back every commit after it.
    const pool = createEncoderPool({ threads: 1 });
    pools.push(pool);
    const done: number[] = [];
    await Promise.all(
      Array.from({ length: 8 }, (_, k) =>
        pool
          .encode({ ipc: tableToIPC(sampleTable(k % 2 === 0 ? 2000 : 50, k), 'stream'), compression: 'zstd' })
          .then(() => done.push(k)),
      ),
    );
    expect(done).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('replaces its workers when their wasm heap exceeds the limit, without losing tasks', async () => {
    const pool = createEncoderPool({ threads: 1, maxWasmHeapBytes: 1 });
    pools.push(pool);
    const results = await Promise.all(
      [0, 1, 2].map((k) =>
        pool.encode({ ipc: tableToIPC(sampleTable(100, k * 100), 'stream'), compression: 'snappy' }),
      ),
    );
    expect(results.map((r) => r.numRecords)).toEqual([100, 100, 100]);
    const again = await pool.encode({ ipc: tableToIPC(sampleTable(10), 'stream'), compression: 'zstd' });
    expect(again.numRecords).toBe(10);
  });

  it('rejects a task whose input is not Arrow IPC', async () => {
    const pool = createEncoderPool({ threads: 1 });
    pools.push(pool);
    await expect(pool.encode({ ipc: new Uint8Array([1, 2, 3]), compression: 'zstd' })).rejects.toThrow();
    expect(pool.pending).toBe(0);
  });
});
