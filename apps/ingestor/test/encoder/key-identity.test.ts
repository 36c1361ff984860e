/**
 * Keys keep their BSON type in `keyCanonical` (bson-arrow) while mirror merges compare `keyIdentity` of it
 * (proto/mirror). Both packages meet here, in the ingestor that feeds one into the other. The identity must be
 * exactly the key text tables and key indexes hold from before keys kept their types — so an upgraded pipeline
 * still finds every stored row — and equal for keys MongoDB's `_id` index treats as equal.
 */
import {
  type BsonDocument,
  type BsonValue,
  bsonTypeOf,
  canonicalKey,
  type Double,
  double,
  doubleValue,
  ObjectId,
  stringifyExtendedJson,
} from '@delta-writer/bson-arrow';
import { keyIdentity } from '@delta-writer/proto/mirror';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

/** The canonical key as it was written before keys kept their types (every integral number as `$numberLong`). */
function legacyCanonicalKey(v: BsonValue): string {
  if (v instanceof ObjectId) return `{"$oid":"${v.hex}"}`;
  if (typeof v === 'string') return JSON.stringify(v);
  return stringifyExtendedJson(byValue(v), { mode: 'canonical', style: 'compact' });
}
function byValue(v: BsonValue): BsonValue {
  switch (bsonTypeOf(v)) {
    case 'int32':
      return BigInt(v as number);
    case 'double': {
      const d = doubleValue(v as number | Double);
      return Number.isInteger(d) && Math.abs(d) < 2 ** 63 ? BigInt(d) : d;
    }
    case 'array':
      return (v as BsonValue[]).map(byValue);
    case 'document':
      return new Map([...(v as BsonDocument)].map(([k, x]) => [k, byValue(x)]));
    default:
      return v;
  }
}

const number: fc.Arbitrary<BsonValue> = fc.oneof(
  fc.integer(),
  fc.bigInt(-(2n ** 63n), 2n ** 63n - 1n),
  fc.bigInt(-1000n, 1000n),
  fc.double().map(double),
  fc.integer({ min: -1000, max: 1000 }).map((n) => double(n)),
  fc.constantFrom(2 ** 63, -(2 ** 63), 2 ** 62, -0, 1e300).map(double),
);
const keyValue: fc.Arbitrary<BsonValue> = fc.letrec<{ v: BsonValue }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small' },
    number,
    fc.string(),
    fc.constantFrom('{"$numberInt":"1"}', '{"$numberDouble":"2.0"}'),
    fc.uint8Array({ minLength: 12, maxLength: 12 }).map((b) => new ObjectId(Buffer.from(b).toString('hex'))),
    fc.array(tie('v'), { maxLength: 3 }),
    fc
      .uniqueArray(fc.tuple(fc.string(), tie('v')), { maxLength: 3, selector: ([k]) => k })
      .map((e) => new Map(e) as BsonDocument),
  ),
})).v;

describe('key identity', () => {
  it('of a typed canonical key is the key text written before keys kept their types', () => {
    fc.assert(
      fc.property(keyValue, (v) => {
        expect(keyIdentity(canonicalKey(v))).toBe(legacyCanonicalKey(v));
        expect(keyIdentity(legacyCanonicalKey(v))).toBe(legacyCanonicalKey(v));
      }),
      { numRuns: 2000 },
    );
  });

  it('is the same for the numbers MongoDB takes as one _id, and differs otherwise', () => {
    const id = (v: BsonValue) => keyIdentity(canonicalKey(v));
    expect(canonicalKey(77)).toBe('{"$numberInt":"77"}');
    expect(new Set([id(77), id(77n), id(double(77))]).size).toBe(1);
    expect(id(new Map([['a', 5]]))).toBe(id(new Map([['a', 5n]])));
    expect(id(77)).not.toBe(id(78));
    expect(id(double(77.5))).not.toBe(id(77));
    expect(id('77')).not.toBe(id(77));
  });
});
