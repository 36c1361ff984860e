/**
 * The ingest pipeline of one consumer-group member, free of kafkajs: it is told about assignments and fetched
 * batches, and acts on the consumer through {@link ConsumerControl}.
 *
 * Per owned partition it keeps an epoch. Everything done for a partition (sealed batches, commits) carries the epoch
 * it started in; revoking or resetting a partition starts a new epoch, so work from the old one is dropped instead
 * of committed, and its Kafka offsets are never committed by this process again.
 *
 * A sealed batch goes to each of the partition's tables (targets.ts: a changelog, a mirror, or both), through one
 * commit queue per table; it is released once every table committed (or dropped) its part.
 */
import type { CommitAck, Refusal } from '@delta-writer/proto';
import { refusalReasonName } from '@delta-writer/proto';
import type { TableRoute } from '../routing.js';
import { applyAck } from './acks.js';
import { CommitQueues } from './commit-queues.js';
import { conformToTable } from './conform.js';
import { DeadLetterUnavailableError } from './dead-letter.js';
import type { FetchedBatch } from './fetched.js';
import { type FlushDeps, prepareBatch } from './flush.js';
import type { IngestorDeps } from './ingestor-deps.js';
import { KafkaOffsets } from './kafka-offsets.js';
import type { ReadyBatch } from './manifest.js';
import { checkMemory, usedMemory } from './memory-budget.js';
import { recordBytes } from './partition-buffer.js';
import type { PartitionState } from './partition-state.js';
import { positionPartitions } from './positioning.js';
import { headerBytes } from './records.js';
import { SchemaCache } from './schema-cache.js';
import { splitForTargets, targetsFor } from './targets.js';
import { type SealedBatch, type Target, type TopicPartition, tpKey } from './types.js';

export type { FetchedBatch, FetchedMessage } from './fetched.js';
export type { ConsumerControl, IngestorDeps, IngestorSettings } from './ingestor-deps.js';
export type { OffsetLookup } from './positioning.js';

export class Ingestor {
  private readonly states = new Map<string, PartitionState>();
  private readonly queues: CommitQueues;
  private readonly schemas: SchemaCache;
  private readonly kafkaOffsets: KafkaOffsets;
  /** Tables that still have to commit (or drop) their part of each in-flight batch. */
  private readonly unfinished = new Map<SealedBatch, number>();
  private epochs = 0;
  private memberId: string | undefined;
  private inflightBytes = 0;
  private draining = false;
  /** Set from REBALANCING to the next assignment: commits wait, so a revoked partition is not committed late. */
  private rebalance: { promise: Promise<void>; open: () => void } | undefined;
  private readonly shutdown = new AbortController();
  private readonly now: () => number;
  /** Stalls the owner should know about (readiness). */
  stalledSince: number | undefined;
  /** Partitions stopped because their dead letters could not be written, until they are assigned again. */
  private readonly stopped = new Set<string>();

  constructor(private readonly deps: IngestorDeps) {
    this.now = deps.now ?? Date.now;
    this.schemas = new SchemaCache(deps.settings.schemaCacheTtlMs, this.now);
    this.kafkaOffsets = new KafkaOffsets(deps.consumer, deps.metrics, deps.logger);
    const { settings } = deps;
    this.queues = new CommitQueues({
      consumerGroup: settings.consumerGroup,
      ingestorId: settings.ingestorId,
      partitionBy: settings.partitionBy,
      partialUpdates: settings.partialUpdates ?? 'skip',
      maxFilesPerCommit: settings.maxFilesPerCommit ?? 200,
      stallRetryMs: settings.stallRetryMs ?? 10_000,
      committer: deps.committer,
      deadLetters: deps.deadLetters,
      schemas: this.schemas,
      metrics: deps.metrics,
      logger: deps.logger,
      now: this.now,
      signal: this.shutdown.signal,
      gate: () => this.rebalance?.promise,
      isCurrent: (batch) => this.isCurrent(batch),
      onCommitted: (target, group, ack) => this.onCommitted(target, group, ack),
      onDropped: (batch) => this.release(batch),
      onOffsetConflict: (group, refusal) => this.onOffsetConflict(group, refusal),
      onDeadLetterFailed: (group, error) => {
        for (const r of group) this.stopPartition(r.batch, error);
      },
      onStalled: () => {
        this.stalledSince ??= this.now();
      },
      conform: (group, signal) =>
        conformToTable(
          group,
          {
            consumerGroup: settings.consumerGroup,
            committer: deps.committer,
            schemas: this.schemas,
            flush: this.flushDeps(`${group[0]?.batch.topic}:${group[0]?.batch.partition}`),
          },
          signal,
        ),
    });
    deps.metrics.memoryBudget.set(settings.memoryBudgetBytes);
  }

