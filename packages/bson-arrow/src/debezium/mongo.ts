import type { BsonDocument, BsonValue } from '../bson/values.js';
import { parseExtendedJson } from '../ejson/parse.js';
import { DecodeError, type DecodeLimits } from '../errors.js';
import { doc, envelopeMillis, num, str } from './envelope.js';
import { canonicalKey } from './key.js';
import { sequenceOf } from './sequence.js';
import type { ChangeEvent, MongoPatch, Op, RecordPosition, SourceInfo } from './types.js';

/**
 * A MongoDB connector payload (`before`/`after`/`updateDescription` as Extended JSON strings) → event.
 * `keyId` is the `_id` from the Kafka key, when there was one.
 */
export function decodeMongoPayload(
  payload: BsonDocument,
  op: Op,
  source: BsonDocument,
  keyId: BsonValue | undefined,
  record: RecordPosition,
  limits: DecodeLimits,
): ChangeEvent {
  const after = documentField(payload, 'after', limits);
  const before = documentField(payload, 'before', limits);
  const patch = decodePatch(payload, limits);
  let id = keyId;
  if (id === undefined) id = after?.get('_id') ?? before?.get('_id');
  if (id === undefined) {
    throw new DecodeError('not_debezium', `MongoDB ${op} event without a key or a document _id`);
  }
  const key: BsonDocument = new Map([['_id', id]]);
  const ord = num(source, 'ord');
  const sourceTsMs = envelopeMillis(num(source, 'ts_ms'), 'source.ts_ms');
  return {
    kind: 'change',
    op,
    connector: 'mongodb',
    source: mongoSource(source),
    key,
    keyCanonical: canonicalKey(id),
    after,
    before,
    patch,
    unavailable: [],
    tsMs: envelopeMillis(num(payload, 'ts_ms'), 'ts_ms'),
    sourceTsMs,
    seq: mongoSequence(sourceTsMs, ord, totalOrder(payload)),
    record,
  };
}

/**
 * Where an event stands in the source: the oplog timestamp (`ts_ms`, `ord`), and within a multi-document transaction
 * — whose events all share one timestamp — the transaction block's `total_order` (present only with Debezium's
 * `provide.transaction.metadata`). Without the block the sequence keeps two parts, as tables already store them.
 */
export function mongoSequence(
  sourceTsMs: number | null,
  ord: number | null,
  order: number | null,
): ReturnType<typeof sequenceOf> {
  return sequenceOf(order === null ? [sourceTsMs, ord] : [sourceTsMs, ord, order]);
}

function totalOrder(payload: BsonDocument): number | null {
  const block = payload.get('transaction');
  return block instanceof Map ? num(block as BsonDocument, 'total_order') : null;
}

export function mongoSource(s: BsonDocument): SourceInfo {
  const txn = s.get('txnNumber');
  const lsid = str(s, 'lsid');
  return {
    connector: 'mongodb',
    name: str(s, 'name'),
    db: str(s, 'db'),
    collection: str(s, 'collection'),
    snapshot: snapshotText(s.get('snapshot')),
    version: str(s, 'version'),
    txId: lsid !== null && txn !== null && txn !== undefined ? `${lsid}:${txn}` : null,
  };
}

export function snapshotText(v: BsonValue | undefined): string | null {
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return String(v); // the docs' outdated boolean form
  return null;
}

function documentField(payload: BsonDocument, field: string, limits: DecodeLimits): BsonDocument | null {
  const text = payload.get(field);
  if (text === null || text === undefined) return null;
  // ExtractNewDocumentState-style producers may already have inlined the document.
  if (text instanceof Map) return text;
  if (typeof text !== 'string')
    throw new DecodeError('not_debezium', `MongoDB "${field}" is not a JSON string`);
  const v = parseExtendedJson(text, limits);
  if (!(v instanceof Map))
    throw new DecodeError('invalid_extended_json', `MongoDB "${field}" is not a document`);
  return v;
}

function decodePatch(payload: BsonDocument, limits: DecodeLimits): MongoPatch | null {
  const ud = doc(payload, 'updateDescription');
  if (ud) {
    const updated = ud.get('updatedFields');
    let set: BsonDocument = new Map();
    if (typeof updated === 'string') {
      const v = parseExtendedJson(updated, limits);
      if (!(v instanceof Map))
        throw new DecodeError('invalid_extended_json', 'updatedFields is not a document');
      set = v;
    }
    const removed = ud.get('removedFields');
    const unset = Array.isArray(removed) ? removed.filter((x): x is string => typeof x === 'string') : [];
    const truncated = ud.get('truncatedArrays');
    const truncatedArrays = Array.isArray(truncated)
      ? truncated.flatMap((t) => {
          if (!(t instanceof Map)) return [];
          const field = str(t, 'field');
          // `size` per the connector's schema; some third-party docs say `newSize`.
          const size = num(t, 'size') ?? num(t, 'newSize');
          return field !== null && size !== null ? [{ field, size }] : [];
        })
      : [];
    return { set, unset, truncatedArrays };
  }
  // Debezium ≤ 2.1 oplog mode carried the update as a `patch` string ({"$set": …, "$unset": …}).
  const legacy = payload.get('patch');
  return typeof legacy === 'string' ? legacyPatch(legacy, limits) : null;
}

export function legacyPatch(text: string, limits: DecodeLimits): MongoPatch {
  const v = parseExtendedJson(text, limits);
  if (!(v instanceof Map)) throw new DecodeError('invalid_extended_json', '"patch" is not a document');
  const $set = v.get('$set');
  const $unset = v.get('$unset');
  if ($set === undefined && $unset === undefined) {
    throw new DecodeError(
      'unsupported_op',
      'legacy "patch" without $set/$unset (full replacement) is not supported',
    );
  }
  return {
    set: $set instanceof Map ? $set : new Map(),
    unset: $unset instanceof Map ? [...$unset.keys()] : [],
    truncatedArrays: [],
  };
}
