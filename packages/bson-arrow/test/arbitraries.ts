import fc from 'fast-check';
import {
  Binary,
  type BsonDocument,
  BsonRegExp,
  BsonSymbol,
  type BsonValue,
  bsonTypeOf,
  Code,
  DateTime,
  DBPointer,
  Decimal128,
  double,
  doubleValue,
  MAX_KEY,
  MIN_KEY,
  ObjectId,
  Timestamp,
  UNDEFINED,
} from '../src/bson/values.js';
import { normalizeDecimal } from '../src/ejson/wrappers.js';

const hex = (n: number) =>
  fc.uint8Array({ minLength: n, maxLength: n }).map((b) => Buffer.from(b).toString('hex'));
const objectId = hex(12).map((h) => new ObjectId(h));
const text = fc.string({ unit: 'binary', maxLength: 12 });
const cstring = text.filter((s) => !s.includes('\0'));

/** Field names: a small shared pool (so documents overlap and collide) plus arbitrary ones. */
export const fieldName = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.constantFrom('a', 'b', 'n', 'A', 'x.y', '', 'name', 'Name', '_cdc_op', 'tab\t'),
  },
  { weight: 1, arbitrary: cstring.filter((s) => !s.startsWith('$')) },
);

const leaves: fc.Arbitrary<BsonValue>[] = [
  fc.constant(null),
  fc.boolean(),
  text,
  fc.integer(),
  fc.bigInt(-(2n ** 63n), 2n ** 63n - 1n),
  fc.double().map(double),
  objectId,
  fc.bigInt(-(2n ** 63n), 2n ** 63n - 1n).map((ms) => new DateTime(ms)),
  fc.bigInt(-(10n ** 12n), 10n ** 13n).map((ms) => new DateTime(ms)),
  fc
    .tuple(fc.constantFrom(0, 1, 3, 4, 5, 0x80), fc.uint8Array({ maxLength: 20 }))
    .map(([s, b]) => new Binary(s, b)),
  fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => new Binary(4, b)),
  fc
    .tuple(fc.bigInt(-(10n ** 20n), 10n ** 20n), fc.integer({ min: -20, max: 20 }))
    .map(([c, e]) => new Decimal128(normalizeDecimal(`${c}E${e}`))),
  fc.tuple(fc.nat({ max: 0xffffffff }), fc.nat({ max: 0xffffffff })).map(([t, i]) => new Timestamp(t, i)),
  fc.tuple(cstring, fc.subarray(['i', 'm', 's', 'u', 'x'])).map(([p, o]) => new BsonRegExp(p, o.join(''))),
  text.map((c) => new Code(c, null)),
  text.map((s) => new BsonSymbol(s)),
  fc.constantFrom(MIN_KEY, MAX_KEY, UNDEFINED),
  fc.tuple(text, objectId).map(([r, id]) => new DBPointer(r, id)),
];

export const bsonValue: fc.Arbitrary<BsonValue> = fc.letrec<{ value: BsonValue; doc: BsonDocument }>(
  (tie) => ({
    value: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      ...leaves.map((arbitrary) => ({ weight: 2, arbitrary })),
      { weight: 2, arbitrary: tie('doc') },
      { weight: 2, arbitrary: fc.array(tie('value'), { maxLength: 4 }) },
      { weight: 1, arbitrary: fc.tuple(text, tie('doc')).map(([c, s]) => new Code(c, s)) },
    ),
    doc: fc
      .uniqueArray(fc.tuple(fieldName, tie('value')), { maxLength: 5, selector: ([k]) => k })
      .map((entries) => new Map(entries)),
  }),
).value;

export const idValue: fc.Arbitrary<BsonValue> = fc.oneof(
  objectId,
  fc.integer(),
  text,
  fc.bigInt(-(2n ** 62n), 2n ** 62n),
);

/** A document as MongoDB stores it: `_id` first, then fields. */
export const mongoDocument: fc.Arbitrary<BsonDocument> = fc
  .tuple(idValue, fc.uniqueArray(fc.tuple(fieldName, bsonValue), { maxLength: 6, selector: ([k]) => k }))
  .map(
    ([id, entries]) => new Map([['_id', id] as [string, BsonValue], ...entries.filter(([k]) => k !== '_id')]),
  );

/**
 * Whether a value contains a DBPointer: v1 strict Extended JSON (Debezium's legacy dialect) writes a
 * DBPointer exactly like a DBRef document, so it reads back as that document (a declared loss).
 */
export function hasDbPointer(v: BsonValue): boolean {
  if (v instanceof Map) return [...v.values()].some(hasDbPointer);
  if (Array.isArray(v)) return v.some(hasDbPointer);
  if (v instanceof Code && v.scope) return hasDbPointer(v.scope);
  return v instanceof DBPointer;
}

/**
 * Equality modulo the conversion's declared changes: numbers compare by value (int32 → int64 → double
 * promotion), documents ignore field order and treat null like a missing field.
 */
export function looseEqual(a: BsonValue | undefined, b: BsonValue | undefined): boolean {
  if (a === undefined) a = null;
  if (b === undefined) b = null;
  const ta = bsonTypeOf(a);
  const tb = bsonTypeOf(b);
  const num = (t: string) => t === 'int32' || t === 'int64' || t === 'double';
  if (num(ta) && num(tb)) {
    if (ta === 'int64' || tb === 'int64') {
      const x = ta === 'int64' ? (a as bigint) : doubleValue(a as number);
      const y = tb === 'int64' ? (b as bigint) : doubleValue(b as number);
      if (typeof x === 'bigint' && typeof y === 'bigint') return x === y;
      const d = typeof x === 'bigint' ? (y as number) : (x as number);
      const i = typeof x === 'bigint' ? x : (y as bigint);
      return Number.isInteger(d) && BigInt(d) === i;
    }
    return Object.is(doubleValue(a as number), doubleValue(b as number));
  }
  if (ta !== tb) return false;
  if (ta === 'document') {
    const da = a as BsonDocument;
    const db = b as BsonDocument;
    for (const k of new Set([...da.keys(), ...db.keys()]))
      if (!looseEqual(da.get(k), db.get(k))) return false;
    return true;
  }
  if (ta === 'array') {
    const xa = a as BsonValue[];
    const xb = b as BsonValue[];
    return xa.length === xb.length && xa.every((v, i) => looseEqual(v, xb[i]));
  }
  if (ta === 'code') {
    const ca = a as Code;
    const cb = b as Code;
    return ca.code === cb.code && (ca.scope === null ? cb.scope === null : looseEqual(ca.scope, cb.scope));
  }
  return bsonEqualsStrict(a, b);
}

import { bsonEquals as bsonEqualsStrict } from '../src/bson/values.js';
