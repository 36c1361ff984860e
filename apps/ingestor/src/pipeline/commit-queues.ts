/**
 * One commit queue per table (TableQueue), created on first use: the committer call with its metrics, schema
 * refusals dead-lettered (and the table's cached schema dropped), stalls logged. What an ack, a drop or an offset
 * refusal means for partitions stays with the owner (the callbacks).
 */
import type { CommitAck, CommitterClient, Refusal } from '@delta-writer/proto';
import { refusalReasonName } from '@delta-writer/proto';
import type { Logger } from 'pino';
import type { Metrics } from '../ops/metrics.js';
import type { PartialUpdatesMode } from './builder.js';
import type { DeadLetterSink } from './dead-letter.js';
import type { ReadyBatch } from './manifest.js';
import type { SchemaCache } from './schema-cache.js';
import { type QueuedBatch, TableQueue } from './table-queue.js';
import type { SealedBatch, Target } from './types.js';

export interface CommitQueuesDeps {
  consumerGroup: string;
  ingestorId: string;
  partitionBy: string[];
  partialUpdates: PartialUpdatesMode;
  maxFilesPerCommit: number;
  stallRetryMs: number;
  committer: Pick<CommitterClient, 'commit'>;
  deadLetters: DeadLetterSink;
  schemas: SchemaCache;
  metrics: Metrics;
  logger: Logger;
  now: () => number;
  /** Aborted on shutdown. */
  signal: AbortSignal;
  gate: () => Promise<void> | undefined;
  isCurrent(batch: SealedBatch): boolean;
  onCommitted(target: Target, group: ReadyBatch[], ack: CommitAck): void;
  onDropped(batch: SealedBatch): void;
  onOffsetConflict(group: ReadyBatch[], refusal: Refusal): Promise<void>;
  /** See TableQueueDeps.onDeadLetterFailed. */
  onDeadLetterFailed?(group: ReadyBatch[], error: Error): void;
  onStalled(): void;
  /** See TableQueueDeps.conform. */
  conform?(group: ReadyBatch[], signal: AbortSignal): Promise<ReadyBatch[] | undefined>;
}

export class CommitQueues {
  private readonly queues = new Map<string, TableQueue>();

  constructor(private readonly deps: CommitQueuesDeps) {}

  push(target: Target, queued: QueuedBatch): void {
    this.queueFor(target).push(queued);
  }

  /** Resolves once every queue is empty. */
  async idle(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.idle()));
  }

  private queueFor(target: Target): TableQueue {
    let queue = this.queues.get(target.key);
    if (queue) return queue;
    const d = this.deps;
    const route = target.route;
    queue = new TableQueue(target, {
      context: {
        consumerGroup: d.consumerGroup,
        ingestorId: d.ingestorId,
        partitionColumns: d.partitionBy,
        partialUpdates: d.partialUpdates,
      },
      maxFilesPerCommit: d.maxFilesPerCommit,
      stallRetryMs: d.stallRetryMs,
      signal: d.signal,
      gate: d.gate,
      send: async (request, signal) => {
        const t0 = d.now();
        const outcome = await d.committer.commit(request, { signal });
        d.metrics.commitSeconds.observe({ table: route.routingKey }, (d.now() - t0) / 1000);
        if (outcome.$case === 'refusal')
          d.metrics.refusals.inc({ reason: refusalReasonName(outcome.value.reason) });
        return outcome;
      },
      isCurrent: d.isCurrent,
      deadLetter: (batch, rejections, signal) => {
        d.schemas.delete(route.tableUri); // the table's schema moved on: read it again
        d.logger.warn(
          { table: route.routingKey, records: rejections.length, why: rejections[0]?.message },
          'records the table schema refuses go to the dead-letter topic',
        );
        return d.deadLetters.send(batch, rejections, signal);
      },
      onCommitted: (group, ack) => d.onCommitted(target, group, ack),
      ...(d.conform && { conform: d.conform }),
      onDropped: d.onDropped,
      onOffsetConflict: d.onOffsetConflict,
      ...(d.onDeadLetterFailed && { onDeadLetterFailed: d.onDeadLetterFailed }),
      onStalled: (r, refusal, error) => {
        d.onStalled();
        d.logger.error(
          {
            table: r.routingKey,
            refusal: refusal && { reason: refusalReasonName(refusal.reason), message: refusal.message },
            err: error,
          },
          'commit is stalled; retrying',
        );
      },
    });
    this.queues.set(target.key, queue);
    return queue;
  }
}
