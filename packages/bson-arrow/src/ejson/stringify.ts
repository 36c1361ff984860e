import { type Binary, type BsonDocument, type BsonValue, isInt32Number } from '../bson/values.js';

/**
 * - `canonical`: Extended JSON v2 canonical — every type explicit, lossless.
 * - `relaxed`: v2 relaxed — Int32/Int64/finite doubles as bare numbers, ISO dates.
 * - `legacy`: v1 strict, as the Java driver's `JsonMode.STRICT` writes it (Debezium's default `after`).
 */
export type EjsonMode = 'canonical' | 'relaxed' | 'legacy';

/**
 * - `compact`: no whitespace (`{"a":1,"b":[1,2]}`), for keys and stored values.
 * - `java`: the Java driver's writer with empty indent/new-line strings, as Debezium serializes `after`,
 *   `before` and keys: `{"a": 1,"b": [1,2]}`, type wrappers written as `{"$binary": "…", "$type": "00"}`.
 * - `java-plain`: `BsonDocument.toJson()` (Debezium's legacy `updatedFields`): `{"a": 1, "b": [1, 2]}`.
 */
export type EjsonStyle = 'compact' | 'java' | 'java-plain';

export interface StringifyOptions {
  mode?: EjsonMode;
  style?: EjsonStyle;
}

interface Seps {
  field: string;
  colon: string;
  item: string;
  wrap: string;
  java: boolean;
}

const SEPS: Record<EjsonStyle, Seps> = {
  compact: { field: ',', colon: ':', item: ',', wrap: ',', java: false },
  java: { field: ',', colon: ': ', item: ',', wrap: ', ', java: true },
  'java-plain': { field: ', ', colon: ': ', item: ', ', wrap: ', ', java: true },
};

export function stringifyExtendedJson(v: BsonValue, options: StringifyOptions = {}): string {
  return write(v, options.mode ?? 'canonical', SEPS[options.style ?? 'compact']);
}

function write(v: BsonValue, mode: EjsonMode, s: Seps): string {
  switch (typeof v) {
    case 'string':
      return s.java ? javaString(v) : JSON.stringify(v);
    case 'boolean':
      return v ? 'true' : 'false';
    case 'bigint':
      return mode === 'relaxed' ? v.toString() : wrap1('$numberLong', `"${v}"`, s);
    case 'number':
      if (isInt32Number(v)) return mode === 'canonical' ? wrap1('$numberInt', `"${v}"`, s) : String(v);
      return writeDouble(v, mode, s);
    case 'object':
      break;
    default:
      throw new TypeError(`not a BSON value: ${typeof v}`);
  }
  if (v === null) return 'null';
  if (v instanceof Map) return writeDocument(v, mode, s);
  if (Array.isArray(v)) {
    let out = '[';
    for (let i = 0; i < v.length; i++) out += (i ? s.item : '') + write(v[i] as BsonValue, mode, s);
    return `${out}]`;
  }
  const w = (k: string, body: string) => wrap1(k, body, s);
  const str = (x: string) => (s.java ? javaString(x) : JSON.stringify(x));
  switch (v.kind) {
    case 'objectId':
      return w('$oid', `"${v.hex}"`);
    case 'double':
      return writeDouble(v.value, mode, s);
    case 'date': {
      if (mode === 'legacy') return w('$date', v.ms.toString());
      if (mode === 'relaxed' && v.ms >= 0n && v.ms <= 253402300799999n)
        return w('$date', `"${isoMillis(v.ms)}"`);
      return w('$date', w('$numberLong', `"${v.ms}"`));
    }
    case 'binary': {
      const b64 = Buffer.from(v.bytes.buffer, v.bytes.byteOffset, v.bytes.byteLength).toString('base64');
      const hex = v.subtype.toString(16).padStart(2, '0');
      const sub = s.java ? hex.toUpperCase() : hex;
      if (mode === 'legacy') return `{"$binary"${s.colon}"${b64}"${s.wrap}"$type"${s.colon}"${sub}"}`;
      return w('$binary', `{"base64"${s.colon}"${b64}"${s.wrap}"subType"${s.colon}"${sub}"}`);
    }
    case 'decimal128':
      return w('$numberDecimal', `"${v.text}"`);
    case 'timestamp':
      return w('$timestamp', `{"t"${s.colon}${v.t}${s.wrap}"i"${s.colon}${v.i}}`);
    case 'regex':
      if (mode === 'legacy')
        return `{"$regex"${s.colon}${str(v.pattern)}${s.wrap}"$options"${s.colon}${str(v.options)}}`;
      return w(
        '$regularExpression',
        `{"pattern"${s.colon}${str(v.pattern)}${s.wrap}"options"${s.colon}${str(v.options)}}`,
      );
    case 'code':
      if (v.scope === null) return w('$code', str(v.code));
      return `{"$code"${s.colon}${str(v.code)}${s.wrap}"$scope"${s.colon}${writeDocument(v.scope, mode, s)}}`;
    case 'symbol':
      return w('$symbol', str(v.value));
    case 'dbPointer': {
      const body = `{"$ref"${s.colon}${str(v.ref)}${s.wrap}"$id"${s.colon}${w('$oid', `"${v.id.hex}"`)}}`;
      return mode === 'legacy' ? body : w('$dbPointer', body);
    }
    case 'minKey':
      return w('$minKey', '1');
    case 'maxKey':
      return w('$maxKey', '1');
    case 'undefined':
      return w('$undefined', 'true');
    // Relational extension kinds have no Extended JSON type; they are written in their closest form.
    case 'sqlDecimal':
      return w('$numberDecimal', `"${v.toString()}"`);
    case 'sqlDate':
      return str(new Date(v.days * 86_400_000).toISOString().slice(0, 10));
    case 'sqlTime':
      return str(v.toString());
    case 'sqlTimestamp':
      return str(isoMicros(v.micros));
  }
}

