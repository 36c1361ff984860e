import type { BsonDocument, BsonValue } from '../bson/values.js';
import { parseExtendedJson } from '../ejson/parse.js';
import { readToken, Tape, Tok } from '../ejson/tape.js';
import { parseTape } from '../ejson/tape-parser.js';
import { DecodeError, type DecodeLimits } from '../errors.js';
import { envelopeMillis, finiteEnvelopeNumber } from './envelope.js';
import { canonicalKey } from './key.js';
import { legacyPatch, mongoSequence, snapshotText } from './mongo.js';
import type { ChangeEvent, MongoPatch, Op, RecordPosition, SourceInfo } from './types.js';

/**
 * The fast path for MongoDB change events, equivalent to `decodeMongoPayload` on the envelope converted
 * to `Map`s: it reads the envelope's native `JSON.parse` object directly, and parses `after`/`before` into
 * token tapes (`ejson/tape.ts`) that `BatchBuilder` reads without a document tree; the event's `after` and
 * `before` are materialized as `Map`s only when read. Returns `undefined` for any envelope shape it does
 * not handle itself (documents inlined by SMTs, odd `txnNumber`s): the reference path then decodes it.
 */
export function decodeMongoFast(
  payload: Obj,
  op: Op,
  source: Obj,
  keyId: BsonValue | undefined,
  record: RecordPosition,
  limits: DecodeLimits,
): ChangeEvent | undefined {
  const afterText = payload.after;
  const beforeText = payload.before;
  const txn = source.txnNumber;
  if (!isText(afterText) || !isText(beforeText) || (typeof txn === 'object' && txn !== null))
    return undefined;
  const block = payload.transaction;
  const order = typeof block === 'object' && block !== null ? (block as Obj).total_order : undefined;
  // An order beyond 2^53 lost digits in JSON.parse: the reference path reads it exactly.
  if (typeof order === 'number' && !Number.isSafeInteger(order)) return undefined;
  // The same order of work (and so of errors) as the reference path.
  const after = documentText(afterText, 'after', limits);
  const before = documentText(beforeText, 'before', limits);
  const patch = decodePatch(payload, limits);
  let id = keyId;
  if (id === undefined) id = member(after, '_id') ?? member(before, '_id');
  if (id === undefined) {
    throw new DecodeError('not_debezium', `MongoDB ${op} event without a key or a document _id`);
  }
  const key: BsonDocument = new Map([['_id', id]]);
  const sourceTsMs = envelopeMillis(num(source.ts_ms, 'source.ts_ms'), 'source.ts_ms');
  const lsid = str(source.lsid);
  const info: SourceInfo = {
    connector: 'mongodb',
    name: str(source.name),
    db: str(source.db),
    collection: str(source.collection),
    snapshot: snapshotText(source.snapshot as BsonValue | undefined),
    version: str(source.version),
    txId: lsid !== null && txn !== null && txn !== undefined ? `${lsid}:${txn}` : null,
  };
  const keyCanonical = canonicalKey(id);
  const tsMs = envelopeMillis(num(payload.ts_ms, 'ts_ms'), 'ts_ms');
  const seq = mongoSequence(
    sourceTsMs,
    num(source.ord, 'source.ord'),
    order === undefined ? null : num(order, 'total_order'),
  );
  if (!(after instanceof Tape) && !(before instanceof Tape)) {
    return {
      kind: 'change',
      op,
      connector: 'mongodb',
      source: info,
      key,
      keyCanonical,
      after,
      before,
      patch,
      unavailable: [],
      tsMs,
      sourceTsMs,
      seq,
      record,
    };
  }
  // `after`/`before` are own enumerable accessors: reading, spreading, cloning or comparing an event sees
  // the documents as if they were plain properties; `documentSource` lets BatchBuilder take the tape.
  let a: BsonDocument | Tape | null = after;
  let b: BsonDocument | Tape | null = before;
  return {
    kind: 'change',
    op,
    connector: 'mongodb',
    source: info,
    key,
    keyCanonical,
    get after(): BsonDocument | null {
      if (a instanceof Tape) {
        if (peeking) return a as never;
        a = a.value() as BsonDocument;
      }
      return a;
    },
    set after(v: BsonDocument | null) {
      a = v;
    },
    get before(): BsonDocument | null {
      if (b instanceof Tape) {
        if (peeking) return b as never;
        b = b.value() as BsonDocument;
      }
      return b;
    },
    set before(v: BsonDocument | null) {
      b = v;
    },
    patch,
    unavailable: [],
    tsMs,
    sourceTsMs,
    seq,
    record,
  };
}

