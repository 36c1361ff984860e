/**
 * Decode + convert throughput for ~1 KB MongoDB documents, against the `JSON.parse`-only floor measured
 * in the same process: what parsing the envelope and the `after` string costs without any lossless
 * handling, typing or column building. Run with `pnpm bench`.
 */
import {
  BatchBuilder,
  type ChangeEvent,
  Decoder,
  encodeMongoEvent,
  type KafkaRecord,
  parseExtendedJson,
} from '@delta-writer/bson-arrow';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 20_000);
const BATCH = 1000;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);

function hex(n: number, seed: number): string {
  let s = '';
  let x = seed * 2654435761;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    s += (x >>> 16).toString(16).slice(-1);
  }
  return s;
}

/** A realistic order document: ObjectIds, dates, Int64, doubles, nested customer, an array of line items. */
function orderDocument(i: number): string {
  const items = Array.from({ length: 3 + (i % 3) }, (_, k) => ({
    sku: `SKU-${(i * 7 + k) % 9973}`,
    name: `Product ${k} of order ${i}`,
    qty: 1 + ((i + k) % 5),
    price: Math.round(((i * 31 + k * 17) % 10000) + 99) / 100 + 0.01,
  }));
  const itemsJson = items
    .map((it) => `{"sku": "${it.sku}","name": "${it.name}","qty": ${it.qty},"price": ${it.price}}`)
    .join(',');
  return (
    `{"_id": {"$oid": "${hex(24, i)}"},"orderNo": {"$numberLong": "${1_000_000_000_000 + i}"},` +
    `"status": "${['new', 'paid', 'shipped', 'delivered'][i % 4]}","createdAt": {"$date": ${1_739_455_297_970 + i * 1000}},` +
    `"updatedAt": {"$date": ${1_739_455_397_970 + i * 1000}},"customer": {"id": {"$oid": "${hex(24, i + 7)}"},` +
    `"name": "Customer number ${i}","email": "customer${i}@example.com","address": {"street": "${i} Main Street",` +
    `"city": "Springfield","zip": "${10000 + (i % 90000)}","country": "US"}},"items": [${itemsJson}],` +
    `"total": ${(i % 1000) + 0.5},"currency": "EUR","express": ${i % 2 === 0},"notes": "Leave at the door, ring twice",` +
    `"tags": ["web","promo-${i % 10}"],"version": ${i % 17},"channel": {"source": "storefront","campaign": "spring-${i % 12}",` +
    `"referrer": "https://example.com/landing/${i % 50}"}}`
  );
}

function records(): { records: KafkaRecord[]; docBytes: number; recordBytes: number } {
  const out: KafkaRecord[] = [];
  let docBytes = 0;
  let recordBytes = 0;
  for (let i = 0; i < EVENTS; i++) {
    const docText = orderDocument(i);
    docBytes += Buffer.byteLength(docText);
    const value = Buffer.from(
      encodeMongoEvent({
        op: i % 10 === 0 ? 'u' : 'c',
        after: parseExtendedJson(docText) as Map<string, never>,
        tsMs: 1_739_455_297_970 + i,
        source: {
          name: 'shop',
          db: 'shop',
          collection: 'orders',
          tsMs: 1_739_455_297_000 + i * 1000,
          ord: 1 + (i % 5),
        },
      }),
    );
    recordBytes += value.length;
    const key = Buffer.from(`{"id":"{\\"$oid\\": \\"${hex(24, i)}\\"}"}`);
    out.push({ topic: 'shop.shop.orders', partition: 0, offset: String(i), key, value });
  }
  return { records: out, docBytes, recordBytes };
}

function floor(rs: KafkaRecord[]): number {
  let n = 0;
  for (const r of rs) {
    const env = JSON.parse((r.value as Buffer).toString('utf8'));
    const doc = JSON.parse(env.after);
    JSON.parse((r.key as Buffer).toString('utf8'));
    n += doc.version;
  }
  return n;
}

/** The ingestor's hot path: decode each record, append it, finish a batch every BATCH events. */
function ours(rs: KafkaRecord[]): number {
  const decoder = new Decoder();
  const batch = new BatchBuilder();
  for (const r of rs) {
    const e = decoder.decode(r);
    if (e.kind !== 'change') throw new Error(`bench record did not decode: ${JSON.stringify(e)}`);
    batch.append(e as ChangeEvent);
  }
  return batch.finish().rows;
}

function time(f: () => unknown): number {
  const t0 = process.hrtime.bigint();
  f();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

const { records: rs, docBytes, recordBytes } = records();
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
