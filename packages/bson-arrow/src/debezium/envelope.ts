import type { BsonDocument, BsonValue } from '../bson/values.js';
import { type ParseOptions, parseExtendedJson } from '../ejson/parse.js';
import { DecodeError } from '../errors.js';

/**
 * JsonConverter with `schemas.enable=true` wraps data as exactly `{"schema": …, "payload": …}`; some
 * embedders write `{"payload": …}` alone or `{"schema": null, "payload": …}`. Anything else is the bare
 * payload.
 */
export function unwrapConverterEnvelope(v: BsonValue): BsonValue {
  if (!(v instanceof Map) || !v.has('payload')) return v;
  if (v.size === 1 || (v.size === 2 && v.has('schema'))) return v.get('payload') as BsonValue;
  return v;
}

export function converterSchema(v: BsonValue): BsonDocument | null {
  if (v instanceof Map && v.size === 2 && v.has('payload')) {
    const s = v.get('schema');
    if (s instanceof Map) return s;
  }
  return null;
}

export function str(doc: BsonDocument, key: string): string | null {
  const v = doc.get(key);
  return typeof v === 'string' ? v : null;
}

/** An integer field as a JS number (epoch ms and the like), whatever numeric type the parser chose. */
export function num(doc: BsonDocument, key: string): number | null {
  const v = doc.get(key);
  if (typeof v === 'number') return finiteEnvelopeNumber(v, key);
  if (typeof v === 'bigint') return Number(v);
  return null;
}

/**
 * An envelope time (`ts_ms`, `source.ts_ms`): Debezium writes an integer (it becomes an Int64 column); a fraction means
 * the record is not what a connector wrote.
 */
export function envelopeMillis(v: number | null, key: string): number | null {
  if (v !== null && !Number.isInteger(v))
    throw new DecodeError('invalid_value', `envelope field ${key} is ${v}, not an integer`);
  return v;
}

/**
 * The parser takes bare NaN/Infinity because Debezium writes them inside document strings; in the envelope's own
 * numbers (ts_ms, ord, lsn, …) they mean the record is not what a connector wrote.
 */
export function finiteEnvelopeNumber(v: number, key: string): number {
  if (!Number.isFinite(v))
    throw new DecodeError('invalid_value', `envelope field ${key} is ${v}, not a number`);
  return v;
}

export function big(doc: BsonDocument, key: string): bigint | null {
  const v = doc.get(key);
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return BigInt(v);
  return null;
}

export function doc(d: BsonDocument, key: string): BsonDocument | null {
  const v = d.get(key);
  return v instanceof Map ? v : null;
}

/**
 * Parses a record value (plain JSON, not Extended JSON). The native `JSON.parse` is tried first: a
 * MongoDB envelope carries its documents as strings and no number whose double rounding matters
 * (`ts_ns` is the only int64 beyond 2^53, and nothing here reads it), so the native result is used as
 * is. Everything else — relational envelopes with typed int64/decimal row values, and whatever
 * `JSON.parse` rejects — goes through the lossless parser, which also reports syntax errors precisely.
 */
export function parseEnvelope(text: string, options: ParseOptions, raw = nativeJson(text)): BsonValue {
  if (raw === NOT_JSON) return parseExtendedJson(text, { ...options, extended: false });
  if (raw !== null && typeof raw === 'object' && !Array.isArray(raw)) {
    const o = raw as Record<string, unknown>;
    const keys = Object.keys(o);
    const wrapped = 'payload' in o && (keys.length === 1 || (keys.length === 2 && 'schema' in o));
    const payload = (wrapped ? o.payload : o) as { source?: { connector?: unknown } } | null;
    if (payload && typeof payload === 'object' && payload.source?.connector === 'mongodb') {
      // The schema of a MongoDB envelope is fixed and unused: only the payload is converted.
      return fromPlainJson(payload, 0, options.maxDepth ?? 100);
    }
  }
  return parseExtendedJson(text, { ...options, extended: false });
}

/** `JSON.parse(text)`, or `NOT_JSON` when it throws. */
export function nativeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return NOT_JSON;
  }
}

export const NOT_JSON: unique symbol = Symbol('not JSON');

/** Whether `fromPlainJson` takes `v` without a nesting error. */
export function withinDepth(v: unknown, depth: number, maxDepth: number): boolean {
  if (typeof v !== 'object' || v === null) return true;
  if (depth > maxDepth) return false;
  if (Array.isArray(v)) {
    for (const x of v) if (!withinDepth(x, depth + 1, maxDepth)) return false;
  } else {
    const o = v as Record<string, unknown>;
    for (const k in o) if (!withinDepth(o[k], depth + 1, maxDepth)) return false;
  }
  return true;
}

function fromPlainJson(v: unknown, depth: number, maxDepth: number): BsonValue {
  switch (typeof v) {
    case 'number':
      // Envelope numbers are only read through num()/big(), which take any JS number: no BigInt needed.
      return v === 0 ? 0 : v;
    case 'object': {
      if (v === null) return null;
      if (depth > maxDepth)
        throw new DecodeError('nesting_too_deep', `nesting deeper than ${maxDepth} levels`);
      if (Array.isArray(v)) return v.map((x) => fromPlainJson(x, depth + 1, maxDepth));
      const m: BsonDocument = new Map();
      const o = v as Record<string, unknown>;
      for (const k in o) m.set(k, fromPlainJson(o[k], depth + 1, maxDepth));
      return m;
    }
    default:
      return v as BsonValue;
  }
}
