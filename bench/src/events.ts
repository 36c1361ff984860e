/**
 * The workload: ~1 KB MongoDB change events of an `orders` collection (ObjectId ids, line-item arrays, a nested
 * shipping address with geo coordinates, Decimal128 totals, dates, a polymorphic discount; ~15 fields) as the
 * Debezium MongoDB connector 2.7 writes them by default (legacy JSON, no JsonConverter schemas, update_full), with
 * the usual mix of inserts, partial updates, replaces and deletes (each delete followed by its tombstone).
 *
 * The events come from the e2e generator (e2e/src/generator), whose encoder is checked byte for byte against real
 * captures. Generating costs ~0.3 ms per event, so a pool of distinct events is generated once and repeated to the
 * size of the run: append mode writes every record whatever its content, so repeats cost the pipeline the same.
 */

import { orders } from '@delta-writer/e2e/src/generator/documents.js';
import { type CollectionPlan, Workload } from '@delta-writer/e2e/src/generator/workload.js';
import type { OutRecord } from '@delta-writer/e2e/src/harness/kafka.js';

export const DB = 'shop';
export const COLLECTION = 'orders';

export function ordersPlan(partitions: number): CollectionPlan {
  return {
    db: DB,
    collection: COLLECTION,
    kind: orders,
    partitions,
    dialect: {
      serialization: 'legacy',
      schemas: false,
      generation: '2.7',
      capture: 'change_streams_update_full',
    },
  };
}

export interface EventSet {
  /** Kafka records in produce order: change events and tombstones. */
  records: OutRecord[];
  /** Change events among them (tombstones are records, not events). */
  events: number;
  /** Mean size of a change event's value, bytes. */
  meanValueBytes: number;
}

/** A pool of `pool` distinct records (generated), repeated until the set holds `events` change events. */
export function generateEvents(events: number, partitions: number, pool: number, seed = 9): EventSet {
  const workload = new Workload({
    prefix: 'bench',
    collections: [ordersPlan(partitions)],
    seed,
    plannedEvents: pool,
  });
  const distinct: OutRecord[] = [];
  while (distinct.length < Math.min(pool, events)) {
    for (const list of workload.step(Math.min(2000, pool)).values()) {
      for (const r of list)
        distinct.push({
          partition: r.partition,
          key: Buffer.from(r.key),
          value: r.value === null ? null : Buffer.from(r.value),
        });
    }
  }
  const records: OutRecord[] = [];
  let count = 0;
  let bytes = 0;
  for (let i = 0; count < events; i++) {
    const r = distinct[i % distinct.length] as OutRecord;
    records.push(r);
    if (r.value !== null) {
      count++;
      bytes += r.value.length;
    }
  }
  return { records, events: count, meanValueBytes: bytes / Math.max(1, count) };
}

/** The topic of a run: `<prefix>.shop.orders`, which the ingestor routes to the table `<base>/shop/orders`. */
export function topicOf(prefix: string): string {
  return `${prefix}.${DB}.${COLLECTION}`;
}
