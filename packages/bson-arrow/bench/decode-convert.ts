/**
 * Decode + convert throughput for ~1 KB MongoDB documents, against the `JSON.parse`-only floor measured
 * in the same process: what parsing the envelope and the `after` string costs without any lossless
 * handling, typing or column building. Run with `pnpm bench`.
 */
import type { KafkaRecord } from '@delta-writer/bson-arrow';
import { BATCH, floor, ours, records } from './orders.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 20_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);

function time(f: () => unknown): number {
  const t0 = process.hrtime.bigint();
  f();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

const { records: rs, docBytes, recordBytes } = records(EVENTS);
const chunks: KafkaRecord[][] = [];
for (let i = 0; i < rs.length; i += BATCH) chunks.push(rs.slice(i, i + BATCH));
// Warm-up, then rounds that alternate floor and ours batch by batch, so that both see the same machine
// load; a round's time is the sum over its batches and the best round counts (least disturbed).
for (const c of chunks.slice(0, 3)) {
  floor(c);
  ours(c);
}
let bestFloor = Number.POSITIVE_INFINITY;
let bestOurs = Number.POSITIVE_INFINITY;
for (let round = 0; round < ROUNDS; round++) {
  let tf = 0;
  let to = 0;
  for (const c of chunks) {
    tf += time(() => floor(c));
    to += time(() => ours(c));
  }
  bestFloor = Math.min(bestFloor, tf);
  bestOurs = Math.min(bestOurs, to);
}
const floorRate = EVENTS / bestFloor;
const oursRate = EVENTS / bestOurs;
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const mb = (rate: number) => (((recordBytes / EVENTS) * rate) / 1e6).toFixed(1);
console.log(
  `bson-arrow bench: ${fmt(EVENTS)} MongoDB change events (legacy Extended JSON, schemaless), document ${Math.round(docBytes / EVENTS)} B, record ${Math.round(recordBytes / EVENTS)} B, batches of ${BATCH}, best of ${ROUNDS} rounds`,
);
console.log(
  `  floor  JSON.parse (envelope + after + key):    ${fmt(floorRate).padStart(9)} events/s  ${mb(floorRate)} MB/s`,
);
console.log(
  `  ours   decodeRecord + BatchBuilder → Arrow:   ${fmt(oursRate).padStart(9)} events/s  ${mb(oursRate)} MB/s`,
);
console.log(`  ratio  ours / floor = ${(oursRate / floorRate).toFixed(2)}`);
