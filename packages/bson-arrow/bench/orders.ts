/**
 * The bench workload, shared by `decode-convert.ts` (the bench) and `profile.ts` (one path in a loop,
 * for `node --cpu-prof` or `valgrind --tool=callgrind`): ~1 KB MongoDB order documents as Debezium 2.7
 * legacy-dialect records, the `JSON.parse`-only floor and our decode+convert path.
 */
import {
  BatchBuilder,
  type ChangeEvent,
  Decoder,
  encodeMongoEvent,
  type KafkaRecord,
  parseExtendedJson,
} from '@delta-writer/bson-arrow';

export const BATCH = 1000;

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
export function orderDocument(i: number): string {
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

export function records(EVENTS: number): { records: KafkaRecord[]; docBytes: number; recordBytes: number } {
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

export function floor(rs: KafkaRecord[]): number {
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
export function ours(rs: KafkaRecord[]): number {
  const decoder = new Decoder();
  const batch = new BatchBuilder();
  for (const r of rs) {
    const e = decoder.decode(r);
    if (e.kind !== 'change') throw new Error(`bench record did not decode: ${JSON.stringify(e)}`);
    batch.append(e as ChangeEvent);
  }
  return batch.finish().rows;
}
