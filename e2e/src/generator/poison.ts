/**
 * Records no decoder can turn into a row, mixed into a MongoDB topic between good events: each must end in the
 * dead-letter topic with a reason, and must not stop or slow down the good events around it.
 */
import { encodeMongoEvent, encodeMongoKey, ObjectId } from '@delta-writer/bson-arrow';
import type { Random } from './random.js';

export type PoisonKind =
  | 'garbage-bytes'
  | 'truncated-json'
  | 'not-debezium'
  | 'nan-envelope'
  | 'infinity-source'
  | 'nesting-1000'
  | 'document-16mb'
  | 'fields-100k';

export const POISON_KINDS: readonly PoisonKind[] = [
  'garbage-bytes',
  'truncated-json',
  'not-debezium',
  'nan-envelope',
  'infinity-source',
  'nesting-1000',
  'document-16mb',
  'fields-100k',
];

/** Kinds small enough to repeat many times in a loop (the big ones cost seconds and ~17 MB each). */
export const SMALL_POISON: readonly PoisonKind[] = POISON_KINDS.filter(
  (k) => k !== 'document-16mb' && k !== 'fields-100k',
);

export interface PoisonRecord {
  poison: PoisonKind;
  key: Buffer | string | null;
  value: Buffer | string;
}

const source = (collection: string) => ({
  name: 'poison',
  db: 'poison',
  collection,
  tsMs: 1_750_000_000_000,
  ord: 1,
});

function event(after: Map<string, unknown>, collection: string): string {
  return encodeMongoEvent({
    op: 'c',
    after: after as never,
    tsMs: 1_750_000_000_003,
    source: source(collection),
  });
}

/** One poison record of the given kind; `collection` only shapes the otherwise-valid parts. */
export function poisonRecord(kind: PoisonKind, random: Random, collection = 'poison'): PoisonRecord {
  const id = new ObjectId(random.hex(24));
  const key = encodeMongoKey(id);
  const valid = () =>
    event(
      new Map<string, unknown>([
        ['_id', id],
        ['note', 'poison'],
      ]),
      collection,
    );
  switch (kind) {
    case 'garbage-bytes':
      return {
        poison: kind,
        key: Buffer.from(random.bytes(16)),
        value: Buffer.from(random.bytes(random.int(1, 512))),
      };
    case 'truncated-json': {
      const text = valid();
      return { poison: kind, key, value: text.slice(0, random.int(1, text.length - 2)) };
    }
    case 'not-debezium':
      return {
        poison: kind,
        key,
        value: JSON.stringify({ hello: 'world', n: random.int(0, 9), nested: { ok: true } }),
      };
    case 'nan-envelope': // JSON has no NaN; Debezium never writes one outside the document strings
      return {
        poison: kind,
        key,
        value: valid().replace(/"ts_ms":\d+,"transaction"/, '"ts_ms":NaN,"transaction"'),
      };
    case 'infinity-source':
      return { poison: kind, key, value: valid().replace(/"ord":\d+/, '"ord":Infinity') };
    case 'nesting-1000': {
      let deep: Map<string, unknown> = new Map([['leaf', 1]]);
      for (let i = 0; i < 1000; i++) deep = new Map([['level', deep]]);
      return {
        poison: kind,
        key,
        value: event(
          new Map<string, unknown>([
            ['_id', id],
            ['deep', deep],
          ]),
          collection,
        ),
      };
    }
    case 'document-16mb': // MongoDB's largest document; as Debezium JSON it is over the 16 MiB record limit
      return {
        poison: kind,
        key,
        value: event(
          new Map<string, unknown>([
            ['_id', id],
            ['blob', 'x'.repeat(16 * 1024 * 1024)],
          ]),
          collection,
        ),
      };
    case 'fields-100k': {
      const wide = new Map<string, unknown>([['_id', id]]);
      for (let i = 0; i < 100_000; i++) wide.set(`f${i}`, i);
      return { poison: kind, key, value: event(wide, collection) };
    }
  }
}
