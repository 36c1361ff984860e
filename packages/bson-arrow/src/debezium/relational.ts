/**
 * The payload of a relational connector (PostgreSQL, MySQL, SQL Server …): `before`/`after` are typed row objects,
 * decoded with the envelope's Connect schema when the message has one. What differs between these connectors — where
 * an event stands in the source's order — each connector says itself (`connectors/*.ts`).
 */
import type { BsonDocument, BsonValue } from '../bson/values.js';
import { DecodeError } from '../errors.js';
import { decodeStruct } from './connect.js';
import { envelopeMillis, num, str } from './envelope.js';
import { canonicalKey } from './key.js';
import { snapshotText } from './mongo.js';
import type { ChangeEvent, Op, RecordPosition, SourceInfo, SourceSequence } from './types.js';

/** A relational change event; `order` gives its position from the source time (the connector reads the rest). */
export function decodeRelationalPayload(
  payload: BsonDocument,
  envelopeSchema: BsonDocument | null,
  op: Op,
  source: BsonDocument,
  key: BsonDocument | null,
  record: RecordPosition,
  order: (sourceTsMs: number | null) => SourceSequence,
): ChangeEvent {
  const after = row(payload, envelopeSchema, 'after');
  const before = row(payload, envelopeSchema, 'before');
  const sourceTsMs = envelopeMillis(num(source, 'ts_ms'), 'source.ts_ms');
  return {
    kind: 'change',
    op,
    connector: 'relational',
    source: relationalSource(source),
    key,
    keyCanonical: key ? canonicalKey(key) : null,
    after: after?.doc ?? null,
    before: before?.doc ?? null,
    patch: null,
    unavailable: after?.unavailable ?? [],
    tsMs: envelopeMillis(num(payload, 'ts_ms'), 'ts_ms'),
    sourceTsMs,
    seq: order(sourceTsMs),
    record,
  };
}

/** The Kafka key of a relational topic: the primary-key columns (null when the table has none). */
export function decodeRelationalKey(raw: BsonValue, keySchema: BsonDocument | null): BsonDocument | null {
  if (raw === null) return null;
  if (!(raw instanceof Map)) throw new DecodeError('not_debezium', 'relational key is not an object');
  return decodeStruct(raw, keySchema, '').doc;
}

function row(
  payload: BsonDocument,
  envelopeSchema: BsonDocument | null,
  field: 'before' | 'after',
): { doc: BsonDocument; unavailable: string[] } | null {
  const v = payload.get(field);
  if (v === null || v === undefined) return null;
  if (!(v instanceof Map)) throw new DecodeError('not_debezium', `"${field}" is not a row object`);
  return decodeStruct(v, fieldSchema(envelopeSchema, field), '');
}

export function fieldSchema(schema: BsonDocument | null, field: string): BsonDocument | null {
  const fields = schema?.get('fields');
  if (!Array.isArray(fields)) return null;
  for (const f of fields) if (f instanceof Map && f.get('field') === field) return f;
  return null;
}

function relationalSource(s: BsonDocument): SourceInfo {
  const schema = str(s, 'schema');
  const table = str(s, 'table');
  const txId = s.get('txId') ?? s.get('gtid');
  return {
    connector: str(s, 'connector') ?? 'unknown',
    name: str(s, 'name'),
    db: str(s, 'db'),
    collection: table === null ? null : schema ? `${schema}.${table}` : table,
    snapshot: snapshotText(s.get('snapshot')),
    version: str(s, 'version'),
    txId: txId === null || txId === undefined ? null : String(txId),
  };
}
