import { Decimal128 as BsonDecimal128 } from 'bson';
import {
  Binary,
  type BsonDocument,
  BsonRegExp,
  BsonSymbol,
  type BsonValue,
  Code,
  DateTime,
  DBPointer,
  Decimal128,
  double,
  INT32_MAX,
  INT32_MIN,
  INT64_MAX,
  INT64_MIN,
  isInt32Number,
  MAX_KEY,
  MIN_KEY,
  ObjectId,
  Timestamp,
  UNDEFINED,
} from '../bson/values.js';
import { DecodeError } from '../errors.js';

/**
 * Turns a parsed `{"$…": …}` object into the BSON value it wraps, for every wrapper of Extended JSON v2
 * (canonical and relaxed) and v1 strict (what Debezium's legacy `after` uses). An object that only looks
 * like a wrapper (extra keys, query operators such as `{"$regex": {…}}`, `{"$type": …}`, DBRefs) stays a
 * document: that loses nothing. An exact wrapper with an invalid payload is an error.
 */
export function interpretWrapper(doc: BsonDocument): BsonValue {
  const first = doc.keys().next().value as string;
  if (doc.size === 1) return single(first, doc.get(first) as BsonValue, doc);
  if (doc.size === 2) {
    if (doc.has('$binary') && doc.has('$type')) return legacyBinary(doc);
    if (doc.has('$regex') && doc.has('$options')) {
      const pattern = doc.get('$regex');
      const options = doc.get('$options');
      if (typeof pattern === 'string' && typeof options === 'string') return regex(pattern, options);
      return doc;
    }
    if (doc.has('$code') && doc.has('$scope')) {
      const code = doc.get('$code');
      const scope = doc.get('$scope');
      if (typeof code !== 'string' || !(scope instanceof Map)) fail('$code with $scope', doc);
      return new Code(code as string, scope as BsonDocument);
    }
  }
  return doc;
}

/** `{"<key>": v}` with a `$`-key, interpreted without building the one-field document first. */
export function interpretSingle(key: string, v: BsonValue): BsonValue {
  return single(key, v, null);
}

function single(key: string, v: BsonValue, doc: BsonDocument | null): BsonValue {
  switch (key) {
    case '$oid':
      if (typeof v === 'string' && v.length === 24) {
        if (/^[0-9a-f]{24}$/.test(v)) return new ObjectId(v);
        if (/^[0-9a-fA-F]{24}$/.test(v)) return new ObjectId(v.toLowerCase());
      }
      return fail(key, doc);
    case '$numberInt':
      if (typeof v === 'string' && /^-?\d{1,10}$/.test(v)) {
        const n = Number(v);
        if (n >= INT32_MIN && n <= INT32_MAX) return n === 0 ? 0 : n;
      }
      return fail(key, doc);
    case '$numberLong':
      if (typeof v === 'string' && /^-?\d{1,19}$/.test(v)) {
        const n = BigInt(v);
        if (n >= INT64_MIN && n <= INT64_MAX) return n;
      }
      return fail(key, doc);
    case '$numberDouble':
      if (typeof v === 'string') {
        if (v === 'NaN') return Number.NaN;
        if (v === 'Infinity') return Number.POSITIVE_INFINITY;
        if (v === '-Infinity') return Number.NEGATIVE_INFINITY;
        if (/^-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(v)) return double(Number(v));
      }
      return fail(key, doc);
    case '$numberDecimal':
      if (typeof v === 'string') return new Decimal128(normalizeDecimal(v, doc ?? undefined));
      return fail(key, doc);
    case '$binary':
      if (v instanceof Map && v.size === 2) {
        const b64 = v.get('base64');
        const sub = v.get('subType');
        if (typeof b64 === 'string' && typeof sub === 'string') return binary(b64, sub, doc);
      }
      return fail(key, doc);
    case '$uuid':
      if (
        typeof v === 'string' &&
        /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/.test(v)
      ) {
        return new Binary(4, Buffer.from(v.replaceAll('-', ''), 'hex'));
      }
      return fail(key, doc);
    case '$code':
      if (typeof v === 'string') return new Code(v, null);
      return fail(key, doc);
    case '$timestamp':
      if (v instanceof Map && v.size === 2) {
        const t = uint32(v.get('t'));
        const i = uint32(v.get('i'));
        if (t !== undefined && i !== undefined) return new Timestamp(t, i);
      }
      return fail(key, doc);
    case '$regularExpression':
      if (v instanceof Map && v.size === 2) {
        const pattern = v.get('pattern');
        const options = v.get('options');
        if (typeof pattern === 'string' && typeof options === 'string') return regex(pattern, options);
      }
      return fail(key, doc);
    case '$regex':
      return typeof v === 'string' ? regex(v, '') : (doc ?? new Map([[key, v]]));
    case '$dbPointer':
      if (v instanceof Map && v.size === 2) {
        const ref = v.get('$ref');
        const id = v.get('$id');
        if (typeof ref === 'string' && id instanceof ObjectId) return new DBPointer(ref, id);
      }
      return fail(key, doc);
    case '$date':
      return date(v, doc);
    case '$minKey':
      return v === 1 ? MIN_KEY : fail(key, doc);
    case '$maxKey':
      return v === 1 ? MAX_KEY : fail(key, doc);
    case '$undefined':
      return v === true ? UNDEFINED : fail(key, doc);
    case '$symbol':
      return typeof v === 'string' ? new BsonSymbol(v) : fail(key, doc);
    default:
      return doc ?? new Map([[key, v]]);
  }
}