  get ownedPartitions(): TopicPartition[] {
    return [...this.states.values()].map(({ topic, partition }) => ({ topic, partition }));
  }

  get memoryUsed(): { buffered: number; inflight: number } {
    return usedMemory(this.states.values(), this.inflightBytes);
  }

  // ── assignment ───────────────────────────────────────────────────────────────────────────────────────────

  /**
   * The group's new assignment for this member (kafkajs GROUP_JOIN). Must run synchronously up to the pauses: the
   * fetch loop starts right after the event, and new partitions must not be fetched before they are positioned.
   */
  onAssignment(memberId: string, assigned: TopicPartition[]): Promise<void> {
    const gate = this.rebalance;
    this.rebalance = undefined;
    const rejoinedAsNewMember = this.memberId !== undefined && this.memberId !== memberId;
    this.memberId = memberId;
    const next = new Set(assigned.map((tp) => tpKey(tp.topic, tp.partition)));
    for (const state of [...this.states.values()]) {
      // A new member id means the group may have given our partitions to someone else in between: start over.
      if (!next.has(state.key) || rejoinedAsNewMember) this.revoke(state, 'revoked');
    }
    const fresh: PartitionState[] = [];
    for (const tp of assigned) {
      const key = tpKey(tp.topic, tp.partition);
      if (this.states.has(key)) continue;
      const routed = this.deps.route(tp.topic);
      if (!routed.ok) {
        // Unroutable topics are filtered at subscription; this one slipped through. Keep it paused, never consume it.
        this.deps.logger.error(
          { topic: tp.topic, reason: routed.reason },
          'assigned a partition of an unroutable topic',
        );
        this.deps.consumer.pause([tp]);
        continue;
      }
      fresh.push(this.newState(tp, routed.route));
    }
    // kafkajs keeps pause state across rebalances: resume what is ours and not paused for memory.
    this.deps.consumer.resume(
      [...this.states.values()]
        .filter((s) => s.buffer !== undefined && !s.memoryPaused)
        .map(({ topic, partition }) => ({ topic, partition })),
    );
    this.deps.metrics.assignedPartitions.set(this.states.size);
    gate?.open(); // after the revocations: batches of revoked partitions are stale now and get dropped
    this.deps.logger.info(
      { assigned: assigned.length, fresh: fresh.length, memberId },
      'partition assignment changed',
    );
    return this.position(fresh);
  }

  /**
   * The group started rebalancing (kafkajs REBALANCING): with the eager protocol every partition of this member is
   * being revoked. Commits are held until the new assignment, so a partition that goes to another member is not
   * committed by this one afterwards. (A commit already on the wire cannot be recalled; if it lands after the new
   * owner read the table's offsets, the committer answers the new owner's first overlapping range with a duplicate
   * or OFFSET_OVERLAP and the new owner re-positions: late, but never twice.)
   */
  onRebalancing(): void {
    if (this.rebalance) return;
    let open!: () => void;
    const promise = new Promise<void>((resolve) => {
      open = resolve;
    });
    this.rebalance = { promise, open };
  }

  private newState(tp: TopicPartition, route: TableRoute): PartitionState {
    if (this.stopped.delete(tpKey(tp.topic, tp.partition)))
      this.deps.metrics.partitionsStopped.set(this.stopped.size);
    const state: PartitionState = {
      ...tp,
      key: tpKey(tp.topic, tp.partition),
      route,
      targets: targetsFor(route, this.deps.settings.writeMode ?? 'append'),
      starts: new Map(),
      acked: new Map(),
      epoch: ++this.epochs,
      buffer: undefined,
      inflightBytes: 0,
      memoryPaused: false,
      abort: new AbortController(),
    };
    this.states.set(state.key, state);
    this.deps.consumer.pause([tp]);
    return state;
  }

