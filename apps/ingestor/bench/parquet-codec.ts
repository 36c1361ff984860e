/**
 * Parquet codec comparison on realistic changelog batches: file size and encode time of snappy and zstd, as ratios to
 * uncompressed measured in the same run. Codecs are interleaved run by run so background load hits them alike.
 * Encodes on this thread; the worker pool adds only a buffer transfer. Stats are timed separately (codec-independent).
 */

import { BatchBuilder, Decoder } from '@delta-writer/bson-arrow';
import { arrowLeafStatistics, deltaSchemaOfArrow, statsJson } from '@delta-writer/delta-log/files';
import { tableFromIPC, tableToIPC } from 'apache-arrow';
import type { ParquetCompression } from '../src/config/load.js';
import { writeParquetBytes } from '../src/encoder/parquet.js';
import { mongoRecord } from '../test/support/mongo-events.js';
import { ordersBatch } from './orders.js';

/** A changelog batch exactly as the ingestor writes it: Debezium MongoDB records through bson-arrow. */
function debeziumBatch(rows: number) {
  const decoder = new Decoder();
  const builder = new BatchBuilder();
  for (let i = 0; i < rows; i++) {
    const r = mongoRecord(i);
    const e = decoder.decode({ topic: 't', partition: 0, offset: BigInt(i), key: r.key, value: r.value });
    if (e.kind === 'change') builder.append(e);
  }
  return builder.finish().table;
}

const codecs: ParquetCompression[] = ['uncompressed', 'snappy', 'zstd'];
const sizes = (process.env.BENCH_ROWS ?? '20000,100000').split(',').map(Number);
const repeats = Number(process.env.BENCH_REPEATS ?? 7);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const time = <T>(f: () => T): [T, number] => {
  const t0 = performance.now();
  const v = f();
  return [v, performance.now() - t0];
};

export function runParquetCodecBench(): void {
  console.log(
    `\n## Parquet codec (parquet-wasm 0.8.0, orders changelog batches), median of ${repeats} interleaved runs`,
  );
  console.log(
    'orders: bench/orders.ts columns; debezium: MongoDB Debezium events converted by bson-arrow (CDC columns)',
  );
  console.log(
    'data      rows     codec         arrow MB  parquet MB  size/unc.  encode ms  time/unc.  arrow MB/s',
  );
  const datasets = sizes.flatMap((rows) => [
    { name: 'orders', rows, table: () => ordersBatch(rows) },
    { name: 'debezium', rows, table: () => debeziumBatch(rows) },
  ]);
  for (const { name, rows, table } of datasets) {
    const ipc = tableToIPC(table(), 'stream');
    const arrowMb = ipc.byteLength / 1e6;
    writeParquetBytes(ipc, 'zstd'); // warm up the wasm module
    const times = new Map<ParquetCompression, number[]>(codecs.map((c) => [c, []]));
    const sizesOut = new Map<ParquetCompression, number>();
    for (let k = 0; k < repeats; k++) {
      for (const c of codecs) {
        const [bytes, ms] = time(() => writeParquetBytes(ipc, c).byteLength);
        times.get(c)?.push(ms);
        sizesOut.set(c, bytes);
      }
    }
    const baseMs = median(times.get('uncompressed') ?? []);
    const baseBytes = sizesOut.get('uncompressed') ?? 1;
    for (const c of codecs) {
      const ms = median(times.get(c) ?? []);
      const bytes = sizesOut.get(c) ?? 0;
      console.log(
        `${name.padEnd(9)} ${String(rows).padEnd(8)} ${c.padEnd(13)} ${arrowMb.toFixed(1).padStart(8)} ${(bytes / 1e6).toFixed(2).padStart(11)} ` +
          `${(bytes / baseBytes).toFixed(3).padStart(10)} ${ms.toFixed(0).padStart(10)} ${(ms / baseMs).toFixed(2).padStart(10)} ` +
          `${(arrowMb / (ms / 1000)).toFixed(1).padStart(11)}`,
      );
    }
    const statsMs = median(
      Array.from(
        { length: repeats },
        () =>
          time(() => {
            const t = tableFromIPC(ipc);
            return statsJson(deltaSchemaOfArrow(t.schema), t.numRows, arrowLeafStatistics(t));
          })[1],
      ),
    );
    console.log(
      `${name.padEnd(9)} ${String(rows).padEnd(8)} delta stats (decode IPC + min/max/nulls): ${statsMs.toFixed(0)} ms`,
    );
  }
}
