/**
 * One comparable form for a document, whether it comes from the generator's model (BSON values) or from a table row
 * read by delta-rs or Spark (the readers' JSON value encoding, typed by the Delta schema). Differences that the
 * conversion declares (bson-arrow README, "Declared losses") are normalized away: null and missing fields are the
 * same, documents left empty by that are missing, numbers compare by value whatever their BSON type, ObjectIds and
 * Decimal128 are their text, UUID binaries their canonical text. Everything else must match exactly.
 */
import { type BsonValue, bsonTypeOf, parseExtendedJson } from '@delta-writer/bson-arrow';
import type { DeltaField } from './delta-log.js';

/** Tagged scalars (`n:` number, `s:` string, `d:` instant, `b:` base64 bytes), booleans, arrays, objects. */
export type Plain = string | boolean | null | Plain[] | { [key: string]: Plain };
type PlainDoc = { [key: string]: Plain };

const number = (text: string): string => `n:${text}`;

function numberText(v: number | bigint): string {
  if (typeof v === 'bigint') return v.toString();
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? 'Infinity' : '-Infinity';
  return Number.isInteger(v) && Math.abs(v) < 2 ** 63 ? BigInt(v).toString() : String(v);
}

function iso(ms: bigint): string {
  const text = new Date(Number(ms)).toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ
  return `${text.slice(0, -1)}000Z`;
}

function uuid(bytes: Uint8Array): string {
  const h = Buffer.from(bytes).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** The comparable form of a BSON value; undefined for null (a field holding it is dropped). */
export function plainBson(v: BsonValue): Plain | undefined {
  switch (bsonTypeOf(v)) {
    case 'null':
      return undefined;
    case 'bool':
      return v as boolean;
    case 'string':
      return `s:${v as string}`;
    case 'int32':
    case 'int64':
      return number(numberText(v as number | bigint));
    case 'double':
      return number(numberText(typeof v === 'number' ? v : (v as { value: number }).value));
    case 'objectId':
      return `s:${(v as { hex: string }).hex}`;
    case 'decimal128':
      return `s:${(v as { text: string }).text}`;
    case 'date':
      return `d:${iso((v as { ms: bigint }).ms)}`;
    case 'binary': {
      const b = v as { subtype: number; bytes: Uint8Array };
      return (b.subtype === 4 || b.subtype === 3) && b.bytes.length === 16
        ? `s:${uuid(b.bytes)}`
        : `b:${Buffer.from(b.bytes).toString('base64')}`;
    }
    case 'timestamp': {
      const t = v as { t: number; i: number };
      return { i: number(String(t.i)), t: number(String(t.t)) };
    }
    case 'array':
      return (v as BsonValue[]).map((x) => plainBson(x) ?? null);
    case 'document':
      return plainDocument(v as Map<string, BsonValue>);
    default:
      return `s:${JSON.stringify(v)}`; // rare types the workload does not generate
  }
}

function plainDocument(doc: Map<string, BsonValue>): PlainDoc | undefined {
  const out: PlainDoc = {};
  for (const key of [...doc.keys()].sort()) {
    const value = plainBson(doc.get(key) as BsonValue);
    if (value !== undefined) out[key] = value;
  }
  return Object.keys(out).length === 0 ? undefined : out;
}

/** The whole document (never undefined: an empty one is `{}`), for comparing rows with the model. */
export function plainDoc(doc: Map<string, BsonValue> | null | undefined): PlainDoc {
  return (doc && plainDocument(doc)) ?? {};
}

const TEXT_TAGS = new Set(['objectId', 'decimal128', 'decimalText', 'symbol', 'code', 'uuid', 'time']);
const CDC = /^_(cdc|kafka)_/;

/** The document a changelog row holds: its data columns, read back through the schema's bson.* metadata. */
export function rowDocument(row: Record<string, unknown>, fields: DeltaField[]): PlainDoc {
  return (
    structValue(
      row,
      fields.filter((f) => !CDC.test(f.name)),
    ) ?? {}
  );
}

function structValue(value: Record<string, unknown>, fields: DeltaField[]): PlainDoc | undefined {
  const out: PlainDoc = {};
  const overflow: [string, Plain | undefined][] = [];
  for (const f of fields) {
    const raw = value[f.name];
    const overflowOf = f.metadata?.['bson.overflow_of'];
    if (typeof overflowOf === 'string') {
      // a value that did not fit its column: canonical Extended JSON in the sibling column
      if (raw !== null && raw !== undefined)
        overflow.push([overflowOf, plainBson(parseExtendedJson(String(raw)))]);
      continue;
    }
    const name = typeof f.metadata?.['bson.name'] === 'string' ? (f.metadata['bson.name'] as string) : f.name;
    const v = fieldValue(raw, f.type, f.metadata ?? {});
    if (v !== undefined) out[name] = v;
  }
  for (const [name, v] of overflow) {
    if (v === undefined) delete out[name];
    else out[name] = v;
  }
  const sorted: PlainDoc = {};
  for (const key of Object.keys(out).sort()) sorted[key] = out[key] as Plain;
  return Object.keys(sorted).length === 0 ? undefined : sorted;
}

function fieldValue(raw: unknown, type: unknown, metadata: Record<string, unknown>): Plain | undefined {
  if (raw === null || raw === undefined) return undefined;
  const tag = metadata['bson.type'];
  if (typeof type === 'string') {
    if (type === 'string') {
      if (typeof tag === 'string' && !TEXT_TAGS.has(tag)) return plainBson(parseExtendedJson(String(raw)));
      return `s:${String(raw)}`;
    }
    if (type === 'long' || type === 'integer' || type === 'short' || type === 'byte') {
      return number(BigInt(raw as string | number).toString());
    }
    if (type === 'double' || type === 'float') {
      return number(typeof raw === 'number' ? numberText(raw) : String(raw));
    }
    if (type === 'boolean') return raw as boolean;
    if (type === 'timestamp' || type === 'timestamp_ntz' || type === 'date') return `d:${String(raw)}`;
    if (type === 'binary') return `b:${String(raw)}`;
    if (type.startsWith('decimal')) return `s:${String(raw)}`;
    throw new Error(`unexpected Delta type ${type}`);
  }
  const t = type as { type: string; fields?: DeltaField[]; elementType?: unknown; valueType?: unknown };
  if (t.type === 'struct') {
    const struct = raw as Record<string, unknown>;
    if (tag === 'bsonTimestamp' || tag === 'regex') {
      return Object.fromEntries(
        (t.fields ?? []).map((f) => [f.name, fieldValue(struct[f.name], f.type, {}) ?? null]),
      ) as PlainDoc;
    }
    return structValue(struct, t.fields ?? []);
  }
  if (t.type === 'array') return (raw as unknown[]).map((x) => fieldValue(x, t.elementType, {}) ?? null);
  if (t.type === 'map') {
    const out: PlainDoc = {};
    for (const [k, x] of Object.entries(raw as Record<string, unknown>)) {
      const v = fieldValue(x, t.valueType, {});
      if (v !== undefined) out[k] = v;
    }
    return out;
  }
  throw new Error(`unexpected Delta type ${JSON.stringify(type)}`);
}

/** Compact text of a difference, for failure messages. */
export function describe(p: Plain | undefined): string {
  const text = JSON.stringify(p);
  return text === undefined ? 'undefined' : text.length > 300 ? `${text.slice(0, 300)}…` : text;
}
