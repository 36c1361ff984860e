/**
 * What the workload's collections hold: documents shaped like real application data — nested documents, arrays of
 * documents, ObjectId / string / numeric `_id`s, dates, Int64, Decimal128, UUIDs, fields whose type changes from
 * document to document (polymorphic), and fields that only appear part-way through the stream (`age` ∈ [0, 1] is
 * how far the workload has got). Each kind also knows how its documents are updated and replaced.
 */
import {
  Binary,
  type BsonDocument,
  type BsonValue,
  DateTime,
  Decimal128,
  Double,
  type MongoPatch,
  ObjectId,
} from '@delta-writer/bson-arrow';
import type { Random } from './random.js';

export interface DocumentKind {
  /** A new document; `n` is unique within the collection. */
  create(random: Random, n: number, age: number): BsonDocument;
  /** A partial update of `doc` (what `updateOne` with operators produces). */
  update(random: Random, doc: BsonDocument, age: number): MongoPatch;
  /** A whole new document with the same `_id` (`replaceOne`). */
  replace(random: Random, doc: BsonDocument, age: number): BsonDocument;
}

const doc = (entries: [string, BsonValue | undefined][]): BsonDocument =>
  new Map(entries.filter((e): e is [string, BsonValue] => e[1] !== undefined));
const patch = (
  set: [string, BsonValue][],
  unset: string[] = [],
  truncated: MongoPatch['truncatedArrays'] = [],
) => ({
  set: new Map(set),
  unset,
  truncatedArrays: truncated,
});
const date = (ms: number) => new DateTime(BigInt(Math.round(ms)));
const money = (random: Random) =>
  new Decimal128(`${random.int(1, 9999)}.${String(random.int(0, 99)).padStart(2, '0')}`);
/** A double that stays a double even when it happens to be whole (5.0 is not Int32 5). */
const dbl = (v: number) => (Number.isInteger(v) ? new Double(v) : v);
const T0 = Date.UTC(2025, 0, 1);

const CITIES = ['Berlin', 'Lisbon', 'Osaka', 'Toronto', 'Nairobi', 'Lima', 'Zürich', 'São Paulo', '東京'];
const TAGS = ['new', 'vip', 'b2b', 'newsletter', 'returning', 'wholesale', 'gift', 'eco'];
const STATUS = ['created', 'paid', 'packed', 'shipped', 'delivered', 'returned'];

function address(random: Random): BsonDocument {
  return doc([
    ['street', `${random.int(1, 300)} ${random.pick(['Main', 'High', 'Elm', 'Oak'])} St`],
    ['city', random.pick(CITIES)],
    ['zip', String(random.int(10000, 99999))],
    [
      'geo',
      doc([
        ['lat', dbl(random.int(-9000, 9000) / 100)],
        ['lng', dbl(random.int(-18000, 18000) / 100)],
      ]),
    ],
  ]);
}

