import { type DeclaredElement, declareElementType } from '../bson/element-types.js';
import {
  Binary,
  type BsonDocument,
  type BsonValue,
  double,
  SqlDate,
  SqlDecimal,
  SqlTime,
  SqlTimestamp,
} from '../bson/values.js';
import { DecodeError } from '../errors.js';

/** Marks a column whose value Debezium did not send (unchanged TOAST): the row omits it. */
export const UNAVAILABLE = Symbol('debezium-unavailable');
export const UNAVAILABLE_TEXT = '__debezium_unavailable_value';
const UNAVAILABLE_BASE64 = Buffer.from(UNAVAILABLE_TEXT).toString('base64');

type Decoded = BsonValue | typeof UNAVAILABLE;

/**
 * Decodes one value of a relational row with its Kafka Connect schema node (`{"type", "name",
 * "parameters", "fields" | "items" | "keys"/"values"}`): semantic types (Decimal, io.debezium.time.*,
 * Json, Uuid, Bits …) become typed values; with no schema the plain JSON value is kept as parsed.
 */
export function decodeConnectValue(
  v: BsonValue,
  schema: BsonDocument | null | undefined,
  path: string,
): Decoded {
  if (v === null) return null;
  if (v === UNAVAILABLE_TEXT || (v === UNAVAILABLE_BASE64 && schema?.get('type') === 'bytes'))
    return UNAVAILABLE;
  if (!schema) return v instanceof Map ? decodeStruct(v, null, path).doc : v;
  const name = schema.get('name');
  const type = schema.get('type');
  if (typeof name === 'string') {
    const semantic = decodeSemantic(v, name, schema, path);
    if (semantic !== undefined) return semantic;
  }
  switch (type) {
    case 'int8':
    case 'int16':
    case 'int32':
      if (typeof v === 'number' && Number.isInteger(v)) return v;
      break;
    case 'int64':
      if (typeof v === 'bigint') return v;
      if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
      break;
    case 'float':
    case 'float32':
    case 'double':
    case 'float64':
      if (typeof v === 'number') return double(v);
      if (typeof v === 'bigint') return double(Number(v));
      if (v === 'NaN') return Number.NaN;
      if (v === 'Infinity') return Number.POSITIVE_INFINITY;
      if (v === '-Infinity') return Number.NEGATIVE_INFINITY;
      break;
    case 'boolean':
      if (typeof v === 'boolean') return v;
      break;
    case 'string':
      if (typeof v === 'string') return v;
      break;
    case 'bytes':
      if (typeof v === 'string') return new Binary(0, base64(v, path));
      break;
    case 'array':
      if (Array.isArray(v)) {
        const items = asSchema(schema.get('items'));
        const out = v.map((x, i) => unavailableToNull(decodeConnectValue(x, items, `${path}[${i}]`)));
        const element = items && !items.has('name') ? ELEMENT_OF[String(items.get('type'))] : undefined;
        return element ? declareElementType(out, element) : out;
      }
      break;
    case 'map':
      return decodeMap(v, schema, path);
    case 'struct':
      if (v instanceof Map) return decodeStruct(v, schema, path).doc;
      break;
    default:
      return v;
  }
  throw new DecodeError(
    'invalid_value',
    `${path}: ${describe(v)} does not match Connect type ${String(type)}`,
  );
}

/** Connect primitive types (without a semantic name) whose column type an empty array can still be given. */
const ELEMENT_OF: Record<string, DeclaredElement> = {
  int8: 'int32',
  int16: 'int32',
  int32: 'int32',
  int64: 'int64',
  float: 'double',
  float32: 'double',
  double: 'double',
  float64: 'double',
  boolean: 'bool',
  string: 'string',
};

/** A struct's fields in payload order; fields the schema declares but the payload lacks stay absent. */
export function decodeStruct(
  v: BsonDocument,
  schema: BsonDocument | null,
  path: string,
): { doc: BsonDocument; unavailable: string[] } {
  const fields = new Map<string, BsonDocument>();
  const list = schema?.get('fields');
  if (Array.isArray(list)) {
    for (const f of list) {
      if (f instanceof Map && typeof f.get('field') === 'string') fields.set(f.get('field') as string, f);
    }
  }
  const doc: BsonDocument = new Map();
  const unavailable: string[] = [];
  for (const [k, x] of v) {
    const d = decodeConnectValue(x, schema ? (fields.get(k) ?? null) : null, path ? `${path}.${k}` : k);
    if (d === UNAVAILABLE) unavailable.push(k);
    else doc.set(k, d);
  }
  return { doc, unavailable };
}

