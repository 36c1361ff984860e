/**
 * The reference decoder of Kafka records from Debezium connectors, one record at a time: the envelope's generic
 * shapes (tombstones, heartbeats, transaction markers, logical messages, ops) are read here; everything that depends
 * on the connector is asked of the connector that `source.connector` names, chosen once per record
 * (`connectors/registry.ts`). Never throws for bad input: every problem is a `DecodeFailure` with a stable reason.
 */
import type { BsonDocument, BsonValue } from '../bson/values.js';
import { DEFAULT_LIMITS, DecodeError, type DecodeLimits } from '../errors.js';
import { checkDocumentFields, mayExceedFields, noteFieldBound, recordText } from '../limits.js';
import type { Connector } from './connectors/connector.js';
import { connectorNamed, connectorOfKey } from './connectors/registry.js';
import {
  converterSchema,
  doc,
  NOT_JSON,
  nativeJson,
  nativePayload,
  parseValue,
  str,
  unwrapConverterEnvelope,
} from './envelope.js';
import { documentSource } from './mongo-fast.js';
import type { DecodeResult, KafkaRecord, Op, RecordPosition, Tombstone } from './types.js';

export interface DecoderOptions extends Partial<DecodeLimits> {
  /**
   * Which connector writes the topics (`mongodb`, `postgresql`, `mysql`, … or `relational` for any other). Needed
   * only to parse the key of a tombstone that arrives before any change event of its topic (a tombstone has no
   * `source` to tell); learnt per topic otherwise.
   */
  connector?: string;
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
  private readonly topicConnector = new Map<string, Connector>();

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
  learn(topic: string, connector: Connector): void {
    if (this.topicConnector.get(topic) !== connector) this.topicConnector.set(topic, connector);
  }

  /** What this decoder has learnt of `topic`'s connector so far. */
  connectorOf(topic: string): Connector | undefined {
    return this.topicConnector.get(topic);
  }

  /** Puts back what `connectorOf` said (a batch decoded again must meet the decoder as it was the first time). */
  restoreConnector(topic: string, connector: Connector | undefined): void {
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
    // The connector, from the native object when JSON.parse read the value (else from the parsed source below).
    const native = raw === NOT_JSON ? undefined : nativePayload(raw);
    const source = native?.source;
    let connector: Connector | undefined;
    if (typeof source === 'object' && source !== null && !Array.isArray(source)) {
      const name = (source as Record<string, unknown>).connector;
      connector = connectorNamed(typeof name === 'string' ? name : undefined);
      this.learn(record.topic, connector);
      if (this.fast && connector.decodeNative && native) {
        const event = connector.decodeNative({
          payload: native,
          op: native.op,
          source: source as Record<string, unknown>,
          keyText,
          record: position,
          limits: this.limits,
        });
        if (event) return event;
      }
    }
    const parsed = parseValue(valueText, this.limits, connector?.envelope === 'plain' ? native : undefined);
    const payload = unwrapConverterEnvelope(parsed);
    // ExtractNewRecordState's delete marker: `{"schema": …, "payload": null}` or the bytes `null`.
    if (payload === null) return this.tombstone(keyText, position);
    if (!(payload instanceof Map)) throw new DecodeError('not_debezium', 'record value is not a JSON object');
    const op = payload.get('op');
    if (typeof op !== 'string') return ignoredOrFail(payload, position);
    if (op === 'm') return { kind: 'ignored', reason: 'logical_message', record: position };
    if (!OPS.has(op)) throw new DecodeError('unsupported_op', `unsupported Debezium op "${op}"`);
    const sourceBlock = doc(payload, 'source');
    if (!sourceBlock) throw new DecodeError('not_debezium', 'Debezium envelope without a "source" block');
    if (connector === undefined) {
      connector = connectorNamed(str(sourceBlock, 'connector'));
      this.learn(record.topic, connector);
    }
    return connector.decodeChange({
      payload,
      envelopeSchema: converterSchema(parsed),
      op: op as Op,
      source: sourceBlock,
      keyText,
      record: position,
      limits: this.limits,
    });
  }

  private tombstone(keyText: string | null, record: RecordPosition): Tombstone {
    if (keyText === null) return { kind: 'tombstone', key: null, keyCanonical: null, record };
    const connector =
      this.topicConnector.get(record.topic) ??
      (this.options.connector === undefined
        ? connectorOfKey(keyText)
        : connectorNamed(this.options.connector));
    return { kind: 'tombstone', ...connector.tombstoneKey(keyText, this.limits), record };
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