/** shop.customers: ObjectId ids, nested address, tags, counters; phone and loyalty appear over time. */
export const customers: DocumentKind = {
  create(random, n, age) {
    return doc([
      ['_id', new ObjectId(random.hex(24))],
      ['name', `Customer ${n}`],
      ['email', `c${n}@example.com`],
      ['createdAt', date(T0 + n * 60_000)],
      ['address', address(random)],
      ['tags', Array.from({ length: random.int(0, 3) }, () => random.pick(TAGS))],
      ['vip', random.chance(0.1)],
      ['visits', random.int(0, 50)],
      [
        'lifetimeValue',
        random.chance(0.5) ? BigInt(random.int(0, 1_000_000)) : dbl(random.int(0, 99_999) / 10),
      ],
      ['phone', age > 0.3 && random.chance(0.7) ? `+1-555-${random.int(1000, 9999)}` : undefined],
      [
        'loyalty',
        age > 0.6
          ? doc([
              ['tier', random.pick(['bronze', 'silver', 'gold'])],
              ['points', BigInt(random.int(0, 100_000))],
              ['since', date(T0 + random.int(0, 10_000) * 86_400_000)],
            ])
          : undefined,
      ],
    ]);
  },
  update(random, current, age) {
    const tags = (current.get('tags') as BsonValue[] | undefined) ?? [];
    switch (random.int(0, 4)) {
      case 0:
        return patch([['visits', random.int(0, 500)]]);
      case 1:
        return patch([
          ['address.city', random.pick(CITIES)],
          ['address.geo.lat', dbl(random.int(-9000, 9000) / 100)],
        ]);
      case 2: // $push
        return patch([[`tags.${tags.length}`, random.pick(TAGS)]]);
      case 3: // $pop: the array got shorter
        return tags.length > 0
          ? patch([], [], [{ field: 'tags', size: tags.length - 1 }])
          : patch([['vip', true]]);
      default:
        return age > 0.5
          ? patch([['loyalty.points', BigInt(random.int(0, 200_000))]], current.has('phone') ? ['phone'] : [])
          : patch([['vip', random.chance(0.5)]], current.has('phone') ? ['phone'] : []);
    }
  },
  replace(random, current, age) {
    const next = customers.create(random, random.int(0, 1_000_000), age);
    next.set('_id', current.get('_id') ?? null);
    return next;
  },
};

function item(random: Random): BsonDocument {
  return doc([
    ['sku', `SKU-${String(random.int(0, 999)).padStart(4, '0')}`],
    ['qty', random.int(1, 5)],
    ['price', dbl(random.int(100, 99_999) / 100)],
  ]);
}

/** A field whose type differs between documents: a number, a percentage string, or a coupon document. */
function discount(random: Random): BsonValue | undefined {
  switch (random.int(0, 4)) {
    case 0:
      return random.int(1, 50);
    case 1:
      return dbl(random.int(1, 500) / 10);
    case 2:
      return `${random.int(5, 30)}%`;
    case 3:
      return doc([
        ['code', `SAVE${random.int(1, 99)}`],
        ['amount', money(random)],
      ]);
    default:
      return undefined;
  }
}

/** shop.orders: arrays of line-item documents, Decimal128 totals, a polymorphic discount, UUID payment ids later. */
export const orders: DocumentKind = {
  create(random, n, age) {
    return doc([
      ['_id', new ObjectId(random.hex(24))],
      ['customerId', new ObjectId(random.hex(24))],
      ['status', 'created'],
      ['items', Array.from({ length: random.int(1, 4) }, () => item(random))],
      ['total', money(random)],
      ['currency', random.pick(['EUR', 'USD', 'JPY'])],
      ['placedAt', date(T0 + n * 30_000)],
      [
        'shipping',
        doc([
          ['method', random.pick(['standard', 'express'])],
          ['address', address(random)],
        ]),
      ],
      ['discount', discount(random)],
      ['notes', random.chance(0.2) ? null : undefined],
      ['paymentId', age > 0.4 ? new Binary(4, random.bytes(16)) : undefined],
    ]);
  },
  update(random, current) {
    const items = (current.get('items') as BsonValue[] | undefined) ?? [];
    switch (random.int(0, 3)) {
      case 0:
        return patch([
          ['status', random.pick(STATUS)],
          ['updatedAt', date(T0 + random.int(0, 1e9))],
        ]);
      case 1:
        return items.length > 0
          ? patch([[`items.${random.int(0, items.length - 1)}.qty`, random.int(1, 9)]])
          : patch([['items', [item(random)]]]);
      case 2: // an item removed from the end, the total recomputed
        return items.length > 1
          ? patch([['total', money(random)]], [], [{ field: 'items', size: items.length - 1 }])
          : patch([['total', money(random)]]);
      default: {
        const d = discount(random);
        if (d !== undefined) return patch([['discount', d]]);
        return current.has('discount')
          ? patch([], ['discount'])
          : patch([['notes', `call ${random.int(1, 99)}`]]);
      }
    }
  },
  replace(random, current, age) {
    const next = orders.create(random, random.int(0, 1_000_000), age);
    next.set('_id', current.get('_id') ?? null);
    next.set('status', random.pick(STATUS));
    return next;
  },
};

