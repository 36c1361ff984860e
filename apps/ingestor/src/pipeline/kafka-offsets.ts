/**
 * Kafka offset commits. They are an optimisation — the tables' `txn` actions, not Kafka, decide where a partition
 * resumes — so they are coalesced (one commit in flight; the newest offsets win) and never awaited by the pipeline.
 */
import type { Logger } from 'pino';
import type { Metrics } from '../ops/metrics.js';

export interface OffsetCommitter {
  commitOffsets(offsets: { topic: string; partition: number; offset: bigint }[]): Promise<void>;
}

export class KafkaOffsets {
  private readonly pending = new Map<string, { topic: string; partition: number; offset: bigint }>();
  private running: Promise<void> | undefined;

  constructor(
    private readonly consumer: OffsetCommitter,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
  ) {}

  /** Commits `offset` (the next offset to read) for the partition, soon. */
  set(key: string, topic: string, partition: number, offset: bigint): void {
    this.pending.set(key, { topic, partition, offset });
    this.flush();
  }

  /** The partition is no longer ours: its pending offset must not be committed by us. */
  forget(key: string): void {
    this.pending.delete(key);
  }

  /** Resolves once no commit is in flight. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private flush(): void {
    if (this.running || this.pending.size === 0) return;
    const offsets = [...this.pending.values()];
    this.pending.clear();
    this.running = this.consumer
      .commitOffsets(offsets)
      .catch((err) => {
        this.metrics.kafkaCommitFailures.inc();
        this.logger.warn({ err }, 'Kafka offset commit failed (the table keeps the committed offsets)');
      })
      .finally(() => {
        this.running = undefined;
        this.flush();
      });
  }
}