let peeking = false;

/** An event's `after` or `before` as the decoder holds it — a tape not yet materialized, or the document. */
export function documentSource(e: ChangeEvent, field: 'after' | 'before'): BsonDocument | Tape | null {
  peeking = true;
  try {
    return e[field] as BsonDocument | Tape | null;
  } finally {
    peeking = false;
  }
}

export type Obj = Record<string, unknown>;

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** What the reference path reads from the envelope's `Map`s: strings as they are, numbers with -0 as 0. */
function str(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

function num(v: unknown, key: string): number | null {
  return typeof v === 'number' ? (v === 0 ? 0 : finiteEnvelopeNumber(v, key)) : null;
}

function isText(v: unknown): v is string | null | undefined {
  return v === null || v === undefined || typeof v === 'string';
}

/** `documentField` of the reference path for a string (or absent) field. */
function documentText(
  text: string | null | undefined,
  field: string,
  limits: DecodeLimits,
): Tape | BsonDocument | null {
  if (text === null || text === undefined) return null;
  const tape = parseTape(text, limits);
  if (tape !== undefined && tape.chunk.type[tape.start] === Tok.Doc) return tape;
  const v = parseExtendedJson(text, limits);
  if (!(v instanceof Map))
    throw new DecodeError('invalid_extended_json', `MongoDB "${field}" is not a document`);
  return v;
}

/** `doc.get(name)` of the document, without materializing a tape. */
function member(doc: Tape | BsonDocument | null, name: string): BsonValue | undefined {
  if (doc === null) return undefined;
  if (!(doc instanceof Tape)) return doc.get(name);
  const c = doc.chunk;
  let j = doc.start + 1;
  for (let k = c.aux[doc.start] as number; k > 0; k--) {
    if (c.refs[c.aux[j] as number] === name) return readToken(doc, j + 1);
    const type = c.type[j + 1];
    j += type === Tok.Doc || type === Tok.Arr ? 1 + (c.num[j + 1] as number) : 2;
  }
  return undefined;
}

/** `decodePatch` of the reference path, on the native envelope. */
export function decodePatch(payload: Obj, limits: DecodeLimits): MongoPatch | null {
  const ud = payload.updateDescription;
  if (isObj(ud)) {
    const updated = ud.updatedFields;
    let set: BsonDocument = new Map();
    if (typeof updated === 'string') {
      const v = parseExtendedJson(updated, limits);
      if (!(v instanceof Map))
        throw new DecodeError('invalid_extended_json', 'updatedFields is not a document');
      set = v;
    }
    const removed = ud.removedFields;
    const unset = Array.isArray(removed) ? removed.filter((x): x is string => typeof x === 'string') : [];
    const truncated = ud.truncatedArrays;
    const truncatedArrays = Array.isArray(truncated)
      ? truncated.flatMap((t) => {
          if (!isObj(t)) return [];
          const field = str(t.field);
          const size = num(t.size, 'size') ?? num(t.newSize, 'newSize');
          return field !== null && size !== null ? [{ field, size }] : [];
        })
      : [];
    return { set, unset, truncatedArrays };
  }
  const legacy = payload.patch;
  return typeof legacy === 'string' ? legacyPatch(legacy, limits) : null;
}