  private revoke(state: PartitionState, why: 'revoked' | 'reset' | 'stopped'): void {
    state.abort.abort(new Error(`partition ${state.key} ${why}`));
    this.states.delete(state.key);
    this.kafkaOffsets.forget(state.key);
    this.deps.metrics.consumerLag.remove(state.topic, String(state.partition));
    this.deps.metrics.committedLag.remove(state.topic, String(state.partition));
  }

  private position(states: PartitionState[]): Promise<void> {
    const { settings, committer, offsets, consumer, metrics, logger } = this.deps;
    return positionPartitions(states, {
      consumerGroup: settings.consumerGroup,
      slab: {
        // A buffer is sealed once it reaches the thresholds, checked after each poll chunk: the slab reserves that
        // plus a chunk's worth (a fetch is at most 4 MiB per partition) and the largest record. Beyond it the
        // buffer is sealed before the record (PartitionBuffer.fullBeforeAppend).
        maxBytes: settings.flush.maxBytes + settings.maxRecordBytes + 8 * 2 ** 20,
        maxRecords: settings.flush.maxRows + settings.maxPollRecords,
      },
      fromBeginning: settings.fromBeginning,
      committer,
      offsets,
      consumer,
      schemas: this.schemas,
      metrics,
      logger,
      isCurrent: (s) => this.states.get(s.key) === s,
    });
  }

  // ── consuming ────────────────────────────────────────────────────────────────────────────────────────────

  /** Takes a fetched batch into the partition's buffer. Heartbeats between chunks of `maxPollRecords`. */
  async handleBatch(
    batch: FetchedBatch,
    heartbeat: () => Promise<void>,
    isStale: () => boolean = () => false,
  ): Promise<void> {
    const state = this.states.get(tpKey(batch.topic, batch.partition));
    // Not ours, not positioned yet, or fetched before our seek took effect: the seek brings these records again.
    if (this.draining || state?.buffer === undefined || isStale()) return;
    const { buffer } = state;
    state.highWatermark = BigInt(batch.highWatermark);
    const { maxPollRecords, maxRecordBytes, flush } = this.deps.settings;
    const messages = batch.messages;
    for (let i = 0; i < messages.length; i += maxPollRecords) {
      if (i > 0) await heartbeat();
      if (this.states.get(state.key) !== state) return; // revoked during the heartbeat's rebalance
      let bytes = 0;
      let taken = 0;
      const now = this.now();
      const end = Math.min(messages.length, i + maxPollRecords);
      for (let j = i; j < end; j++) {
        const m = messages[j] as FetchedBatch['messages'][number];
        const offset = BigInt(m.offset);
        const size = recordBytes(m, m.headers ? headerBytes(m.headers) : 0);
        if (buffer.fullBeforeAppend(size, offset, flush, state.highWatermark, m))
          this.flush(state, 'backlog');
        const oversized = (m.value?.length ?? 0) > maxRecordBytes;
        const result = buffer.append(
          m,
          offset,
          Number(m.timestamp),
          size,
          now,
          oversized
            ? {
                reason: 'too_large',
                message: `record value is ${m.value?.length} bytes; MAX_RECORD_BYTES is ${maxRecordBytes}`,
              }
            : undefined,
        );
        if (result === 'appended') {
          bytes += size;
          taken++;
        }
      }
      this.deps.metrics.eventsConsumed.inc({ topic: batch.topic }, taken);
      this.deps.metrics.bytesConsumed.inc({ topic: batch.topic }, bytes);
      const due = buffer.due(now, flush, state.highWatermark);
      if (due !== undefined && due !== 'age') this.flush(state, due);
    }
    this.updateLag(state);
    this.checkMemory();
  }

  /** Periodic work: age-based flushes, the memory budget, gauges. */
  tick(): void {
    const now = this.now();
    for (const state of this.states.values()) {
      if (state.buffer?.due(now, this.deps.settings.flush) === 'age') this.flush(state, 'age');
    }
    this.checkMemory();
  }

