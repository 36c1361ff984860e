/**
 * What the bounded-work checks (src/limits.ts) cost on the hot path, measured in the same process on the
 * decode-convert bench's documents: decode + convert with the default limits (every check on; the column budget's
 * cheap bound admits every row, the named-field count is skipped for records under 4 × MAX_DOCUMENT_FIELDS bytes),
 * the same with a column limit right at the batch's column count (every row is then walked against the column tree:
 * the worst case, a batch at its limit), and the checks alone: `isUtf8` on the bytes (every record pays it) and the
 * named-field count (what a large record pays). Rounds alternate, the best round counts.
 *
 *   ./dw pnpm --filter @delta-writer/bson-arrow bench:limits
 */
import { isUtf8 } from 'node:buffer';
import { BatchBuilder, type ChangeEvent, Decoder, documentFields } from '@delta-writer/bson-arrow';
import { documentSource } from '../src/debezium/mongo-fast.js';
import { fieldBound, noteFieldBound } from '../src/limits.js';
import { BATCH, records } from './orders.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 20_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);

const { records: rs } = records(EVENTS);
const chunks = Array.from({ length: Math.ceil(rs.length / BATCH) }, (_, i) =>
  rs.slice(i * BATCH, (i + 1) * BATCH),
);

function convert(chunk: typeof rs, maxColumns?: number): number {
  const decoder = new Decoder();
  const batch = new BatchBuilder(maxColumns === undefined ? {} : { maxColumns });
  for (const r of chunk) batch.append(decoder.decode(r) as ChangeEvent);
  return batch.columns;
}

// the columns a batch of these documents has: the limit that makes every row of the next batch take the walk
const atLimit = convert(chunks[0] as typeof rs);
const decoder = new Decoder();
const events = chunks.map((c) => c.map((r) => decoder.decode(r) as ChangeEvent));

function utf8(i: number): number {
  let n = 0;
  for (const r of chunks[i] as typeof rs) if (isUtf8(r.value as Uint8Array)) n++;
  return n;
}

function fieldCount(i: number): number {
  let n = 0;
  for (const e of events[i] as ChangeEvent[])
    n += documentFields(documentSource(e, 'after') as never, 10_000);
  return n;
}

/** The decoder's note of each row's field bound and the budget's look-up of it (what every row pays). */
function bookkeeping(i: number): number {
  let n = 0;
  for (const e of events[i] as ChangeEvent[]) {
    noteFieldBound(e, 300);
    n += fieldBound(e) ?? 0;
  }
  return n;
}

function time(f: () => unknown): number {
  const t0 = process.hrtime.bigint();
  f();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

for (const c of chunks.slice(0, 3)) convert(c);
const best = { defaults: Infinity, atLimit: Infinity, utf8: Infinity, fields: Infinity, bounds: Infinity };
for (let round = 0; round < ROUNDS; round++) {
  const t = { defaults: 0, atLimit: 0, utf8: 0, fields: 0, bounds: 0 };
  chunks.forEach((chunk, i) => {
    t.defaults += time(() => convert(chunk));
    t.atLimit += time(() => convert(chunk, atLimit));
    t.utf8 += time(() => utf8(i));
    t.fields += time(() => fieldCount(i));
    t.bounds += time(() => bookkeeping(i));
  });
  for (const k of Object.keys(best) as (keyof typeof best)[]) best[k] = Math.min(best[k], t[k]);
}
const us = (s: number) => ((s / EVENTS) * 1e6).toFixed(2);
const share = (s: number) => `${((s / best.defaults) * 100).toFixed(1)} % of decode + convert`;
console.log(`bson-arrow limits: ${EVENTS} events, ${atLimit} columns per batch, best of ${ROUNDS} rounds`);
console.log(`  decode + convert, default limits:              ${us(best.defaults)} µs/event`);
console.log(
  `  decode + convert, every row walked (limit ${atLimit}):  ${us(best.atLimit)} µs/event (+${((best.atLimit / best.defaults - 1) * 100).toFixed(1)} %)`,
);
console.log(
  `  isUtf8 alone (every record):                  ${us(best.utf8)} µs/event (${share(best.utf8)})`,
);
console.log(
  `  field-bound note + look-up (every record):    ${us(best.bounds)} µs/event (${share(best.bounds)})`,
);
console.log(
  `  named-field count (records ≥ 40 KB only):     ${us(best.fields)} µs/event (${share(best.fields)})`,
);
