/** What the ingestor keeps per owned partition. */
import type { TableRoute } from '../routing.js';
import type { PartitionBuffer } from './partition-buffer.js';
import type { TargetStart } from './targets.js';
import type { Target, TopicPartition } from './types.js';

export interface PartitionState extends TopicPartition {
  key: string;
  route: TableRoute;
  /** The tables the partition's records go to (two with DELTA_WRITE_MODE both). */
  targets: Target[];
  /** Targets that have not taken a batch yet, and where each starts (see targets.ts). */
  starts: Map<string, TargetStart>;
  /** Per target, the last offset its table acknowledged (or held at positioning). */
  acked: Map<string, bigint>;
  epoch: number;
  /** undefined while the start position is being looked up. */
  buffer: PartitionBuffer | undefined;
  inflightBytes: number;
  memoryPaused: boolean;
  highWatermark?: bigint;
  /** Aborted when the partition is revoked or reset: stops its flushes and retries. */
  abort: AbortController;
}

/**
 * The Kafka offset this partition may commit: the next offset after what every one of its tables holds. (With two
 * tables, the one behind decides: its records must be read again after a restart.)
 */
export function committableOffset(state: PartitionState): bigint | undefined {
  let min: bigint | undefined;
  for (const t of state.targets) {
    const acked = state.acked.get(t.key);
    if (acked === undefined) return undefined;
    if (min === undefined || acked < min) min = acked;
  }
  return min === undefined ? undefined : min + 1n;
}
