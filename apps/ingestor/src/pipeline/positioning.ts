/**
 * Where newly assigned partitions start reading. Per topic, one lookup of every table the topic writes to
 * (GetTableState: the committed offsets in their `txn` actions), the group's Kafka offsets and the log range; then
 * per partition each table's position (`choosePosition`), the lowest of them to seek to, and where each table starts
 * (targets.ts: a table ahead of the other skips what it has). Retried until it succeeds or the partitions are revoked.
 */
import type { CommitterClient } from '@delta-writer/proto';
import type { Logger } from 'pino';
import type { Metrics } from '../ops/metrics.js';
import { retry } from '../retry.js';
import { PartitionBuffer } from './partition-buffer.js';
import type { PartitionState } from './partition-state.js';
import { choosePosition, type Position } from './position.js';
import type { RecordSlabLimits } from './records.js';
import type { SchemaCache } from './schema-cache.js';
import { readTableState } from './table-state.js';
import type { TargetStart } from './targets.js';
import { type Target, type TopicPartition, tpKey } from './types.js';

export interface OffsetLookup {
  /** The group's committed Kafka offsets (next offset to read) per partition. */
  kafkaCommitted(topic: string): Promise<Map<number, bigint>>;
  logRange(topic: string): Promise<Map<number, { low: bigint; high: bigint }>>;
}

export interface PositionerDeps {
  consumerGroup: string;
  /** How large a partition's record slab may grow (partition-buffer.ts). */
  slab?: RecordSlabLimits;
  fromBeginning: boolean;
  committer: Pick<CommitterClient, 'getTableState'>;
  offsets: OffsetLookup;
  consumer: { seek(tp: TopicPartition, offset: bigint): void; resume(tps: TopicPartition[]): void };
  schemas: SchemaCache;
  metrics: Metrics;
  logger: Logger;
  /** Whether the state is still the partition's current one (not revoked or reset meanwhile). */
  isCurrent(state: PartitionState): boolean;
}

/** Looks up where each partition starts (its tables first), seeks there and resumes it. */
export async function positionPartitions(states: PartitionState[], deps: PositionerDeps): Promise<void> {
  const byTopic = new Map<string, PartitionState[]>();
  for (const s of states) byTopic.set(s.topic, [...(byTopic.get(s.topic) ?? []), s]);
  await Promise.all([...byTopic.entries()].map(([topic, list]) => positionTopic(topic, list, deps)));
}

async function positionTopic(topic: string, list: PartitionState[], deps: PositionerDeps): Promise<void> {
  const signal = AbortSignal.any(list.map((s) => s.abort.signal));
  const targets = (list[0] as PartitionState).targets;
  try {
    const [tableOffsets, kafkaCommitted, range] = await retry(
      () =>
        Promise.all([
          Promise.all(targets.map((t) => committedOffsets(t, deps, signal))),
          deps.offsets.kafkaCommitted(topic),
          deps.offsets.logRange(topic),
        ]),
      {
        attempts: Number.POSITIVE_INFINITY,
        initialMs: 500,
        maxMs: 15_000,
        signal,
        onRetry: (error) =>
          deps.logger.warn({ topic, err: error }, 'cannot position partitions yet; retrying'),
      },
    );
    for (const s of list) {
      if (!deps.isCurrent(s)) continue; // revoked meanwhile
      const log = range.get(s.partition) ?? { low: 0n, high: 0n };
      const kafka = kafkaCommitted.get(s.partition);
      const positions: Position[] = targets.map((_, i) => {
        const deltaCommitted = (tableOffsets[i] as Map<string, bigint>).get(s.key);
        return choosePosition({
          ...log,
          ...(deltaCommitted !== undefined && { deltaCommitted }),
          ...(kafka !== undefined && { kafkaCommitted: kafka }),
          fromBeginning: deps.fromBeginning,
        });
      });
      let start = (positions[0] as Position).offset;
      for (const p of positions) if (p.offset < start) start = p.offset;
      s.starts = new Map<string, TargetStart>();
      s.acked = new Map<string, bigint>();
      positions.forEach((p, i) => {
        const t = targets[i] as Target;
        if (p.warning)
          deps.logger.warn({ topic, partition: s.partition, table: t.route.routingKey }, p.warning);
        if (p.gapAcknowledged) deps.metrics.offsetGaps.inc();
        s.starts.set(t.key, { floor: p.offset - 1n, gapAcknowledged: p.gapAcknowledged === true });
        s.acked.set(t.key, p.offset - 1n);
      });
      s.buffer = new PartitionBuffer(s.topic, s.partition, s.route, s.epoch, { offset: start }, deps.slab);
      deps.consumer.seek(s, start);
      if (!s.memoryPaused) deps.consumer.resume([s]);
      deps.logger.info(
        {
          topic,
          partition: s.partition,
          offset: start.toString(),
          source: positions.map((p) => p.source).join(','),
          ...(targets.length > 1 && {
            tables: Object.fromEntries(
              targets.map((t, i) => [t.route.routingKey, positions[i]?.offset.toString()]),
            ),
          }),
        },
        'partition positioned',
      );
    }
  } catch (error) {
    if (!signal.aborted) deps.logger.error({ topic, err: error }, 'positioning failed');
  }
}

/** A table's committed offsets for our group, keyed by topic:partition. Also refreshes the schema cache. */
async function committedOffsets(
  target: Target,
  deps: PositionerDeps,
  signal: AbortSignal,
): Promise<Map<string, bigint>> {
  const route = target.route;
  const state = await readTableState(deps.committer, route, deps.consumerGroup, signal);
  if (state.exists) deps.schemas.set(route.tableUri, state.deltaSchemaJson, state.statsConfiguration);
  const offsets = new Map<string, bigint>();
  for (const c of state.committedOffsets) {
    if (c.consumerGroup === deps.consumerGroup)
      offsets.set(tpKey(c.topic, c.partition), BigInt(c.lastOffset));
  }
  return offsets;
}