function fail(wrapper: string, doc: BsonDocument | null): never {
  const shown = doc ? [...doc.keys()].join(', ') : wrapper;
  throw new DecodeError('invalid_extended_json', `invalid Extended JSON ${wrapper} wrapper (keys: ${shown})`);
}

function uint32(v: BsonValue | undefined): number | undefined {
  if (typeof v === 'number' && isInt32Number(v) && v >= 0) return v;
  if (typeof v === 'bigint' && v >= 0n && v <= 0xffffffffn) return Number(v);
  return undefined;
}

function regex(pattern: string, options: string): BsonRegExp {
  return new BsonRegExp(pattern, [...options].sort().join(''));
}

/** `$binary` with its base64 text and subtype, as both Extended JSON forms give them (errors as for the wrapper). */
export function binary(b64: string, subType: string, doc: BsonDocument | null): Binary {
  if (!/^[0-9a-fA-F]{1,2}$/.test(subType) || !/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 !== 0) {
    fail('$binary', doc);
  }
  return new Binary(Number.parseInt(subType, 16), Buffer.from(b64, 'base64'));
}

function legacyBinary(doc: BsonDocument): BsonValue {
  const b64 = doc.get('$binary');
  const type = doc.get('$type');
  // `{"$binary": …, "$type": …}` with a non-string `$binary` is not the v1 form; keep it as a document.
  if (typeof b64 !== 'string' || typeof type !== 'string') return doc;
  return binary(b64, type, doc);
}

const ISO_DATE = /^(-?\d{4,})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|[+-]\d{2}:?\d{2})$/;

function date(v: BsonValue, doc: BsonDocument | null): DateTime {
  if (typeof v === 'number' && isInt32Number(v)) return new DateTime(BigInt(v));
  if (typeof v === 'bigint') return new DateTime(v);
  if (typeof v === 'string') {
    const m = ISO_DATE.exec(v);
    if (m) {
      const [, y, mo, d, h, mi, s, frac, zone] = m as unknown as string[];
      // Date.UTC maps years 0–99 to 1900–1999; setUTCFullYear does not.
      const at = new Date(Date.UTC(2000, Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s ?? 0)));
      const ms = at.setUTCFullYear(Number(y));
      const fraction = frac ? Number((frac as string).padEnd(3, '0').slice(0, 3)) : 0;
      let offsetMin = 0;
      if (zone !== 'Z') {
        const z = (zone as string).replace(':', '');
        offsetMin = (Number(z.slice(1, 3)) * 60 + Number(z.slice(3, 5))) * (z[0] === '-' ? -1 : 1);
      }
      if (!Number.isNaN(ms)) return new DateTime(BigInt(ms + fraction - offsetMin * 60_000));
    }
  }
  return fail('$date', doc);
}

/** A plain decimal without superfluous leading zeros: `-12.50`, `0.001`, `7`. */
const PLAIN_DECIMAL = /^-?(?:0|[1-9]\d*)(?:\.(\d+))?$/;

/**
 * Whether `text` already is its own canonical Decimal128 text. Decimal128's to-string keeps the exponent the text
 * gave (trailing zeros stay) and writes plain notation exactly when the exponent is ≤ 0 and the adjusted exponent
 * (digits of the coefficient − 1 + exponent) is ≥ −6; a coefficient of more than 34 digits needs rounding. Money
 * columns are almost always such texts, and parsing them through `bson` was ~14 % of an encoder thread's time.
 */
export function isCanonicalPlainDecimal(text: string): boolean {
  if (text.length > 40) return false;
  const m = PLAIN_DECIMAL.exec(text);
  if (!m) return false;
  const fraction = m[1]?.length ?? 0;
  const digits = text.replace(/[-.]/g, '').replace(/^0+/, '');
  const coefficient = Math.max(1, digits.length);
  return coefficient <= 34 && coefficient - 1 - fraction >= -6;
}

/** Canonical Decimal128 text (`1E3` → `1E+3`, `-100E-10` → `-1.00E-8`), validated and range-clamped. */
export function normalizeDecimal(text: string, doc?: BsonDocument): string {
  if (isCanonicalPlainDecimal(text)) return text;
  try {
    return BsonDecimal128.fromString(text).toString();
  } catch {
    if (doc) fail('$numberDecimal', doc);
    throw new DecodeError('invalid_extended_json', `invalid Decimal128 text: ${text.slice(0, 64)}`);
  }
}