  private flush(state: PartitionState, reason: string): void {
    const sealed = state.buffer?.seal(this.now());
    if (!sealed) return;
    const batch: SealedBatch = { ...sealed, targets: splitForTargets(sealed, state.targets, state.starts) };
    state.inflightBytes += batch.bytes;
    this.inflightBytes += batch.bytes;
    this.unfinished.set(batch, batch.targets.length);
    if (batch.targets.length === 0) {
      // Every table already holds these offsets (a catch-up's skipped head): nothing to write.
      this.release(batch);
      return;
    }
    const started = this.now();
    const { metrics, logger } = this.deps;
    const where = { topic: batch.topic, partition: batch.partition };
    logger.debug({ ...where, reason, records: batch.records.count, bytes: batch.bytes }, 'sealed a batch');
    const ready = prepareBatch(batch, this.flushDeps(state.key), state.abort.signal).then((r) => {
      const seconds = (this.now() - started) / 1000;
      metrics.flushSeconds.observe({ reason }, seconds);
      logger.debug({ ...where, seconds }, 'batch files written');
      return r;
    });
    ready.catch((error: unknown) => {
      // the queues observe the outcome; a dead-letter topic that cannot be written stops the partition
      if (error instanceof DeadLetterUnavailableError) this.stopPartition(batch, error);
    });
    batch.targets.forEach((t, i) => {
      this.queues.push(t.target, { batch, ready: ready.then((all) => all[i]) });
    });
  }

  private flushDeps(partition: string): FlushDeps {
    const { settings, metrics, logger } = this.deps;
    return {
      builder: this.deps.builder,
      uploader: this.deps.uploader,
      deadLetters: this.deps.deadLetters,
      partitionBy: settings.partitionBy,
      compression: settings.compression,
      partialUpdates: settings.partialUpdates ?? 'skip',
      tableSchema: (uri) => this.schemas.get(uri),
      statsConfiguration: (uri) => this.schemas.statsConfiguration(uri),
      onBuildRetry: (err, attempt) =>
        logger.error({ err, attempt, partition }, 'building data files failed; retrying'),
      onUploadRetry: (err, attempt) =>
        logger.error({ err, attempt, partition }, 'uploading data files failed; retrying'),
      onMirrorStats: (s) => {
        metrics.mirrorEvents.inc({ outcome: 'duplicate' }, s.duplicates);
        metrics.mirrorEvents.inc({ outcome: 'folded' }, s.folded);
        metrics.mirrorEvents.inc({ outcome: 'skipped' }, s.skipped);
      },
      now: this.now,
    };
  }

  /**
   * Stops a partition whose batch cannot be completed (its dead letters cannot be written): it is paused and
   * forgotten, so nothing of it is committed and its records stay in Kafka; the next assignment positions it from
   * the table again. Counted (`dw_ingestor_partitions_stopped`, alert DeltaWriterPartitionStopped) and logged as an
   * error; readiness fails like a stall.
   */
  stopPartition(batch: SealedBatch, error: Error): void {
    const state = this.states.get(tpKey(batch.topic, batch.partition));
    if (state?.epoch !== batch.epoch) return; // already revoked, reset or stopped
    const { metrics, logger, consumer } = this.deps;
    consumer.pause([{ topic: state.topic, partition: state.partition }]);
    this.revoke(state, 'stopped');
    this.stopped.add(state.key);
    metrics.partitionsStopped.set(this.stopped.size);
    metrics.deadLetterFailures.inc();
    this.stalledSince ??= this.now();
    logger.error(
      { topic: state.topic, partition: state.partition, err: error },
      'partition stopped: its records could not be written to the dead-letter topic; they stay in Kafka and the partition resumes from its table at the next rebalance or restart (docs/runbook.md)',
    );
  }

  private isCurrent(batch: SealedBatch): boolean {
    return this.states.get(tpKey(batch.topic, batch.partition))?.epoch === batch.epoch;
  }

