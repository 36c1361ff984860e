import type { BsonDocument, BsonValue } from '../bson/values.js';
import { parseExtendedJson } from '../ejson/parse.js';
import { DEFAULT_LIMITS, DecodeError, type DecodeLimits } from '../errors.js';
import { checkDocumentFields, mayExceedFields, noteFieldBound, recordText } from '../limits.js';
import {
  converterSchema,
  doc,
  nativeJson,
  parseEnvelope,
  str,
  unwrapConverterEnvelope,
  withinDepth,
} from './envelope.js';
import { canonicalKey, parseMongoKey } from './key.js';
import { decodeMongoPayload } from './mongo.js';
import { decodeMongoFast, documentSource, isObj } from './mongo-fast.js';
import { decodeRelationalKey, decodeRelationalPayload } from './relational.js';
import type { ChangeEvent, DecodeResult, KafkaRecord, Op, RecordPosition, Tombstone } from './types.js';

export interface DecoderOptions extends Partial<DecodeLimits> {
  /**
   * Which connector writes the topics. Needed only to parse the key of a tombstone that arrives before
   * any change event of its topic (a tombstone has no `source` to tell); learnt per topic otherwise.
   */
  connector?: 'mongodb' | 'relational';
  /**
   * Decode MongoDB events through the fast path (default true): fields read from the native
   * `JSON.parse` object, documents parsed into token tapes that `BatchBuilder` reads directly and that
   * become `Map`s only when `after`/`before` is read. Results are identical; `false` takes the reference
   * path (every document a `Map` at once), for comparison and debugging.
   */
  fastPath?: boolean;
}

const OPS = new Set(['c', 'u', 'd', 'r', 't']);

/**
 * Decodes Kafka records from Debezium connectors. Never throws for bad input: every problem is a
 * `DecodeFailure` value with a stable reason code, for the dead-letter topic.
 */
export class Decoder {
  private readonly limits: DecodeLimits;
  private readonly fast: boolean;
  private readonly topicConnector = new Map<string, 'mongodb' | 'relational'>();

  constructor(private readonly options: DecoderOptions = {}) {
    this.fast = options.fastPath !== false;
    this.limits = {
      maxDepth: options.maxDepth ?? DEFAULT_LIMITS.maxDepth,
      maxBytes: options.maxBytes ?? DEFAULT_LIMITS.maxBytes,
      maxFields: options.maxFields ?? DEFAULT_LIMITS.maxFields,
      maxDocumentFields: options.maxDocumentFields ?? DEFAULT_LIMITS.maxDocumentFields,
    };
  }

  /** Records that `topic` carries `connector` events (the one-pass decoder read one): later tombstones need it. */
  learn(topic: string, connector: 'mongodb' | 'relational'): void {
    if (this.topicConnector.get(topic) !== connector) this.topicConnector.set(topic, connector);
  }

  /** What this decoder has learnt of `topic`'s connector so far. */
  connectorOf(topic: string): 'mongodb' | 'relational' | undefined {
    return this.topicConnector.get(topic);
  }

  /** Puts back what `connectorOf` said (a batch decoded again must meet the decoder as it was the first time). */
  restoreConnector(topic: string, connector: 'mongodb' | 'relational' | undefined): void {
    if (connector === undefined) this.topicConnector.delete(topic);
    else this.topicConnector.set(topic, connector);
  }

  decode(record: KafkaRecord): DecodeResult {
    const position = positionOf(record);
    try {
      const result = this.decodeOrThrow(record, position);
      if (result.kind === 'change') {
        // The document that becomes the row: a record too small to pass the limit is not looked at; a larger one is
        // counted in one pass (see limits.ts). Either way the batch's column budget learns the bound.
        const size = record.value === null || record.value === undefined ? 0 : record.value.length;
        let bound = Math.floor(size / 4);
        if (mayExceedFields(size, this.limits.maxDocumentFields)) {
          const row = documentSource(result, 'after') ?? documentSource(result, 'before');
          bound = checkDocumentFields(row, this.limits.maxDocumentFields, 'the document');
        }
        noteFieldBound(result, bound);
      }
      return result;
    } catch (e) {
      if (e instanceof DecodeError)
        return { kind: 'failure', reason: e.reason, message: e.message, record: position };
      // Only a stack overflow means nesting: other RangeErrors (a BigInt of a fraction, …) are bad values.
      if (e instanceof RangeError && !/call stack/i.test(e.message)) {
        return { kind: 'failure', reason: 'invalid_value', message: e.message, record: position };
      }
      if (e instanceof RangeError) {
        return { kind: 'failure', reason: 'nesting_too_deep', message: e.message, record: position };
      }
      throw e; // a bug in this package, not bad input
    }
  }

