/**
 * Where the encoder thread spends its time per event, on MongoDB-shaped Debezium records (test/support/mongo-events):
 * the one-pass decoder (bytes → columns with their statistics), Delta stats, Parquet encode — and the path it
 * replaced (reference decode → `ChangeEvent`s → Arrow build → stats from the finished table) as the baseline, with
 * native `JSON.parse` of the same values. CPU time of this thread (process.threadCpuUsage), median of 5 rounds.
 * The same breakdown on the bench's own events (the e2e generator): `bench/src/encoder-steps.ts`.
 */
import { BatchBuilder, Decoder, decodeBatch } from '@delta-writer/bson-arrow';
import { arrowLeafStatistics, deltaSchemaOfArrow, statsJson } from '@delta-writer/delta-log/files';
import { tableToIPC } from 'apache-arrow';
import { writeParquetBytes } from '../src/encoder/parquet.js';
import { chunkOf } from '../src/encoder/slab.js';
import { threadCpuMicros } from '../src/ops/cpu.js';
import { sealedRecordsOf } from '../src/pipeline/records.js';
import type { BufferedRecord } from '../src/pipeline/types.js';
import { mongoRecord } from '../test/support/mongo-events.js';

export function runBuildBench(): void {
  const n = Number(process.env.BENCH_BUILD_EVENTS ?? 20_000);
  const records: BufferedRecord[] = Array.from({ length: n }, (_, i) => {
    const r = mongoRecord(i);
    const key = Buffer.from(r.key);
    const value = Buffer.from(r.value);
    return { offset: BigInt(i), timestampMs: 0, key, value, headers: {}, bytes: key.length + value.length };
  });
  const slab = chunkOf('t', 0, sealedRecordsOf(records));
  const bytes = records.reduce((s, r) => s + (r.value?.length ?? 0), 0);
  const rounds: Record<string, number[]> = {};
  const time = <T>(name: string, f: () => T): T => {
    const t = threadCpuMicros();
    const v = f();
    const list = rounds[name] ?? [];
    list.push((threadCpuMicros() - t) / n);
    rounds[name] = list;
    return v;
  };
  for (let round = 0; round < 6; round++) {
    time('JSON.parse (baseline)', () => {
      for (const r of records) JSON.parse((r.value as Buffer).toString('utf8'));
    });
    const built = time('one pass: decode + columns + stats kept', () =>
      decodeBatch({ ...slab, bytes: slab.arena }),
    );
    time('stats JSON from kept stats', () =>
      statsJson(deltaSchemaOfArrow(built.schema), built.rows, built.statistics),
    );
    const ipc = tableToIPC(built.table, 'stream');
    time('parquet (zstd)', () => writeParquetBytes(ipc, 'zstd'));
    // The path the one pass replaced, for comparison.
    const decoder = new Decoder();
    const events = time('before: decode to ChangeEvents', () =>
      records.map((r) => decoder.decode({ ...r, topic: 't', partition: 0 })),
    );
    const old = time('before: Arrow build', () => {
      const b = new BatchBuilder();
      for (const e of events) if (e.kind === 'change') b.append(e);
      return b.finish();
    });
    time('before: stats from the table', () =>
      statsJson(deltaSchemaOfArrow(old.schema), old.rows, arrowLeafStatistics(old.table)),
    );
  }
  const median = (xs: number[]) =>
    [...xs].slice(1).sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)] as number;
  const base = median(rounds['JSON.parse (baseline)'] ?? []);
  console.log(
    `\n## Encoder thread CPU per event (${n} events, ${(bytes / n).toFixed(0)} B each), median of 5 rounds`,
  );
  for (const [name, xs] of Object.entries(rounds)) {
    const us = median(xs);
    console.log(
      `${name.padEnd(42)} ${us.toFixed(1).padStart(7)} µs/event  ${(us / base).toFixed(1).padStart(6)}× JSON.parse`,
    );
  }
  const now = ['one pass: decode + columns + stats kept', 'stats JSON from kept stats', 'parquet (zstd)'];
  const before = [
    'before: decode to ChangeEvents',
    'before: Arrow build',
    'before: stats from the table',
    'parquet (zstd)',
  ];
  const sum = (names: string[]) => names.reduce((s, k) => s + median(rounds[k] ?? []), 0);
  console.log(`${'total now (one thread)'.padEnd(42)} ${sum(now).toFixed(1).padStart(7)} µs/event`);
  console.log(`${'total before'.padEnd(42)} ${sum(before).toFixed(1).padStart(7)} µs/event`);
}