const ATTRIBUTES = ['color', 'size', 'material', 'weightKg', 'origin'];

/** catalog.products: string ids, price Int32 or Double, free-form attribute documents, dimensions later. */
export const products: DocumentKind = {
  create(random, n, age) {
    const attributes: [string, BsonValue][] = [];
    for (const name of ATTRIBUTES) {
      if (!random.chance(0.5)) continue;
      attributes.push([
        name,
        name === 'weightKg' ? dbl(random.int(1, 5000) / 100) : random.pick(['red', 'L', 'oak', 'PT']),
      ]);
    }
    return doc([
      ['_id', `SKU-${String(n).padStart(6, '0')}`],
      ['title', `Product ${n}`],
      ['price', random.chance(0.5) ? random.int(1, 500) : dbl(random.int(100, 50_000) / 100)],
      ['attributes', new Map(attributes)],
      ['tags', Array.from({ length: random.int(0, 4) }, () => random.pick(TAGS))],
      ['stock', BigInt(random.int(0, 10_000))],
      ['updatedAt', date(T0 + n * 1000)],
      [
        'dimensions',
        age > 0.5
          ? doc([
              ['w', dbl(random.int(1, 100))],
              ['h', dbl(random.int(1, 100))],
              ['d', dbl(random.int(1, 100))],
            ])
          : undefined,
      ],
    ]);
  },
  update(random, current) {
    switch (random.int(0, 3)) {
      case 0:
        return patch([['stock', BigInt(random.int(0, 10_000))]]);
      case 1:
        return patch([
          ['price', random.chance(0.5) ? random.int(1, 500) : dbl(random.int(100, 50_000) / 100)],
        ]);
      case 2:
        return patch([[`attributes.${random.pick(ATTRIBUTES)}`, random.pick(['blue', 'XL', 'steel', 'JP'])]]);
      default:
        return patch(
          [['updatedAt', date(T0 + random.int(0, 1e9))]],
          current.has('dimensions') ? ['dimensions'] : [],
        );
    }
  },
  replace(random, current, age) {
    const next = products.create(random, random.int(0, 1_000_000), age);
    next.set('_id', current.get('_id') ?? null);
    return next;
  },
};

/** analytics.sessions: numeric ids (Int32 and Int64), arrays of event documents with varying properties. */
export const sessions: DocumentKind = {
  create(random, n) {
    return doc([
      ['_id', n % 2 === 0 ? n : BigInt(n) + 5_000_000_000n],
      ['userAgent', random.pick(['Firefox', 'Safari', 'Chrome', 'curl/8'])],
      ['startedAt', date(T0 + n * 5000)],
      ['events', Array.from({ length: random.int(0, 3) }, () => sessionEvent(random))],
      ['durationMs', BigInt(random.int(0, 3_600_000))],
      ['flags', Array.from({ length: random.int(0, 2) }, () => random.chance(0.5))],
    ]);
  },
  update(random, current) {
    const events = (current.get('events') as BsonValue[] | undefined) ?? [];
    return random.chance(0.7)
      ? patch([
          [`events.${events.length}`, sessionEvent(random)],
          ['durationMs', BigInt(random.int(0, 3_600_000))],
        ])
      : patch([['userAgent', random.pick(['Edge', 'Opera'])]], ['flags']);
  },
  replace(random, current, age) {
    const next = sessions.create(random, random.int(0, 1_000_000), age);
    next.set('_id', current.get('_id') ?? null);
    return next;
  },
};

function sessionEvent(random: Random): BsonDocument {
  const type = random.pick(['view', 'click', 'purchase']);
  const props: [string, BsonValue][] =
    type === 'purchase' ? [['amount', money(random)]] : [['path', `/p/${random.int(1, 99)}`]];
  return doc([
    ['type', type],
    ['at', date(T0 + random.int(0, 1e9))],
    ['props', new Map(props)],
  ]);
}
