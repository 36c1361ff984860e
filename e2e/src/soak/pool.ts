/**
 * Events for a long soak at thousands per second: generating realistic change events costs more CPU than the
 * pipeline spends on them (≈0.3 ms each on a busy core), so a soak generates a pool once — a minute or so of the
 * workload, off the clock — and plays it again and again. Each round moves every `ts_ms` (the envelope's and the
 * source's) forward by a fixed step, so the events of a round are newer than the last round's: the changelog gets
 * new rows, the mirror tables real updates, as from a collection that keeps changing.
 */
import type { SourceRecord } from '../generator/changes.js';
import type { Workload } from '../generator/workload.js';

export interface PooledRecord {
  topic: string;
  partition: number;
  key: string;
  /** The event's JSON, or null for a tombstone. */
  value: string | null;
}

/** How far each round moves the clock: far past the span of any pool. */
export const ROUND_SHIFT_MS = 30 * 24 * 3_600_000;

const TS_MS = /"ts_ms":(\d+)/g;

/** The workload's events, `events` of them (tombstones come on top), in the order produced. */
export function makePool(workload: Workload, events: number): PooledRecord[] {
  const pool: PooledRecord[] = [];
  let made = 0;
  while (made < events) {
    const step = workload.step(Math.min(500, events - made));
    for (const [topic, records] of step) {
      for (const r of records as SourceRecord[]) {
        pool.push({ topic, partition: r.partition, key: r.key, value: r.value });
        if (r.change) made++;
      }
    }
  }
  return pool;
}

/** The value of a pooled record in round `round` (0: as generated). */
export function inRound(value: string | null, round: number): string | null {
  if (value === null || round === 0) return value;
  const shift = BigInt(round) * BigInt(ROUND_SHIFT_MS);
  return value.replace(TS_MS, (_, ms: string) => `"ts_ms":${BigInt(ms) + shift}`);
}