  /** One table is done with the batch; its memory is released when every table is. */
  private release(batch: SealedBatch): void {
    const left = (this.unfinished.get(batch) ?? 1) - 1;
    if (left > 0) {
      this.unfinished.set(batch, left);
      return;
    }
    this.unfinished.delete(batch);
    this.inflightBytes -= batch.bytes;
    const state = this.states.get(tpKey(batch.topic, batch.partition));
    if (state?.epoch === batch.epoch) state.inflightBytes -= batch.bytes;
    this.checkMemory();
  }

  private onCommitted(target: Target, group: ReadyBatch[], ack: CommitAck): void {
    this.stalledSince = undefined;
    for (const r of group) this.release(r.batch);
    const behind = applyAck(target, group, ack, {
      consumerGroup: this.deps.settings.consumerGroup,
      stateOf: (batch) => {
        const state = this.states.get(tpKey(batch.topic, batch.partition));
        return state?.epoch === batch.epoch ? state : undefined;
      },
      kafkaOffsets: this.kafkaOffsets,
      metrics: this.deps.metrics,
      now: this.now,
    });
    this.deps.logger.debug(
      {
        table: target.route.routingKey,
        version: ack.tableVersion,
        duplicate: ack.duplicate,
        batches: group.length,
      },
      'committed',
    );
    if (behind.length > 0)
      void this.resetPartitions(behind, 'the table is ahead of this partition (duplicate ack)');
  }

  /** The committer says a partition's ranges do not follow its committed offset: start the partition over. */
  private onOffsetConflict(group: ReadyBatch[], refusal: Refusal): Promise<void> {
    return this.resetPartitions(group, `${refusalReasonName(refusal.reason)}: ${refusal.message}`);
  }

  /** Starts the partitions of `group` over from the tables' committed offsets (a new epoch drops their batches). */
  private async resetPartitions(group: ReadyBatch[], why: string): Promise<void> {
    const reset = new Map<string, { tp: TopicPartition; route: TableRoute }>();
    for (const { batch } of group) {
      const state = this.states.get(tpKey(batch.topic, batch.partition));
      if (!state || state.epoch !== batch.epoch || reset.has(state.key)) continue;
      this.deps.logger.warn({ partition: state.key, why }, 're-positioning the partition from the table');
      this.deps.metrics.partitionResets.inc();
      this.revoke(state, 'reset');
      reset.set(state.key, { tp: { topic: state.topic, partition: state.partition }, route: state.route });
    }
    void this.position([...reset.values()].map(({ tp, route }) => this.newState(tp, route)));
  }

  // ── memory ───────────────────────────────────────────────────────────────────────────────────────────────

  private checkMemory(): void {
    checkMemory(this.states, this.inflightBytes, {
      budgetBytes: this.deps.settings.memoryBudgetBytes,
      consumer: this.deps.consumer,
      flush: (s, reason) => this.flush(s, reason),
      metrics: this.deps.metrics,
      logger: this.deps.logger,
    });
  }

  private updateLag(state: PartitionState): void {
    const position = state.buffer?.position;
    if (state.highWatermark === undefined || position === undefined) return;
    this.deps.metrics.consumerLag.set(
      { topic: state.topic, partition: String(state.partition) },
      Number(state.highWatermark - position),
    );
  }

  // ── shutdown ─────────────────────────────────────────────────────────────────────────────────────────────

  /**
   * Graceful stop: no more records are taken, every buffer is flushed, and the commits are awaited (at most
   * `timeoutMs`); then outstanding Kafka offset commits. Returns whether everything was committed in time.
   */
  async drain(timeoutMs: number): Promise<boolean> {
    this.draining = true;
    if (this.rebalance) {
      // Mid-rebalance our partitions are being revoked: committing now could race their next owner. Leave it to them.
      this.shutdown.abort(new Error('shutting down during a rebalance'));
      this.rebalance.open();
      return false;
    }
    this.deps.consumer.pause(this.ownedPartitions);
    for (const state of this.states.values()) this.flush(state, 'shutdown');
    const idle = this.queues.idle().then(() => true);
    const timer = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), timeoutMs).unref());
    const done = await Promise.race([idle, timer]);
    this.shutdown.abort(new Error('shutting down'));
    for (const state of this.states.values()) state.abort.abort(new Error('shutting down'));
    await this.kafkaOffsets.idle();
    return done;
  }
}
