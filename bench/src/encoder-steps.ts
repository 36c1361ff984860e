/**
 * Where an encoder thread's time goes per event, step by step, on the bench's own events (the e2e generator's orders,
 * as src/events.ts makes them): CPU time of this thread (process.threadCpuUsage), chunks of 8 000 records as the
 * ingestor's encoder tasks take them, median of 5 rounds after a warm-up. Beside the one pass the ingestor runs, the
 * path it replaced (the reference decoder's change events → BatchBuilder → stats read back from the Arrow table) and
 * native `JSON.parse` of the same records, for scale.
 *
 *   ./dw pnpm --filter @delta-writer/bench run encoder-steps     (BENCH_EVENTS, default 40 000)
 */
import { BatchBuilder, Decoder, decodeBatch, kafkaRecord, type RecordSlab } from '@delta-writer/bson-arrow';
import { arrowLeafStatistics, deltaSchemaOfArrow, statsJson } from '@delta-writer/delta-log/files';
import { tableToIPC } from 'apache-arrow';
import {
  Compression,
  Table as WasmTable,
  WriterPropertiesBuilder,
  WriterVersion,
  writeParquet,
} from 'parquet-wasm';
import { generateEvents } from './events.js';

const events = Number(process.env.BENCH_EVENTS ?? 40_000);
const CHUNK = 8000;
const set = generateEvents(events, 4, 10_000);

/** The records packed as an encoder task receives them. */
function slabs(): RecordSlab[] {
  const out: RecordSlab[] = [];
  for (let from = 0; from < set.records.length; from += CHUNK) {
    const part = set.records.slice(from, from + CHUNK);
    const size = part.reduce((n, r) => n + (r.key?.length ?? 0) + (r.value?.length ?? 0), 0);
    const bytes = new Uint8Array(size);
    const bounds = new Int32Array(part.length * 4);
    let at = 0;
    part.forEach((r, i) => {
      for (const [slot, b] of [
        [0, r.key],
        [2, r.value],
      ] as const) {
        if (b === null) bounds.set([-1, -1], i * 4 + slot);
        else {
          bytes.set(b as Buffer, at);
          bounds.set([at, at + b.length], i * 4 + slot);
          at += b.length;
        }
      }
    });
    const offsets = BigInt64Array.from(part, (_, i) => BigInt(from + i));
    out.push({
      topic: 'bench.shop.orders',
      partition: 0,
      count: part.length,
      bytes,
      bounds,
      offsets,
      timestamps: new Float64Array(part.length),
    });
  }
  return out;
}

const cpu = () => {
  const u = process.threadCpuUsage();
  return u.user + u.system;
};

const chunks = slabs();
const rounds = new Map<string, number[]>();
const time = <T>(name: string, f: () => T): T => {
  const t = cpu();
  const v = f();
  const list = rounds.get(name) ?? [];
  list.push(cpu() - t);
  rounds.set(name, list);
  return v;
};

const unique = [
  '_id',
  '_cdc_key',
  '_cdc_seq',
  '_cdc_ts_ms',
  '_cdc_source_ts_ms',
  '_cdc_patch',
  '_kafka_offset',
];
const parquet = (ipc: Uint8Array) => {
  let b = new WriterPropertiesBuilder().setCompression(Compression.ZSTD).setWriterVersion(WriterVersion.V1);
  for (const c of unique) b = b.setColumnDictionaryEnabled(c, false);
  return writeParquet(WasmTable.fromIPCStream(ipc), b.build());
};

for (let round = 0; round < 6; round++) {
  if (round === 1) rounds.clear(); // the first round warms up
  for (const slab of chunks) {
    time('JSON.parse of envelope and document (scale)', () => {
      for (let i = 0; i < slab.count; i++) {
        const v = kafkaRecord(slab, i).value as Uint8Array | null;
        if (v === null) continue;
        const e = JSON.parse(Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('utf8'));
        if (typeof e.after === 'string') JSON.parse(e.after);
      }
    });
    const built = time('one pass: bytes → columns + kept stats', () => decodeBatch(slab));
    time('stats JSON from the kept stats', () =>
      statsJson(deltaSchemaOfArrow(built.schema), built.rows, built.statistics),
    );
    const ipc = time('Arrow IPC for parquet-wasm', () => tableToIPC(built.table, 'stream'));
    time('Parquet (zstd, parquet-wasm)', () => parquet(ipc));
    const decoder = new Decoder();
    const decoded = time('before: decode to change events', () => {
      const out = [];
      for (let i = 0; i < slab.count; i++) out.push(decoder.decode(kafkaRecord(slab, i)));
      return out;
    });
    const old = time('before: BatchBuilder', () => {
      const b = new BatchBuilder();
      for (const e of decoded) if (e.kind === 'change') b.append(e);
      return b.finish();
    });
    time('before: stats read from the table', () =>
      statsJson(deltaSchemaOfArrow(old.schema), old.rows, arrowLeafStatistics(old.table)),
    );
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const perEvent = (name: string) => {
  const xs = rounds.get(name) ?? [];
  // per round: the sum over the chunks
  const perRound: number[] = [];
  for (let r = 0; r < xs.length / chunks.length; r++)
    perRound.push(xs.slice(r * chunks.length, (r + 1) * chunks.length).reduce((a, b) => a + b, 0));
  return median(perRound) / set.events;
};
console.log(
  `encoder thread CPU per event, ${set.events} events (${Math.round(set.meanValueBytes)} B mean value) in chunks of ${CHUNK} records, Node ${process.version}`,
);
for (const name of rounds.keys())
  console.log(`${name.padEnd(44)} ${perEvent(name).toFixed(2).padStart(7)} µs`);
const now = [
  'one pass: bytes → columns + kept stats',
  'stats JSON from the kept stats',
  'Arrow IPC for parquet-wasm',
  'Parquet (zstd, parquet-wasm)',
];
const before = [
  'before: decode to change events',
  'before: BatchBuilder',
  'before: stats read from the table',
  'Arrow IPC for parquet-wasm',
  'Parquet (zstd, parquet-wasm)',
];
const sum = (names: string[]) => names.reduce((n, k) => n + perEvent(k), 0);
console.log(`${'total now'.padEnd(44)} ${sum(now).toFixed(2).padStart(7)} µs`);
console.log(`${'total before (same Parquet settings)'.padEnd(44)} ${sum(before).toFixed(2).padStart(7)} µs`);
