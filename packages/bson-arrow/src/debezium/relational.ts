import type { BsonDocument, BsonValue } from '../bson/values.js';
import { parseExtendedJson } from '../ejson/parse.js';
import { DecodeError } from '../errors.js';
import { decodeStruct } from './connect.js';
import { big, envelopeMillis, num, str } from './envelope.js';
import { canonicalKey } from './key.js';
import { snapshotText } from './mongo.js';
import { sequenceOf } from './sequence.js';
import type { ChangeEvent, Op, RecordPosition, SourceInfo } from './types.js';

/**
 * A relational connector payload (PostgreSQL, MySQL, SQL Server …): `before`/`after` are typed row
 * objects, decoded with the envelope's Connect schema when the message has one.
 */
export function decodeRelationalPayload(
  payload: BsonDocument,
  envelopeSchema: BsonDocument | null,
  op: Op,
  source: BsonDocument,
  key: BsonDocument | null,
  record: RecordPosition,
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
    seq: relationalSequence(source, sourceTsMs),
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

function relationalSequence(s: BsonDocument, sourceTsMs: number | null) {
  const lsn = big(s, 'lsn');
  if (lsn !== null) {
    // PostgreSQL `sequence` = "[\"<lastCommitLsn>\",\"<lsn>\"]" (entries may be null).
    let lastCommit: bigint | null = null;
    const text = str(s, 'sequence');
    if (text) {
      const parts = parseExtendedJson(text, { extended: false });
      if (Array.isArray(parts) && typeof parts[0] === 'string' && /^\d+$/.test(parts[0]))
        lastCommit = BigInt(parts[0]);
    }
    return sequenceOf([lastCommit ?? lsn, lsn]);
  }
  const file = str(s, 'file');
  if (file !== null) {
    // MySQL binlog position: file `mysql-bin.000003` → 3, then pos, then row within the event.
    const n = /(\d+)$/.exec(file);
    return sequenceOf([n ? BigInt(n[1] as string) : 0n, big(s, 'pos'), big(s, 'row')]);
  }
  return sequenceOf([sourceTsMs]);
}
