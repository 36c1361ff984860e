/**
 * MongoDB-shaped Debezium records (key and value exactly as the connector writes them with the JsonConverter,
 * schemas off), made with bson-arrow's encoder: `orders` documents with an ObjectId, strings, numbers, a date, a
 * nested address and an array. Deterministic.
 */
import {
  type BsonDocument,
  DateTime,
  encodeMongoEvent,
  encodeMongoKey,
  type MongoPatch,
  ObjectId,
} from '@delta-writer/bson-arrow';

export interface MongoRecord {
  key: string;
  value: string;
}

const CITIES = ['Berlin', 'Lisbon', 'Osaka', 'Toronto', 'Nairobi', 'Lima'];
const STATUS = ['created', 'paid', 'shipped', 'delivered'];

export function orderId(i: number): ObjectId {
  return new ObjectId((0x65000000 + i).toString(16).padStart(8, '0') + i.toString(16).padStart(16, '0'));
}

export function orderDocument(i: number): BsonDocument {
  return new Map<string, BsonDocument[keyof BsonDocument] | unknown>([
    ['_id', orderId(i)],
    ['n', i],
    ['customer', `customer ${i % 97}`],
    ['status', STATUS[i % STATUS.length]],
    ['total', i * 1.25 + 0.5],
    ['qty', BigInt(i % 7)],
    ['created_at', new DateTime(BigInt(Date.UTC(2025, 0, 1) + i * 60_000))],
    [
      'address',
      new Map<string, unknown>([
        ['city', CITIES[i % CITIES.length]],
        ['zip', String(10000 + (i % 89999))],
      ]),
    ],
    ['tags', i % 3 === 0 ? ['gift'] : ['standard', `t${i % 5}`]],
  ]) as BsonDocument;
}

export function mongoRecord(
  i: number,
  options: {
    db?: string;
    collection?: string;
    op?: 'c' | 'u' | 'd' | 'r';
    doc?: BsonDocument;
    /** An update description; with `after: null` unless `lookup` (update_full with a looked-up document). */
    patch?: MongoPatch;
    before?: BsonDocument;
    /** Send no `after` (a change-stream update without a looked-up document). */
    noAfter?: boolean;
  } = {},
): MongoRecord {
  const doc = options.doc ?? orderDocument(i);
  const op = options.op ?? 'c';
  const ts = Date.UTC(2025, 0, 1) + i * 1000;
  return {
    key: encodeMongoKey(doc.get('_id') ?? orderId(i)),
    value: encodeMongoEvent({
      op,
      after: op === 'd' || options.noAfter ? null : doc,
      before: options.before ?? null,
      ...(options.patch && { patch: options.patch }),
      tsMs: ts,
      source: {
        name: 'mongodb',
        db: options.db ?? 'shop',
        collection: options.collection ?? 'orders',
        tsMs: ts,
        ord: i % 10,
      },
    }),
  };
}