function wrap1(key: string, body: string, s: Seps): string {
  return `{"${key}"${s.colon}${body}}`;
}

function writeDocument(doc: BsonDocument, mode: EjsonMode, s: Seps): string {
  let out = '{';
  let first = true;
  for (const [k, val] of doc) {
    out += `${first ? '' : s.field}${s.java ? javaString(k) : JSON.stringify(k)}${s.colon}${write(val, mode, s)}`;
    first = false;
  }
  return `${out}}`;
}

function writeDouble(d: number, mode: EjsonMode, s: Seps): string {
  if (Number.isFinite(d)) {
    const text = javaDouble(d);
    return mode === 'canonical' ? wrap1('$numberDouble', `"${text}"`, s) : text;
  }
  const text = Number.isNaN(d) ? 'NaN' : d > 0 ? 'Infinity' : '-Infinity';
  return mode === 'legacy' ? text : wrap1('$numberDouble', `"${text}"`, s);
}

/**
 * Java's `Double.toString` (shortest round-trip digits, as JDK ≥ 19 and JS both produce) with the
 * driver's `E+` for positive exponents: `1.0`, `-0.0`, `1.0E+7`, `1.0E-4`.
 */
export function javaDouble(d: number): string {
  if (d === 0) return Object.is(d, -0) ? '-0.0' : '0.0';
  const a = Math.abs(d);
  if (a >= 1e-3 && a < 1e7) {
    const t = String(d);
    return t.includes('.') ? t : `${t}.0`;
  }
  const [mantissa, exponent] = d.toExponential().split('e') as [string, string];
  return `${mantissa.includes('.') ? mantissa : `${mantissa}.0`}E${exponent}`;
}

/** ISO-8601 with 0–3 fraction digits, trailing zeros dropped, like Java's ISO_OFFSET_DATE_TIME at `Z`. */
export function isoMillis(ms: bigint): string {
  return new Date(Number(ms)).toISOString().replace(/\.(\d*?)0*Z$/, (_m, f: string) => (f ? `.${f}Z` : 'Z'));
}

/** ISO-8601 UTC with exactly the fraction digits needed (0, 3 or 6). */
export function isoMicros(micros: bigint): string {
  const ms = micros / 1000n - (micros % 1000n < 0n ? 1n : 0n);
  const sub = micros - ms * 1000n;
  const base = new Date(Number(ms)).toISOString();
  if (sub === 0n) return base.replace(/\.000Z$/, 'Z');
  return base.replace('Z', `${sub.toString().padStart(3, '0')}Z`);
}

// Characters the Java driver's StrictCharacterStreamJsonWriter writes unescaped: letters (but not
// modifier letters), numbers, space separators, punctuation and symbols. Everything else, including every
// UTF-16 surrogate half, becomes a lower-case `\uXXXX` escape.
const JAVA_PLAIN =
  /[\p{Lu}\p{Ll}\p{Lt}\p{Lo}\p{Nd}\p{Nl}\p{No}\p{Zs}\p{Pc}\p{Pd}\p{Ps}\p{Pe}\p{Pi}\p{Pf}\p{Po}\p{Sm}\p{Sc}\p{Sk}\p{So}]/u;
const ASCII_SAFE = /^[\x20-\x21\x23-\x5b\x5d-\x7e]*$/;

export function javaString(str: string): string {
  if (ASCII_SAFE.test(str)) return `"${str}"`;
  let out = '"';
  for (let i = 0; i < str.length; i++) {
    const c = str.charCodeAt(i);
    const ch = str[i] as string;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c >= 0xd800 && c <= 0xdfff) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else if (c < 0x80 ? c >= 0x20 && c !== 0x7f : JAVA_PLAIN.test(ch)) out += ch;
    else out += `\\u${c.toString(16).padStart(4, '0')}`;
  }
  return `${out}"`;
}

/** A binary's bytes as a Node Buffer view (no copy). */
export function binaryBytes(b: Binary): Buffer {
  return Buffer.from(b.bytes.buffer, b.bytes.byteOffset, b.bytes.byteLength);
}
