import type { BsonDocument, BsonValue } from '../bson/values.js';

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
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  return null;
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
