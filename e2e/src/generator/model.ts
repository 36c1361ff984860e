/**
 * The in-memory model of the source: a replica set's oplog clock and each collection's documents. Every operation
 * changes the model and returns the {@link Change} the connector reports for it, shaped by the collection's
 * capture mode; the model after the last operation is what the collection holds, and what a replay of the
 * changelog table must reproduce.
 */
import type { BsonDocument, BsonValue, MongoPatch } from '@delta-writer/bson-arrow';
import {
  type Change,
  type ChangeKind,
  connectorVersion,
  type Dialect,
  hasPreImages,
  keyOf,
  looksUpFullDocument,
  partitionOf,
} from './changes.js';
import { applyPatch, cloneDocument } from './patch.js';
import type { Random } from './random.js';

/**
 * The replica set's clusterTime: (seconds, increment). Debezium up to 3.3 puts `seconds × 1000` in
 * `source.ts_ms` and the increment in `ord`; from 3.4 `ts_ms` is the oplog wall time (ms).
 */
export class OplogClock {
  private second = -1;
  private increment = 0;

  constructor(
    private wallTime: number,
    private readonly random: Random,
  ) {}

  tick(dialect: Dialect): { seq: readonly [bigint, bigint]; wallTime: number; tsMs: number } {
    this.wallTime += this.random.int(0, 4);
    const second = Math.floor(this.wallTime / 1000);
    this.increment = second === this.second ? this.increment + 1 : 1;
    this.second = second;
    const wallClockTs = Number(connectorVersion(dialect).slice(0, 3)) >= 3.4;
    const ts = wallClockTs ? this.wallTime : second * 1000;
    // the connector sees the event a few milliseconds later
    return { seq: [BigInt(ts), BigInt(this.increment)], wallTime: this.wallTime, tsMs: this.wallTime + 3 };
  }
}

export interface CollectionSpec {
  db: string;
  collection: string;
  topic: string;
  partitions: number;
  dialect: Dialect;
}

export class CollectionModel {
  /** Documents by canonical key, in insertion order. */
  readonly documents = new Map<string, BsonDocument>();
  /** update_full lookups that will see a later write (the event's `after` is fixed by that write). */
  private readonly pendingLookups = new Map<string, Change>();

  constructor(
    readonly spec: CollectionSpec,
    private readonly clock: OplogClock,
  ) {}

  ids(): string[] {
    return [...this.documents.keys()];
  }

  get(key: string): BsonDocument | undefined {
    return this.documents.get(key);
  }

  snapshotRead(doc: BsonDocument, last: boolean): Change {
    this.documents.set(keyOf(idOf(doc)), cloneDocument(doc));
    return this.change('snapshot', 'r', idOf(doc), doc, null, null, last ? 'last' : 'true');
  }

  insert(doc: BsonDocument): Change {
    const key = keyOf(idOf(doc));
    if (this.documents.has(key)) throw new Error(`duplicate _id ${key} in ${this.spec.collection}`);
    this.documents.set(key, cloneDocument(doc));
    return this.change('insert', 'c', idOf(doc), doc, null, null);
  }

  /**
   * A partial update. With `lateLookup`, an update_full connector's lookup of the full document happens after the
   * document's next write, so `after` shows that write (or is null if it was a delete), as the connector documents.
   */
  update(key: string, patch: MongoPatch, lateLookup = false): Change {
    const before = this.require(key);
    const after = applyPatch(before, patch);
    this.settleLookup(key, after);
    this.documents.set(key, after);
    const d = this.spec.dialect;
    const change = this.change(
      'update',
      'u',
      idOf(before),
      looksUpFullDocument(d) ? after : null,
      hasPreImages(d) ? before : null,
      patch,
    );
    if (lateLookup && looksUpFullDocument(d)) this.pendingLookups.set(key, change);
    return change;
  }

  replace(key: string, doc: BsonDocument): Change {
    const before = this.require(key);
    this.settleLookup(key, doc);
    this.documents.set(key, cloneDocument(doc));
    return this.change(
      'replace',
      'u',
      idOf(before),
      doc,
      hasPreImages(this.spec.dialect) ? before : null,
      null,
    );
  }

  delete(key: string): Change {
    const before = this.require(key);
    this.settleLookup(key, null);
    this.documents.delete(key);
    return this.change(
      'delete',
      'd',
      idOf(before),
      null,
      hasPreImages(this.spec.dialect) ? before : null,
      null,
    );
  }

  /** Lookups still waiting for a later write see none: their `after` stays the update's own post-image. */
  settleLookups(): void {
    this.pendingLookups.clear();
  }

  private settleLookup(key: string, state: BsonDocument | null): void {
    const pending = this.pendingLookups.get(key);
    if (!pending) return;
    this.pendingLookups.delete(key);
    pending.after = state && cloneDocument(state);
  }

  private require(key: string): BsonDocument {
    const doc = this.documents.get(key);
    if (!doc) throw new Error(`no document ${key} in ${this.spec.collection}`);
    return doc;
  }

  private change(
    kind: ChangeKind,
    op: Change['op'],
    id: BsonValue,
    after: BsonDocument | null,
    before: BsonDocument | null,
    patch: MongoPatch | null,
    snapshot?: string,
  ): Change {
    const keyCanonical = keyOf(id);
    const { seq, wallTime, tsMs } = this.clock.tick(this.spec.dialect);
    return {
      kind,
      op,
      db: this.spec.db,
      collection: this.spec.collection,
      topic: this.spec.topic,
      partition: partitionOf(keyCanonical, this.spec.partitions),
      id,
      keyCanonical,
      seq,
      after: after && cloneDocument(after),
      before: before && cloneDocument(before),
      patch,
      snapshot,
      wallTime,
      tsMs,
    };
  }
}

export function idOf(doc: BsonDocument): BsonValue {
  const id = doc.get('_id');
  if (id === undefined) throw new Error('a document without _id');
  return id;
}
