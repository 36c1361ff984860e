/**
 * The memory budget: over `MEMORY_BUDGET_BYTES` (buffered plus in flight), the partitions holding memory stop
 * fetching and flush what they buffer; they resume once usage falls below 75 % of it, so they do not flap.
 * Partitions holding nothing keep fetching.
 */
import type { Logger } from 'pino';
import type { Metrics } from '../ops/metrics.js';
import type { PartitionState } from './partition-state.js';
import type { TopicPartition } from './types.js';

/** Headroom under the budget before paused partitions resume. */
const RESUME_FRACTION = 0.75;

export interface MemoryBudgetDeps {
  budgetBytes: number;
  consumer: { pause(tps: TopicPartition[]): void; resume(tps: TopicPartition[]): void };
  flush(state: PartitionState, reason: string): void;
  metrics: Metrics;
  logger: Logger;
}

export function usedMemory(
  states: Iterable<PartitionState>,
  inflight: number,
): { buffered: number; inflight: number } {
  let buffered = 0;
  for (const s of states) buffered += s.buffer?.size.bytes ?? 0;
  return { buffered, inflight };
}

export function checkMemory(
  states: Map<string, PartitionState>,
  inflight: number,
  deps: MemoryBudgetDeps,
): void {
  const { buffered } = usedMemory(states.values(), inflight);
  const used = buffered + inflight;
  const budget = deps.budgetBytes;
  deps.metrics.bufferedBytes.set(buffered);
  deps.metrics.inflightBytes.set(inflight);
  if (used > budget) {
    const toPause = [...states.values()].filter(
      (s) => !s.memoryPaused && s.buffer !== undefined && (s.inflightBytes > 0 || !s.buffer.isEmpty),
    );
    for (const s of toPause) {
      s.memoryPaused = true;
      deps.flush(s, 'memory');
    }
    if (toPause.length > 0) {
      deps.consumer.pause(toPause);
      deps.logger.info({ used, budget, paused: toPause.length }, 'memory budget reached: pausing partitions');
    }
  } else if (used < budget * RESUME_FRACTION) {
    const toResume = [...states.values()].filter((s) => s.memoryPaused);
    for (const s of toResume) s.memoryPaused = false;
    const positioned = toResume.filter((s) => s.buffer !== undefined);
    if (positioned.length > 0) {
      deps.consumer.resume(positioned);
      deps.logger.info(
        { used, budget, resumed: positioned.length },
        'memory below budget: resuming partitions',
      );
    }
  }
  let paused = 0;
  for (const s of states.values()) if (s.memoryPaused) paused++;
  deps.metrics.pausedPartitions.set(paused);
}
