/**
 * The BSON value model every other module works on.
 *
 * Primitives map onto JS types so the common case allocates nothing:
 *   null → null · boolean → boolean · string → string · bigint → Int64
 *   number → Int32 when it is an integer in the int32 range (and not -0), Double otherwise.
 * An integral double inside the int32 range (5.0, -0.0) would read as Int32, so it is wrapped in
 * `Double`; `double()` applies that rule so each BSON value has exactly one representation.
 * Documents are `Map`s because BSON key order is significant (`{a,b}` ≠ `{b,a}` as an `_id`) and a
 * plain object would reorder integer-like keys.
 */
export type BsonValue =
  | null
  | boolean
  | string
  | number
  | bigint
  | BsonDocument
  | BsonValue[]
  | ObjectId
  | Double
  | DateTime
  | Binary
  | Decimal128
  | Timestamp
  | BsonRegExp
  | Code
  | BsonSymbol
  | DBPointer
  | MinKey
  | MaxKey
  | Undefined
  | SqlDecimal
  | SqlDate
  | SqlTime
  | SqlTimestamp;

export type BsonDocument = Map<string, BsonValue>;

export const INT32_MIN = -2147483648;
export const INT32_MAX = 2147483647;
export const INT64_MIN = -(2n ** 63n);
export const INT64_MAX = 2n ** 63n - 1n;

export class ObjectId {
  readonly kind = 'objectId';
  /** 24 lower-case hex digits. */
  constructor(readonly hex: string) {}
}

/** A double whose value would otherwise be mistaken for an Int32 (see module comment). */
export class Double {
  readonly kind = 'double';
  constructor(readonly value: number) {}
}

export class DateTime {
  readonly kind = 'date';
  /** Milliseconds since the Unix epoch, full int64 range. */
  constructor(readonly ms: bigint) {}
}

export class Binary {
  readonly kind = 'binary';
  constructor(
    readonly subtype: number,
    readonly bytes: Uint8Array,
  ) {}
}

export class Decimal128 {
  readonly kind = 'decimal128';
  /** The canonical string form (`Decimal128.toString()` of the spec), e.g. `1.23E+3`, `-0`, `NaN`. */
  constructor(readonly text: string) {}
}

export class Timestamp {
  readonly kind = 'timestamp';
  /** Seconds (`t`) and increment (`i`), both unsigned 32-bit. */
  constructor(
    readonly t: number,
    readonly i: number,
  ) {}
}

export class BsonRegExp {
  readonly kind = 'regex';
  /** Options are kept sorted, as BSON's canonical form requires. */
  constructor(
    readonly pattern: string,
    readonly options: string,
  ) {}
}

export class Code {
  readonly kind = 'code';
  constructor(
    readonly code: string,
    readonly scope: BsonDocument | null,
  ) {}
}

export class BsonSymbol {
  readonly kind = 'symbol';
  constructor(readonly value: string) {}
}

export class DBPointer {
  readonly kind = 'dbPointer';
  constructor(
    readonly ref: string,
    readonly id: ObjectId,
  ) {}
}

export class MinKey {
  readonly kind = 'minKey';
}
export class MaxKey {
  readonly kind = 'maxKey';
}
export class Undefined {
  readonly kind = 'undefined';
}
export const MIN_KEY = new MinKey();
export const MAX_KEY = new MaxKey();
export const UNDEFINED = new Undefined();

// Extension kinds: produced only by the relational (Kafka Connect schema) decoder, never by BSON or
// Extended JSON, for column types that BSON does not have.

/** A fixed-point decimal: `unscaled × 10^-scale`. `precision` is null when the source did not declare one. */
export class SqlDecimal {
  readonly kind = 'sqlDecimal';
  constructor(
    readonly unscaled: bigint,
    readonly scale: number,
    readonly precision: number | null,
    /** True for `VariableScaleDecimal`: the scale differs from row to row, so no fixed decimal(p,s) fits. */
    readonly variableScale = false,
  ) {}

  toString(): string {
    const neg = this.unscaled < 0n;
    let digits = (neg ? -this.unscaled : this.unscaled).toString();
    if (this.scale <= 0) return (neg ? '-' : '') + digits + '0'.repeat(-this.scale);
    digits = digits.padStart(this.scale + 1, '0');
    const cut = digits.length - this.scale;
    return `${neg ? '-' : ''}${digits.slice(0, cut)}.${digits.slice(cut)}`;
  }
}

/** A calendar date: days since 1970-01-01. */
export class SqlDate {
  readonly kind = 'sqlDate';
  constructor(readonly days: number) {}
}

/** A time of day without date: microseconds past midnight. */
export class SqlTime {
  readonly kind = 'sqlTime';
  constructor(readonly micros: bigint) {}

  toString(): string {
    const us = this.micros;
    const two = (n: bigint) => n.toString().padStart(2, '0');
    const frac = us % 1_000_000n;
    const secs = us / 1_000_000n;
    const base = `${two(secs / 3600n)}:${two((secs / 60n) % 60n)}:${two(secs % 60n)}`;
    return frac === 0n ? base : `${base}.${frac.toString().padStart(6, '0')}`;
  }
}

