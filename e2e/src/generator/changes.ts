/**
 * A change to a MongoDB collection and the Kafka record the Debezium MongoDB connector writes for it, in the
 * connector's configured dialect. The envelope and key text come from bson-arrow's encoder (checked byte for byte
 * against real captures); this module decides which parts an event carries, per capture mode, as the connector
 * does (docs/debezium-formats.md §2.3).
 */
import {
  type BsonDocument,
  type BsonValue,
  canonicalKey,
  encodeMongoEvent,
  encodeMongoKey,
  type MongoPatch,
} from '@delta-writer/bson-arrow';

/** `capture.mode` of the connector. */
export type CaptureMode =
  | 'change_streams'
  | 'change_streams_update_full'
  | 'change_streams_with_pre_image'
  | 'change_streams_update_full_with_pre_image';

/** What one connector writes: JSON dialect (`json.serialization.mode`), JsonConverter schemas, envelope generation. */
export interface Dialect {
  serialization: 'legacy' | 'strict' | 'extended' | 'relaxed';
  schemas: boolean;
  generation: '2.1' | '2.7';
  capture: CaptureMode;
}

export const hasPreImages = (d: Dialect) => d.capture.endsWith('with_pre_image');
export const looksUpFullDocument = (d: Dialect) => d.capture.includes('update_full');

/** The connector version a dialect implies: serialization modes other than legacy exist from Debezium 3.7. */
export function connectorVersion(d: Dialect): string {
  if (d.generation === '2.1') return '2.1.4.Final';
  return d.serialization === 'legacy' ? '2.7.0.Final' : '3.7.0.Final';
}

export type ChangeKind = 'snapshot' | 'insert' | 'update' | 'replace' | 'delete';

/** One event of the changelog, as the table must hold it. */
export interface Change {
  kind: ChangeKind;
  op: 'r' | 'c' | 'u' | 'd';
  db: string;
  collection: string;
  topic: string;
  partition: number;
  id: BsonValue;
  keyCanonical: string;
  /** The source position the decoder puts in `_cdc_seq`: `[source.ts_ms, ord]`. */
  seq: readonly [bigint, bigint];
  /** What the event carries (after the capture mode applied): the row the table holds is after ?? before ?? key. */
  after: BsonDocument | null;
  before: BsonDocument | null;
  patch: MongoPatch | null;
  snapshot: string | undefined;
  /** The oplog entry's wall time (`source.wallTime`; null from servers that do not record one). */
  wallTime: number | null;
  /** When the connector processed the event (envelope `ts_ms`). */
  tsMs: number;
}

/** A Kafka record of a topic: a change event, or the tombstone that follows a delete. */
export interface SourceRecord {
  change: Change | undefined;
  /** For a tombstone: the delete it follows. */
  tombstoneOf: Change | undefined;
  partition: number;
  key: string;
  value: string | null;
}

/** Kafka's key → partition mapping stand-in: stable, so every event of a document lands in one partition, in order. */
export function partitionOf(keyCanonical: string, partitions: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < keyCanonical.length; i++) h = Math.imul(h ^ keyCanonical.charCodeAt(i), 0x01000193);
  return (h >>> 0) % partitions;
}

export function keyOf(id: BsonValue): string {
  return canonicalKey(id);
}

/** The record(s) the connector writes for a change: the event, then a tombstone after a delete. */
export function records(change: Change, dialect: Dialect, connectorName: string): SourceRecord[] {
  const options = { ...dialect, topic: change.topic };
  const key = encodeMongoKey(change.id, options);
  const value = encodeMongoEvent(
    {
      op: change.op,
      after: change.after,
      before: change.before,
      patch: change.patch,
      tsMs: change.tsMs,
      source: {
        name: connectorName,
        db: change.db,
        collection: change.collection,
        tsMs: Number(change.seq[0]),
        ord: Number(change.seq[1]),
        version: connectorVersion(dialect),
        wallTime: change.wallTime,
        ...(change.snapshot ? { snapshot: change.snapshot } : {}),
      },
    },
    options,
  );
  const event: SourceRecord = { change, tombstoneOf: undefined, partition: change.partition, key, value };
  if (change.op !== 'd') return [event];
  return [event, { change: undefined, tombstoneOf: change, partition: change.partition, key, value: null }];
}