  private decodeOrThrow(record: KafkaRecord, position: RecordPosition): DecodeResult {
    const valueText = this.text(record.value, 'value');
    const keyText = this.text(record.key, 'key');
    if (valueText === null) return this.tombstone(keyText, position);
    const raw = nativeJson(valueText);
    if (this.fast) {
      const event = this.mongoFast(raw, keyText, record.topic, position);
      if (event) return event;
    }
    const parsed = parseEnvelope(valueText, this.limits, raw);
    const payload = unwrapConverterEnvelope(parsed);
    // ExtractNewRecordState's delete marker: `{"schema": …, "payload": null}` or the bytes `null`.
    if (payload === null) return this.tombstone(keyText, position);
    if (!(payload instanceof Map)) throw new DecodeError('not_debezium', 'record value is not a JSON object');
    const op = payload.get('op');
    if (typeof op !== 'string') return ignoredOrFail(payload, position);
    if (op === 'm') return { kind: 'ignored', reason: 'logical_message', record: position };
    if (!OPS.has(op)) throw new DecodeError('unsupported_op', `unsupported Debezium op "${op}"`);
    const source = doc(payload, 'source');
    if (!source) throw new DecodeError('not_debezium', 'Debezium envelope without a "source" block');
    if (str(source, 'connector') === 'mongodb') {
      this.topicConnector.set(record.topic, 'mongodb');
      const keyId = keyText === null ? undefined : parseMongoKey(keyText, this.limits.maxDepth);
      return decodeMongoPayload(payload, op as Op, source, keyId, position, this.limits);
    }
    this.topicConnector.set(record.topic, 'relational');
    const key = keyText === null ? null : this.relationalKey(keyText);
    return decodeRelationalPayload(payload, converterSchema(parsed), op as Op, source, key, position);
  }

  /** The fast path for a MongoDB change event (`mongo-fast.ts`), or undefined for the reference path. */
  private mongoFast(
    raw: unknown,
    keyText: string | null,
    topic: string,
    position: RecordPosition,
  ): ChangeEvent | undefined {
    if (!isObj(raw)) return undefined;
    let payload: unknown = raw;
    if (Object.hasOwn(raw, 'payload')) {
      const n = Object.keys(raw).length;
      if (n === 1 || (n === 2 && Object.hasOwn(raw, 'schema'))) payload = raw.payload;
    }
    if (!isObj(payload)) return undefined;
    const source = payload.source;
    const op = payload.op;
    if (!isObj(source) || source.connector !== 'mongodb') return undefined;
    if (op !== 'c' && op !== 'u' && op !== 'd' && op !== 'r') return undefined;
    if (!withinDepth(payload, 0, this.limits.maxDepth)) return undefined;
    this.topicConnector.set(topic, 'mongodb');
    const keyId = keyText === null ? undefined : parseMongoKey(keyText, this.limits.maxDepth);
    return decodeMongoFast(payload, op, source, keyId, position, this.limits);
  }

  private relationalKey(keyText: string): BsonDocument | null {
    const parsed = parseExtendedJson(keyText, { ...this.limits, extended: false });
    return decodeRelationalKey(unwrapConverterEnvelope(parsed), converterSchema(parsed));
  }

  private tombstone(keyText: string | null, record: RecordPosition): Tombstone {
    if (keyText === null) return { kind: 'tombstone', key: null, keyCanonical: null, record };
    const connector =
      this.topicConnector.get(record.topic) ?? this.options.connector ?? guessConnector(keyText);
    if (connector === 'mongodb') {
      const id = parseMongoKey(keyText, this.limits.maxDepth);
      return { kind: 'tombstone', key: new Map([['_id', id]]), keyCanonical: canonicalKey(id), record };
    }
    const key = this.relationalKey(keyText);
    return { kind: 'tombstone', key, keyCanonical: key ? canonicalKey(key) : null, record };
  }

  private text(v: Uint8Array | string | null, what: string): string | null {
    return recordText(v, what, this.limits.maxBytes);
  }
}

/** One-off decode with default options; prefer a long-lived `Decoder` (it learns each topic's connector). */
export function decodeRecord(record: KafkaRecord, options: DecoderOptions = {}): DecodeResult {
  return new Decoder(options).decode(record);
}

function ignoredOrFail(payload: BsonDocument, record: RecordPosition): DecodeResult {
  const status = payload.get('status');
  if ((status === 'BEGIN' || status === 'END') && payload.has('id')) {
    return { kind: 'ignored', reason: 'transaction_marker', record };
  }
  if (payload.has('ddl') || payload.has('tableChanges'))
    return { kind: 'ignored', reason: 'schema_change', record };
  if (payload.size === 1 && payload.has('ts_ms')) return { kind: 'ignored', reason: 'heartbeat', record };
  throw new DecodeError('not_debezium', 'record value has no Debezium "op" field');
}

/** Without context, a `{"id": "<text>"}` key whose text is Extended JSON of an `_id` reads as MongoDB. */
function guessConnector(keyText: string): 'mongodb' | 'relational' {
  if (keyText.trimStart().startsWith('Struct{id=')) return 'mongodb';
  try {
    const raw = unwrapConverterEnvelope(parseExtendedJson(keyText, { extended: false }));
    if (raw instanceof Map && raw.size === 1 && typeof raw.get('id') === 'string') {
      const t = (raw.get('id') as string).trimStart();
      if (t.startsWith('{"$') || t.startsWith('"')) return 'mongodb';
    }
  } catch {
    // not JSON: the relational path reports it
  }
  return 'relational';
}

function positionOf(r: KafkaRecord): RecordPosition {
  let offset: bigint;
  try {
    offset = BigInt(r.offset);
  } catch {
    offset = -1n;
  }
  const ts = r.timestamp === null || r.timestamp === undefined ? null : Number(r.timestamp);
  return { topic: r.topic, partition: r.partition, offset, timestampMs: Number.isFinite(ts) ? ts : null };
}

export type { BsonValue };