function decodeSemantic(v: BsonValue, name: string, schema: BsonDocument, path: string): Decoded | undefined {
  switch (name) {
    case 'org.apache.kafka.connect.data.Decimal': {
      const params = schema.get('parameters');
      const scale = Number(params instanceof Map ? (params.get('scale') ?? 0) : 0);
      const p = params instanceof Map ? params.get('connect.decimal.precision') : undefined;
      const precision = typeof p === 'string' ? Number(p) : null;
      if (typeof v === 'string') return new SqlDecimal(twosComplement(base64(v, path)), scale, precision);
      if (typeof v === 'number' || typeof v === 'bigint') return decimalFromText(String(v), precision); // decimal.format=NUMERIC
      return undefined;
    }
    case 'io.debezium.data.VariableScaleDecimal': {
      if (!(v instanceof Map)) return undefined;
      const scale = v.get('scale');
      const value = v.get('value');
      if (typeof scale !== 'number' || typeof value !== 'string') return undefined;
      return new SqlDecimal(twosComplement(base64(value, path)), scale, null, true);
    }
    case 'io.debezium.time.Date':
    case 'org.apache.kafka.connect.data.Date':
      return typeof v === 'number' ? new SqlDate(v) : undefined;
    case 'io.debezium.time.Time':
    case 'org.apache.kafka.connect.data.Time':
      return integer(v, (n) => new SqlTime(n * 1000n));
    case 'io.debezium.time.MicroTime':
      return integer(v, (n) => new SqlTime(n));
    case 'io.debezium.time.NanoTime':
      return integer(v, (n) => new SqlTime(n / 1000n)); // declared lossy: Delta has no sub-µs time
    case 'io.debezium.time.Timestamp':
    case 'org.apache.kafka.connect.data.Timestamp':
      return integer(v, (n) => new SqlTimestamp(n * 1000n));
    case 'io.debezium.time.MicroTimestamp':
      return integer(v, (n) => new SqlTimestamp(n));
    case 'io.debezium.time.NanoTimestamp':
      return integer(v, (n) => new SqlTimestamp(n / 1000n)); // declared lossy: Delta timestamps are µs
    case 'io.debezium.time.ZonedTimestamp':
    case 'io.debezium.time.IsoTimestamp': {
      if (typeof v !== 'string') return undefined;
      const micros = parseIsoMicros(v);
      return micros === null ? v : new SqlTimestamp(micros); // `infinity` stays text
    }
    case 'io.debezium.time.IsoDate':
      if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v))
        return new SqlDate(Date.parse(`${v}T00:00:00Z`) / 86_400_000);
      return undefined;
    case 'io.debezium.data.Bits':
      return typeof v === 'string' ? new Binary(0, base64(v, path)) : undefined;
    default:
      return undefined;
  }
}

function integer(v: BsonValue, f: (n: bigint) => BsonValue): BsonValue | undefined {
  if (typeof v === 'number' && Number.isInteger(v)) return f(BigInt(v));
  if (typeof v === 'bigint') return f(v);
  return undefined;
}

function decodeMap(v: BsonValue, schema: BsonDocument, path: string): BsonValue {
  const values = asSchema(schema.get('values'));
  const out: BsonDocument = new Map();
  if (v instanceof Map) {
    for (const [k, x] of v) out.set(k, unavailableToNull(decodeConnectValue(x, values, `${path}.${k}`)));
    return out;
  }
  // JsonConverter writes maps with non-string keys as an array of [key, value] pairs.
  if (Array.isArray(v)) {
    for (const pair of v) {
      if (!Array.isArray(pair) || pair.length !== 2) break;
      out.set(String(pair[0]), unavailableToNull(decodeConnectValue(pair[1] as BsonValue, values, path)));
    }
    return out;
  }
  throw new DecodeError('invalid_value', `${path}: ${describe(v)} is not a Connect map`);
}

function unavailableToNull(d: Decoded): BsonValue {
  return d === UNAVAILABLE ? null : d;
}

function asSchema(v: BsonValue | undefined): BsonDocument | null {
  return v instanceof Map ? v : null;
}

function base64(text: string, path: string): Uint8Array {
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(text))
    throw new DecodeError('invalid_value', `${path}: invalid base64`);
  return Buffer.from(text, 'base64');
}

/** Big-endian two's-complement integer, as Connect's Decimal stores the unscaled value. */
export function twosComplement(bytes: Uint8Array): bigint {
  if (bytes.length === 0) return 0n;
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  const first = bytes[0] as number;
  return first & 0x80 ? n - (1n << BigInt(bytes.length * 8)) : n;
}

function decimalFromText(text: string, precision: number | null): SqlDecimal {
  const m = /^(-?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (!m) throw new DecodeError('invalid_value', `not a decimal number: ${text}`);
  const [, sign, int, frac = '', exp = '0'] = m;
  const scale = frac.length - Number(exp);
  const unscaled = BigInt(`${sign}${int || '0'}${frac}`);
  return new SqlDecimal(unscaled, scale, precision);
}

const ISO =
  /^(\d{4,})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/;

/** ISO-8601 date-time → µs since epoch (UTC unless an offset is given); null for `infinity` etc. */
export function parseIsoMicros(text: string): bigint | null {
  const m = ISO.exec(text);
  if (!m) return null;
  const [, y, mo, d, h, mi, s = '0', frac = '', zone = 'Z'] = m as unknown as string[];
  const at = new Date(Date.UTC(2000, Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)));
  const ms = at.setUTCFullYear(Number(y));
  let offsetMin = 0;
  if (zone !== 'Z') {
    const z = (zone as string).replace(':', '');
    offsetMin = (Number(z.slice(1, 3)) * 60 + Number(z.slice(3, 5) || 0)) * (z[0] === '-' ? -1 : 1);
  }
  const micros = BigInt((frac as string).padEnd(6, '0').slice(0, 6));
  return BigInt(ms - offsetMin * 60_000) * 1000n + micros;
}

function describe(v: BsonValue): string {
  if (v instanceof Map) return 'an object';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' && v !== null ? v.kind : typeof v;
}