/** An instant: microseconds since the Unix epoch, UTC. */
export class SqlTimestamp {
  readonly kind = 'sqlTimestamp';
  constructor(readonly micros: bigint) {}
}

/** The BSON type names used by schema inference, the README's mapping table and error messages. */
export type BsonType =
  | 'null'
  | 'bool'
  | 'string'
  | 'int32'
  | 'int64'
  | 'double'
  | 'document'
  | 'array'
  | ObjectId['kind']
  | DateTime['kind']
  | Binary['kind']
  | Decimal128['kind']
  | Timestamp['kind']
  | BsonRegExp['kind']
  | Code['kind']
  | BsonSymbol['kind']
  | DBPointer['kind']
  | MinKey['kind']
  | MaxKey['kind']
  | Undefined['kind']
  | SqlDecimal['kind']
  | SqlDate['kind']
  | SqlTime['kind']
  | SqlTimestamp['kind'];

export function isInt32Number(v: number): boolean {
  return (v | 0) === v && !Object.is(v, -0);
}

/** The one representation of a BSON double: a bare number unless it would read as an Int32. */
export function double(v: number): number | Double {
  return Number.isInteger(v) && v >= INT32_MIN && v <= INT32_MAX ? new Double(v) : v;
}

/** The one representation of a BSON Int64. */
export function int64(v: bigint): bigint {
  return BigInt.asIntN(64, v);
}

export function bsonTypeOf(v: BsonValue): BsonType {
  switch (typeof v) {
    case 'string':
      return 'string';
    case 'number':
      return isInt32Number(v) ? 'int32' : 'double';
    case 'boolean':
      return 'bool';
    case 'bigint':
      return 'int64';
    case 'object':
      if (v === null) return 'null';
      if (v instanceof Map) return 'document';
      if (Array.isArray(v)) return 'array';
      return v.kind;
    default:
      throw new TypeError(`not a BSON value: ${typeof v}`);
  }
}

/** The numeric value of a double, whichever representation it has. */
export function doubleValue(v: number | Double): number {
  return typeof v === 'number' ? v : v.value;
}

export function isDocument(v: BsonValue): v is BsonDocument {
  return v instanceof Map;
}

/** Structural equality: the same BSON types and values, documents compared in key order. */
export function bsonEquals(a: BsonValue, b: BsonValue): boolean {
  if (a === b) return typeof a !== 'number' || !Object.is(a, -0) || Object.is(b, -0);
  const ta = bsonTypeOf(a);
  if (ta !== bsonTypeOf(b)) return false;
  switch (ta) {
    case 'double': {
      const x = doubleValue(a as number | Double);
      const y = doubleValue(b as number | Double);
      return Object.is(x, y);
    }
    case 'document': {
      const da = a as BsonDocument;
      const db = b as BsonDocument;
      if (da.size !== db.size) return false;
      const kb = [...db.keys()];
      let i = 0;
      for (const [k, v] of da) {
        if (kb[i++] !== k || !bsonEquals(v, db.get(k) as BsonValue)) return false;
      }
      return true;
    }
    case 'array': {
      const xa = a as BsonValue[];
      const xb = b as BsonValue[];
      return xa.length === xb.length && xa.every((v, i) => bsonEquals(v, xb[i] as BsonValue));
    }
    case 'binary': {
      const x = a as Binary;
      const y = b as Binary;
      return x.subtype === y.subtype && Buffer.from(x.bytes).equals(Buffer.from(y.bytes));
    }
    case 'code': {
      const x = a as Code;
      const y = b as Code;
      if (x.code !== y.code) return false;
      if (x.scope === null || y.scope === null) return x.scope === y.scope;
      return bsonEquals(x.scope, y.scope);
    }
    case 'objectId':
      return (a as ObjectId).hex === (b as ObjectId).hex;
    case 'date':
      return (a as DateTime).ms === (b as DateTime).ms;
    case 'decimal128':
      return (a as Decimal128).text === (b as Decimal128).text;
    case 'timestamp':
      return (a as Timestamp).t === (b as Timestamp).t && (a as Timestamp).i === (b as Timestamp).i;
    case 'regex':
      return (
        (a as BsonRegExp).pattern === (b as BsonRegExp).pattern &&
        (a as BsonRegExp).options === (b as BsonRegExp).options
      );
    case 'symbol':
      return (a as BsonSymbol).value === (b as BsonSymbol).value;
    case 'dbPointer':
      return (
        (a as DBPointer).ref === (b as DBPointer).ref && (a as DBPointer).id.hex === (b as DBPointer).id.hex
      );
    case 'minKey':
    case 'maxKey':
    case 'undefined':
      return true;
    case 'sqlDecimal':
      return (
        (a as SqlDecimal).unscaled === (b as SqlDecimal).unscaled &&
        (a as SqlDecimal).scale === (b as SqlDecimal).scale
      );
    case 'sqlDate':
      return (a as SqlDate).days === (b as SqlDate).days;
    case 'sqlTime':
      return (a as SqlTime).micros === (b as SqlTime).micros;
    case 'sqlTimestamp':
      return (a as SqlTimestamp).micros === (b as SqlTimestamp).micros;
    default:
      return false;
  }
}
