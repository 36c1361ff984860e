import {
  type Binary,
  type BsonValue,
  type DateTime,
  type Decimal128,
  doubleValue,
  INT32_MAX,
  INT32_MIN,
  type SqlDecimal,
} from '../bson/values.js';

/**
 * Column kinds: what a BSON (or relational) value becomes in Arrow. The README's type-mapping table is
 * the human version of `kindOf` + `arrowTypeOf` (schema.ts).
 */
export type Kind =
  | 'null'
  | 'bool'
  | 'int32'
  | 'int64'
  | 'double'
  | 'string'
  | 'objectId'
  | 'decimal128'
  | 'decimalText'
  | 'decimal'
  | 'symbol'
  | 'code'
  | 'binary'
  | 'uuid'
  | 'timestamp'
  | 'date'
  | 'time'
  | 'bsonTimestamp'
  | 'regex'
  | 'struct'
  | 'list'
  | 'ejson';

/** Largest |µs| an int64 timestamp holds, expressed in ms: dates beyond it cannot be µs timestamps. */
const MAX_MS_FOR_MICROS = 9_223_372_036_854_775n;
const SAFE = 2n ** 53n;

export interface ConvertOptions {
  /** Store Decimal128 as Arrow decimal(precision, scale) instead of its exact text. Values that do not fit fall back. */
  decimal128?: { precision: number; scale: number } | null;
}

/** The kind of a single value, plus the detail merging needs (binary subtype, decimal shape, int64 safety). */
export interface ValueKind {
  kind: Kind | 'wideDate' | 'unsafeInt64' | 'wideDecimal';
  subtype?: number;
  precision?: number;
  scale?: number;
  /** For `ejson` leaves of rare BSON types: which type, for field metadata. */
  bsonType?: string;
}

const K = (kind: ValueKind['kind']): ValueKind => ({ kind });
const NULL = K('null');
const BOOL = K('bool');
const INT32 = K('int32');
const INT64 = K('int64');
const UNSAFE_INT64 = K('unsafeInt64');
const DOUBLE = K('double');
const STRING = K('string');
const OBJECT_ID = K('objectId');
const TIMESTAMP = K('timestamp');
const WIDE_DATE = K('wideDate');
const STRUCT = K('struct');
const LIST = K('list');
const DATE = K('date');
const TIME = K('time');
const SYMBOL = K('symbol');
const CODE = K('code');
const BSON_TS = K('bsonTimestamp');
const REGEX = K('regex');
const DEC_TEXT = K('decimalText');

/** The kinds a value read from a token tape can have (the same objects `kindOf` returns). */
export const TOKEN_KINDS = {
  BOOL,
  INT32,
  INT64,
  DOUBLE,
  STRING,
  OBJECT_ID,
  TIMESTAMP,
  STRUCT,
  LIST,
} as const;

export function kindOf(v: BsonValue | undefined, options: ConvertOptions): ValueKind {
  switch (typeof v) {
    case 'undefined':
      return NULL;
    case 'string':
      return STRING;
    case 'boolean':
      return BOOL;
    case 'number':
      return (v | 0) === v && !Object.is(v, -0) ? INT32 : DOUBLE;
    case 'bigint':
      return v > SAFE || v < -SAFE ? UNSAFE_INT64 : INT64;
  }
  if (v === null) return NULL;
  if (v instanceof Map) return STRUCT;
  if (Array.isArray(v)) return LIST;
  switch (v.kind) {
    case 'objectId':
      return OBJECT_ID;
    case 'double':
      return DOUBLE;
    case 'date': {
      const ms = (v as DateTime).ms;
      return ms > MAX_MS_FOR_MICROS || ms < -MAX_MS_FOR_MICROS ? WIDE_DATE : TIMESTAMP;
    }
    case 'sqlTimestamp':
      return TIMESTAMP;
    case 'binary': {
      const b = v as Binary;
      if ((b.subtype === 4 || b.subtype === 3) && b.bytes.length === 16)
        return { kind: 'uuid', subtype: b.subtype };
      return { kind: 'binary', subtype: b.subtype };
    }
    case 'decimal128': {
      const d = options.decimal128;
      if (!d) return K('decimal128');
      return fitsDecimal((v as Decimal128).text, d.precision, d.scale)
        ? { kind: 'decimal', precision: d.precision, scale: d.scale }
        : K('wideDecimal');
    }
    case 'sqlDecimal': {
      const d = v as SqlDecimal;
      if (d.variableScale || (d.precision !== null && d.precision > 38) || d.scale < 0 || d.scale > 38)
        return DEC_TEXT;
      const digits = (d.unscaled < 0n ? -d.unscaled : d.unscaled).toString().length;
      if (digits > 38) return DEC_TEXT;
      return { kind: 'decimal', precision: d.precision ?? 38, scale: d.scale };
    }
    case 'sqlDate':
      return DATE;
    case 'sqlTime':
      return TIME;
    case 'symbol':
      return SYMBOL;
    case 'code':
      return v.scope === null ? CODE : { kind: 'ejson', bsonType: 'codeWithScope' };
    case 'timestamp':
      return BSON_TS;
    case 'regex':
      return REGEX;
    default:
      // dbPointer, minKey, maxKey, undefined: rare types kept as their Extended JSON text.
      return { kind: 'ejson', bsonType: v.kind };
  }
}

/** Whether a Decimal128 text is exactly representable as decimal(precision, scale). */
export function fitsDecimal(text: string, precision: number, scale: number): boolean {
  return decimalToUnscaled(text, scale, precision) !== null;
}

/** Decimal text → unscaled integer at `scale`, or null if it needs more scale or more digits. */
export function decimalToUnscaled(text: string, scale: number, precision: number): bigint | null {
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:E([+-]\d+))?$/.exec(text);
  if (!m) return null; // NaN, Infinity
  const [, sign, int, frac = '', exp = '0'] = m as unknown as [string, string, string, string, string];
  let digits = int + frac;
  let shift = scale - (frac.length - Number(exp)); // how many zeros to append
  if (shift < 0) {
    const dropped = digits.slice(digits.length + shift);
    if (/[^0]/.test(dropped)) return null;
    digits = digits.slice(0, digits.length + shift) || '0';
    shift = 0;
  }
  const unscaled = BigInt(digits + '0'.repeat(shift));
  if (unscaled.toString().length > precision) return null;
  return sign ? -unscaled : unscaled;
}

export function isIntegral(v: number): boolean {
  return v >= INT32_MIN && v <= INT32_MAX && (v | 0) === v;
}

export function numberOf(v: BsonValue): number {
  if (typeof v === 'bigint') return Number(v);
  return doubleValue(v as number);
}
