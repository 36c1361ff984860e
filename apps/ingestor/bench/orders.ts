/**
 * Realistic changelog batches for benchmarks: what a MongoDB `orders` collection captured by Debezium looks like after
 * conversion to Arrow — envelope columns (op, source timestamps, ord), a document with an ObjectId, strings of varied
 * cardinality, numbers, timestamps, a nested address and an array of line items. Deterministic (seeded).
 */
import {
  Field,
  Float64,
  Int32,
  Int64,
  List,
  Struct,
  Table,
  TimestampMicrosecond,
  TimestampMillisecond,
  Utf8,
  vectorFromArray,
} from 'apache-arrow';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIRST = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Frances', 'Ken', 'Margaret', 'Linus'];
const LAST = ['Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov', 'Knuth', 'Allen', 'Thompson', 'Hamilton'];
const CITIES = ['Berlin', 'Lisbon', 'Osaka', 'Toronto', 'Nairobi', 'Lima', 'Oslo', 'Austin', 'Pune', 'Perth'];
const STATUS = ['created', 'paid', 'packed', 'shipped', 'delivered', 'cancelled'];
const SKUS = Array.from({ length: 500 }, (_, i) => `SKU-${String(i).padStart(5, '0')}`);

const item = new Struct([
  new Field('sku', new Utf8(), true),
  new Field('qty', new Int32(), true),
  new Field('price', new Float64(), true),
]);
const address = new Struct([
  new Field('street', new Utf8(), true),
  new Field('city', new Utf8(), true),
  new Field('zip', new Utf8(), true),
]);

export function ordersBatch(rows: number, seed = 1): Table {
  const r = rng(seed);
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)] as T;
  const base = Date.UTC(2025, 0, 1);
  const cols = {
    op: [] as string[],
    ts_ms: [] as Date[],
    ord: [] as number[],
    _id: [] as string[],
    customer: [] as string[],
    email: [] as string[],
    status: [] as string[],
    total: [] as number[],
    version: [] as bigint[],
    created_at: [] as Date[],
    address: [] as ({ street: string; city: string; zip: string } | null)[],
    items: [] as { sku: string; qty: number; price: number }[][],
    note: [] as (string | null)[],
  };
  for (let i = 0; i < rows; i++) {
    const t = base + i * 37 + Math.floor(r() * 1000);
    const name = `${pick(FIRST)} ${pick(LAST)}`;
    cols.op.push(r() < 0.6 ? 'c' : r() < 0.9 ? 'u' : 'd');
    cols.ts_ms.push(new Date(t));
    cols.ord.push(Math.floor(r() * 20));
    cols._id.push(
      (Math.floor(t / 1000).toString(16) + Math.floor(r() * 2 ** 48).toString(16))
        .padEnd(24, '0')
        .slice(0, 24),
    );
    cols.customer.push(name);
    cols.email.push(`${name.toLowerCase().replace(' ', '.')}${Math.floor(r() * 1000)}@example.com`);
    cols.status.push(pick(STATUS));
    cols.total.push(Math.round(r() * 100000) / 100);
    cols.version.push(BigInt(Math.floor(r() * 50)));
    cols.created_at.push(new Date(t - Math.floor(r() * 86_400_000)));
    cols.address.push(
      r() < 0.05
        ? null
        : {
            street: `${Math.floor(r() * 999)} Main St`,
            city: pick(CITIES),
            zip: String(10000 + Math.floor(r() * 89999)),
          },
    );
    cols.items.push(
      Array.from({ length: 1 + Math.floor(r() * 4) }, () => ({
        sku: pick(SKUS),
        qty: 1 + Math.floor(r() * 5),
        price: Math.round(r() * 20000) / 100,
      })),
    );
    cols.note.push(
      r() < 0.8
        ? null
        : `customer asked: ${pick(['gift wrap', 'leave at door', 'call first', 'no plastic'])}`,
    );
  }
  return new Table({
    op: vectorFromArray(cols.op, new Utf8()),
    ts_ms: vectorFromArray(cols.ts_ms, new TimestampMillisecond('UTC')),
    ord: vectorFromArray(cols.ord, new Int32()),
    _id: vectorFromArray(cols._id, new Utf8()),
    customer: vectorFromArray(cols.customer, new Utf8()),
    email: vectorFromArray(cols.email, new Utf8()),
    status: vectorFromArray(cols.status, new Utf8()),
    total: vectorFromArray(cols.total, new Float64()),
    version: vectorFromArray(cols.version, new Int64()),
    created_at: vectorFromArray(cols.created_at, new TimestampMicrosecond('UTC')),
    address: vectorFromArray(cols.address, address),
    items: vectorFromArray(cols.items, new List(new Field('element', item, true))),
    note: vectorFromArray(cols.note, new Utf8()),
  });
}
