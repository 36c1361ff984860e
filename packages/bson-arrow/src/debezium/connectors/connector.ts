/**
 * What the decoder needs from a Debezium connector, as one interface: every connector-specific decision — how its
 * envelope is parsed, how a payload becomes a change event, what its Kafka key is, where an event stands in the
 * source's order, and whether it has a one-pass writer — lives in the connector's own file (`mongodb.ts`,
 * `postgresql.ts`, `mysql.ts`, …). The decoders (`../record.ts`, the one pass in `../../fast/batch.ts`) choose the
 * connector once per record from `source.connector` (`registry.ts`) and ask it; they hold no list of connectors.
 */
import type { BatchBuilder } from '../../arrow/batch.js';
import type { BsonDocument } from '../../bson/values.js';
import type { DecodeLimits } from '../../errors.js';
import type { FastOutcome, RecordBytes } from '../../fast/record.js';
import type { ChangeEvent, Op, RecordPosition } from '../types.js';

/** A change event's envelope as the reference decoder has parsed it (the connector decodes the rest). */
export interface ChangePayload {
  /** The payload (`before`, `after`, `source`, `op`, `ts_ms`, …). */
  readonly payload: BsonDocument;
  /** The JsonConverter schema of the value (`schemas.enable=true`), when the record has one. */
  readonly envelopeSchema: BsonDocument | null;
  readonly op: Op;
  readonly source: BsonDocument;
  /** The Kafka key's text; null for a record without a key. */
  readonly keyText: string | null;
  readonly record: RecordPosition;
  readonly limits: DecodeLimits;
}

/** A change event's envelope from native `JSON.parse`, for a connector's fast path of the reference decoder. */
export interface NativePayload {
  readonly payload: Record<string, unknown>;
  readonly op: unknown;
  readonly source: Record<string, unknown>;
  readonly keyText: string | null;
  readonly record: RecordPosition;
  readonly limits: DecodeLimits;
}

/** A key of a record, decoded: the key document and its canonical text (null when the source has no key). */
export interface DecodedKey {
  readonly key: BsonDocument | null;
  readonly keyCanonical: string | null;
}

/**
 * A writer of one record straight into a batch's columns (the one pass): `row` when it wrote the record, `skip` for a
 * record that is no row and no failure, `bail` (nothing written) for the reference decoder, `restart` when the row it
 * abandoned had already changed the schema.
 */
export interface OnePassWriter {
  write(builder: BatchBuilder, topic: string, partition: number, record: RecordBytes): FastOutcome;
}

export interface Connector {
  /** The `source.connector` value this implementation decodes (`mongodb`, `postgresql`, `mysql`, …). */
  readonly name: string;
  /**
   * The row model, `ChangeEvent.connector`: `mongodb` (documents as Extended JSON text, keyed by `_id`) or
   * `relational` (typed rows with a Connect schema, keyed by the primary-key columns).
   */
  readonly family: ChangeEvent['connector'];
  /**
   * How the value's JSON is read: `plain` when native `JSON.parse` loses nothing (MongoDB: the documents are
   * strings, no envelope number beyond 2^53 is read), `lossless` when rows carry int64s and decimals.
   */
  readonly envelope: 'plain' | 'lossless';
  /** The change event of a payload this connector wrote. Throws `DecodeError` for input it cannot take. */
  decodeChange(input: ChangePayload): ChangeEvent;
  /** The key of a tombstone (a record without a value) of this connector's topic. */
  tombstoneKey(keyText: string, limits: DecodeLimits): DecodedKey;
  /** Whether a key seen before any event of its topic looks like this connector's (a tombstone has no `source`). */
  ownsKey?(keyText: string): boolean;
  /** A faster route of the reference decoder on the native `JSON.parse` object; undefined leaves it to `decodeChange`. */
  decodeNative?(input: NativePayload): ChangeEvent | undefined;
  /** The one-pass writer of this connector's records (`decodeBatch`), when it has one. */
  onePass?(limits: DecodeLimits): OnePassWriter;
}
