/**
 * Where the encoder thread spends its time per event, on MongoDB-shaped Debezium records: bson-arrow decode, Arrow
 * batch build, Delta stats, Parquet encode. Baseline in the same run: native `JSON.parse` of the same values (what a
 * decoder that did no Extended JSON work would cost).
 */
import { BatchBuilder, Decoder } from '@delta-writer/bson-arrow';
import { tableToIPC } from 'apache-arrow';
import { writeParquetBytes } from '../src/parquet/encode.js';
import { computeDeltaStats } from '../src/parquet/stats.js';
import { mongoRecord } from '../test/support/mongo-events.js';

export function runBuildBench(): void {
  const n = Number(process.env.BENCH_BUILD_EVENTS ?? 20_000);
  const records = Array.from({ length: n }, (_, i) => {
    const r = mongoRecord(i);
    return {
      topic: 't',
      partition: 0,
      offset: BigInt(i),
      timestamp: 0,
      key: Buffer.from(r.key),
      value: Buffer.from(r.value),
    };
  });
  const bytes = records.reduce((s, r) => s + r.value.length, 0);
  const rounds: Record<string, number[]> = {
    'JSON.parse (baseline)': [],
    decode: [],
    'arrow build': [],
    'delta stats': [],
    'parquet (zstd)': [],
  };
  const time = (name: string, f: () => unknown) => {
    const t = performance.now();
    const v = f();
    rounds[name]?.push(((performance.now() - t) * 1000) / n);
    return v;
  };
  for (let round = 0; round < 4; round++) {
    time('JSON.parse (baseline)', () => {
      for (const r of records) JSON.parse(r.value.toString('utf8'));
    });
    const decoder = new Decoder();
    const events = time('decode', () => records.map((r) => decoder.decode(r))) as ReturnType<
      Decoder['decode']
    >[];
    const built = time('arrow build', () => {
      const b = new BatchBuilder();
      for (const e of events) if (e.kind === 'change') b.append(e);
      return b.finish();
    }) as ReturnType<BatchBuilder['finish']>;
    time('delta stats', () => computeDeltaStats(built.table));
    const ipc = tableToIPC(built.table, 'stream');
    time('parquet (zstd)', () => writeParquetBytes(ipc, 'zstd'));
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
  const base = median(rounds['JSON.parse (baseline)'] ?? []);
  console.log(
    `\n## Encoder thread cost per event (${n} events, ${(bytes / n).toFixed(0)} B each), median of 4 rounds`,
  );
  let total = 0;
  for (const [name, xs] of Object.entries(rounds)) {
    const us = median(xs);
    if (!name.includes('baseline')) total += us;
    console.log(
      `${name.padEnd(24)} ${us.toFixed(1).padStart(7)} µs/event  ${(us / base).toFixed(1).padStart(6)}× JSON.parse`,
    );
  }
  console.log(
    `${'total (one thread)'.padEnd(24)} ${total.toFixed(1).padStart(7)} µs/event  → ${(1e6 / total).toFixed(0)} events/s per encoder thread`,
  );
}
