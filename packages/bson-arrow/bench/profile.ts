/**
 * One path of the bench in a loop, for profilers: `node --conditions=source --import tsx --cpu-prof
 * bench/profile.ts ours 10`, or under `valgrind --tool=callgrind` (instruction counts do not depend on
 * the machine's load: compare `ours` with `floor` at the same event count and rounds).
 * Arguments: `ours` | `floor`, rounds (default 10); env BENCH_EVENTS (default 20 000).
 */
import type { KafkaRecord } from '@delta-writer/bson-arrow';
import { BATCH, floor, ours, records } from './orders.js';

const which = process.argv[2] === 'floor' ? floor : ours;
const rounds = Number(process.argv[3] ?? 10);
const { records: rs } = records(Number(process.env.BENCH_EVENTS ?? 20_000));
const chunks: KafkaRecord[][] = [];
for (let i = 0; i < rs.length; i += BATCH) chunks.push(rs.slice(i, i + BATCH));
const t0 = performance.now();
for (let r = 0; r < rounds; r++) for (const c of chunks) which(c);
const rate = (rs.length * rounds) / ((performance.now() - t0) / 1000);
console.log(`${process.argv[2] ?? 'ours'}: ${Math.round(rate).toLocaleString('en-US')} events/s`);
