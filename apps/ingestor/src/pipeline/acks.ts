/**
 * What a table's ack means for the partitions in it: each table's acknowledged offset per partition moves on, the
 * Kafka offset may move to the lowest of the partition's tables (kafka-offsets.ts), and a duplicate ack showing the
 * table ahead of a batch sends that partition back to the table's position. Metrics of written rows and files.
 */
import type { CommitAck } from '@delta-writer/proto';
import type { Metrics } from '../ops/metrics.js';
import type { KafkaOffsets } from './kafka-offsets.js';
import type { ReadyBatch } from './manifest.js';
import { committableOffset, type PartitionState } from './partition-state.js';
import { type Target, tpKey } from './types.js';

export interface AckContext {
  consumerGroup: string;
  /** The partition's current state, or undefined when it is no longer owned. */
  stateOf(batch: ReadyBatch['batch']): PartitionState | undefined;
  kafkaOffsets: KafkaOffsets;
  metrics: Metrics;
  now: () => number;
}

/** Applies the ack of `group` by the table of `target`; returns the batches whose table is ahead of them. */
export function applyAck(
  target: Target,
  group: readonly ReadyBatch[],
  ack: CommitAck,
  ctx: AckContext,
): ReadyBatch[] {
  const table = target.route.routingKey;
  const tableLast = new Map<string, bigint>();
  for (const c of ack.committedOffsets) {
    if (c.consumerGroup === ctx.consumerGroup)
      tableLast.set(tpKey(c.topic, c.partition), BigInt(c.lastOffset));
  }
  const behind: ReadyBatch[] = [];
  const touched = new Set<PartitionState>();
  let newest = 0;
  for (const r of group) {
    ctx.metrics.filesWritten.inc({ table }, r.files.length);
    for (const f of r.files) {
      ctx.metrics.rowsWritten.inc({ table }, f.recordCount);
      ctx.metrics.fileBytesWritten.inc({ table }, f.sizeBytes);
    }
    newest = Math.max(newest, r.batch.records.newestTimestampMs);
    const state = ctx.stateOf(r.batch);
    if (!state) continue; // revoked since: its new owner commits its offsets
    const committed = tableLast.get(state.key) ?? r.range.last;
    // A duplicate ack can show the table ahead of us (another member committed past this range): catch up at once.
    if (committed > r.range.last) behind.push(r);
    // biome-ignore lint/complexity/useMathMinMax: bigint, Math.max does not take it
    const last = committed > r.range.last ? committed : r.range.last;
    const acked = state.acked.get(target.key);
    if (acked === undefined || last > acked) state.acked.set(target.key, last);
    touched.add(state);
  }
  for (const state of touched) {
    const next = committableOffset(state);
    if (next === undefined) continue;
    ctx.kafkaOffsets.set(state.key, state.topic, state.partition, next);
    if (state.highWatermark !== undefined) {
      ctx.metrics.committedLag.set(
        { topic: state.topic, partition: String(state.partition) },
        Number(state.highWatermark - next),
      );
    }
  }
  if (newest > 0) ctx.metrics.endToEndSeconds.observe(Math.max(0, ctx.now() - newest) / 1000);
  return behind;
}
