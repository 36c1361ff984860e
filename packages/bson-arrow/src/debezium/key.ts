import { type BsonValue, ObjectId } from '../bson/values.js';
import { parseExtendedJson } from '../ejson/parse.js';
import { stringifyExtendedJson } from '../ejson/stringify.js';
import { DecodeError } from '../errors.js';
import { unwrapConverterEnvelope } from './envelope.js';

/**
 * Canonical Extended JSON of a key value, each value with its BSON type as it arrived (`77` is
 * `{"$numberInt":"77"}`, an Int64 `{"$numberLong":"77"}`, a Double `{"$numberDouble":"77.0"}`): the key
 * column shows what the source sent. For a MongoDB event that is the Kafka key's `_id`, whose relaxed
 * Extended JSON writes an Int64 that fits 32 bits as a bare number — an Int32 here, for every event of
 * that document alike.
 *
 * Equal texts mean equal keys, but MongoDB's `_id` index compares numbers by value (Int32 5, Int64 5 and
 * Double 5.0 are one `_id`): whatever merges rows by key compares `keyIdentity` of this text
 * (`@delta-writer/proto/mirror`), which writes every integral number as `$numberLong`.
 */
export function canonicalKey(v: BsonValue): string {
  // The two `_id` types of nearly every collection, written as `stringifyExtendedJson` writes them.
  if (v instanceof ObjectId) return `{"$oid":"${v.hex}"}`;
  if (typeof v === 'string') return JSON.stringify(v);
  return stringifyExtendedJson(v, { mode: 'canonical', style: 'compact' });
}

/** The key envelope holds a string (or a typed `id` after SMTs): native JSON.parse first, lossless if that fails or could round. */
function parseKeyJson(text: string, maxDepth: number): BsonValue {
  try {
    const raw = JSON.parse(text) as unknown;
    if (raw !== null && typeof raw === 'object' && !Array.isArray(raw)) {
      const o = raw as Record<string, unknown>;
      const inner = (Object.keys(o).length <= 2 && 'payload' in o ? o.payload : o) as Record<
        string,
        unknown
      > | null;
      if (
        inner &&
        typeof inner === 'object' &&
        typeof inner.id === 'string' &&
        Object.keys(inner).length === 1
      ) {
        return new Map([['id', inner.id]]);
      }
    }
  } catch {
    // the lossless parser reports it
  }
  return parseExtendedJson(text, { extended: false, maxDepth });
}

/**
 * `{"$oid": "<24 lower-case hex>"}` exactly as the connector writes an ObjectId key (with or without the
 * space): the ObjectId, as the lossless parser would make it; anything else, undefined.
 */
function objectIdText(t: string): ObjectId | undefined {
  const at =
    t.length === 36 && t.startsWith('{"$oid": "')
      ? 10
      : t.length === 35 && t.startsWith('{"$oid":"')
        ? 9
        : -1;
  if (at < 0 || t.charCodeAt(at + 24) !== 34 || t.charCodeAt(at + 25) !== 125) return undefined;
  for (let i = at; i < at + 24; i++) {
    const c = t.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return undefined;
  }
  return new ObjectId(t.slice(at, at + 24));
}

const STRING_CONVERTER_KEY = /^Struct\{id=(.*)\}$/s;

/**
 * The `_id` of a MongoDB key message. JsonConverter gives `{"id": "<relaxed EJSON>"}` (optionally in a
 * `{schema, payload}` wrapper); StringConverter gives `Struct{id=<relaxed EJSON>}`.
 */
export function parseMongoKey(text: string, maxDepth: number): BsonValue {
  const m = STRING_CONVERTER_KEY.exec(text.trim());
  if (m) return parseExtendedJson(m[1] as string, { maxDepth });
  const raw = unwrapConverterEnvelope(parseKeyJson(text, maxDepth));
  if (raw instanceof Map) {
    const id = raw.get('id');
    if (typeof id === 'string') return objectIdText(id) ?? parseExtendedJson(id, { maxDepth });
    // ExtractNewDocumentState rewrites the key to a typed `{id: <value>}`.
    if (id !== undefined) return id;
  }
  throw new DecodeError('not_debezium', 'MongoDB key is not {"id": "<Extended JSON>"}');
}
