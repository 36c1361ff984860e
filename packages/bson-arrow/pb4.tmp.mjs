import { parseEnvelope } from './dist/debezium/envelope.js';
import { parseMongoKey } from './dist/debezium/key.js';
import { canonicalKey, Decoder, encodeMongoEvent, parseExtendedJson } from './dist/index.js';

const EVENTS = 5000;
function hex(n, seed) {
  let s = '';
  let x = seed * 2654435761;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    s += (x >>> 16).toString(16).slice(-1);
  }
  return s;
}

/** A realistic order document: ObjectIds, dates, Int64, doubles, nested customer, an array of line items. */
function orderDocument(i) {
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

function records() {
  const out = [];
  let docBytes = 0;
  let recordBytes = 0;
  for (let i = 0; i < EVENTS; i++) {
    const docText = orderDocument(i);
    docBytes += Buffer.byteLength(docText);
    const value = Buffer.from(
      encodeMongoEvent({
        op: i % 10 === 0 ? 'u' : 'c',
        after: parseExtendedJson(docText),
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

const { records: rs } = records();
const texts = rs.map((r) => r.value.toString());
const afters = texts.map((t) => JSON.parse(t).after);
const keys = rs.map((r) => r.key.toString());
const t = (f) => {
  const s = process.hrtime.bigint();
  f();
  return Number(process.hrtime.bigint() - s) / 1e3 / rs.length;
};
const dec = new Decoder();
const fns = {
  floor: () => {
    for (const r of rs) {
      const e = JSON.parse(r.value.toString());
      JSON.parse(e.after);
      JSON.parse(r.key.toString());
    }
  },
  toString: () => {
    let n = 0;
    for (const r of rs) n += r.value.toString().length;
  },
  envelope: () => {
    for (const x of texts) parseEnvelope(x, { maxDepth: 100 });
  },
  afterJSON: () => {
    for (const x of afters) JSON.parse(x);
  },
  after: () => {
    for (const x of afters) parseExtendedJson(x);
  },
  key: () => {
    for (const x of keys) parseMongoKey(x, 100);
  },
  decode: () => {
    for (const r of rs) dec.decode(r);
  },
};
const best = {};
for (let r = 0; r < 12; r++)
  for (const [k, f] of Object.entries(fns)) best[k] = Math.min(best[k] ?? 1e9, t(f));
for (const [k, v] of Object.entries(best)) console.log(k.padEnd(12), v.toFixed(2), 'µs');
