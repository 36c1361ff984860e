/**
 * The ingest pipeline of one consumer-group member, free of kafkajs: it is told about assignments and fetched
 * batches, and acts on the consumer through {@link ConsumerControl}.
 *
 * Per owned partition it keeps an epoch. Everything done for a partition (sealed batches, commits) carries the epoch
 * it started in; revoking or resetting a partition starts a new epoch, so work from the old one is dropped instead
 * of committed, and its Kafka offsets are never committed by this process again.
 */
import type { CommitAck, CommitterClient, Refusal } from '@delta-writer/proto';
import { refusalReasonName } from '@delta-writer/proto';
import type { Logger } from 'pino';
import type { ParquetCompression } from '../config/load.js';
import type { Metrics } from '../ops/metrics.js';
import { retry } from '../retry.js';
import type { RouteResult, TableRoute } from '../routing.js';
import type { Uploader } from '../storage/uploader.js';
import type { FileBuilder } from './builder.js';
import type { DeadLetterSink } from './dead-letter.js';
import { prepareBatch } from './flush.js';
import type { ReadyBatch } from './manifest.js';
import { type FlushThresholds, PartitionBuffer } from './partition-buffer.js';
import { choosePosition } from './position.js';
import { TableQueue } from './table-queue.js';
import {
  type BufferedRecord,
  type RecordHeaders,
  type SealedBatch,
  type TopicPartition,
  tpKey,
} from './types.js';

export interface ConsumerControl {
  pause(tps: TopicPartition[]): void;
  resume(tps: TopicPartition[]): void;
  seek(tp: TopicPartition, offset: bigint): void;
  commitOffsets(offsets: { topic: string; partition: number; offset: bigint }[]): Promise<void>;
}

export interface OffsetLookup {
  /** The group's committed Kafka offsets (next offset to read) per partition. */
  kafkaCommitted(topic: string): Promise<Map<number, bigint>>;
  logRange(topic: string): Promise<Map<number, { low: bigint; high: bigint }>>;
}

export interface FetchedMessage {
  offset: string;
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  headers?: RecordHeaders;
}

export interface FetchedBatch extends TopicPartition {
  highWatermark: string;
  messages: FetchedMessage[];
}

export interface IngestorSettings {
  consumerGroup: string;
  ingestorId: string;
  fromBeginning: boolean;
  maxPollRecords: number;
  flush: FlushThresholds;
  memoryBudgetBytes: number;
  maxRecordBytes: number;
  partitionBy: string[];
  compression: ParquetCompression;
  schemaCacheTtlMs: number;
  maxFilesPerCommit?: number;
  stallRetryMs?: number;
}

export interface IngestorDeps {
  settings: IngestorSettings;
  route: (topic: string) => RouteResult;
  consumer: ConsumerControl;
  offsets: OffsetLookup;
  committer: Pick<CommitterClient, 'commit' | 'getTableState'>;
  builder: FileBuilder;
  uploader: Pick<Uploader, 'put'>;
  deadLetters: DeadLetterSink;
  metrics: Metrics;
  logger: Logger;
  now?: () => number;
}

interface PartitionState extends TopicPartition {
  key: string;
  route: TableRoute;
  epoch: number;
  /** undefined while the start position is being looked up. */
  buffer: PartitionBuffer | undefined;
  inflightBytes: number;
  memoryPaused: boolean;
  highWatermark?: bigint;
  /** Aborted when the partition is revoked or reset: stops its flushes and retries. */
  abort: AbortController;
}

/** Headroom under the budget before paused partitions resume, so they do not flap. */
const RESUME_FRACTION = 0.75;

export class Ingestor {
  private readonly states = new Map<string, PartitionState>();
  private readonly queues = new Map<string, TableQueue>();
  private readonly schemas = new Map<string, { json: string; at: number }>();
  private readonly pendingKafkaCommits = new Map<
    string,
    { topic: string; partition: number; offset: bigint }
  >();
  private kafkaCommitRunning: Promise<void> | undefined;
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

  constructor(private readonly deps: IngestorDeps) {
    this.now = deps.now ?? Date.now;
    deps.metrics.memoryBudget.set(deps.settings.memoryBudgetBytes);
  }

  get ownedPartitions(): TopicPartition[] {
    return [...this.states.values()].map(({ topic, partition }) => ({ topic, partition }));
  }

  get memoryUsed(): { buffered: number; inflight: number } {
    let buffered = 0;
    for (const s of this.states.values()) buffered += s.buffer?.size.bytes ?? 0;
    return { buffered, inflight: this.inflightBytes };
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
    const state: PartitionState = {
      ...tp,
      key: tpKey(tp.topic, tp.partition),
      route,
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

  private revoke(state: PartitionState, why: 'revoked' | 'reset'): void {
    state.abort.abort(new Error(`partition ${state.key} ${why}`));
    this.states.delete(state.key);
    this.pendingKafkaCommits.delete(state.key);
    this.deps.metrics.consumerLag.remove(state.topic, String(state.partition));
    this.deps.metrics.committedLag.remove(state.topic, String(state.partition));
  }

  /** Looks up where each partition starts (table first), seeks there and resumes it. */
  private async position(states: PartitionState[]): Promise<void> {
    const byTopic = new Map<string, PartitionState[]>();
    for (const s of states) byTopic.set(s.topic, [...(byTopic.get(s.topic) ?? []), s]);
    await Promise.all(
      [...byTopic.entries()].map(async ([topic, list]) => {
        const signal = AbortSignal.any(list.map((s) => s.abort.signal));
        try {
          const [tableOffsets, kafkaCommitted, range] = await retry(
            () =>
              Promise.all([
                this.tableOffsets((list[0] as PartitionState).route, signal),
                this.deps.offsets.kafkaCommitted(topic),
                this.deps.offsets.logRange(topic),
              ]),
            {
              attempts: Number.POSITIVE_INFINITY,
              initialMs: 500,
              maxMs: 15_000,
              signal,
              onRetry: (error) =>
                this.deps.logger.warn({ topic, err: error }, 'cannot position partitions yet; retrying'),
            },
          );
          for (const s of list) {
            if (this.states.get(s.key) !== s) continue; // revoked meanwhile
            const log = range.get(s.partition) ?? { low: 0n, high: 0n };
            const deltaCommitted = tableOffsets.get(s.key);
            const kafka = kafkaCommitted.get(s.partition);
            const p = choosePosition({
              ...log,
              ...(deltaCommitted !== undefined && { deltaCommitted }),
              ...(kafka !== undefined && { kafkaCommitted: kafka }),
              fromBeginning: this.deps.settings.fromBeginning,
            });
            if (p.warning) this.deps.logger.warn({ topic, partition: s.partition }, p.warning);
            if (p.gapAcknowledged) this.deps.metrics.offsetGaps.inc();
            s.buffer = new PartitionBuffer(s.topic, s.partition, s.route, s.epoch, {
              offset: p.offset,
              ...(p.gapAcknowledged && { gapAcknowledged: true }),
            });
            this.deps.consumer.seek(s, p.offset);
            if (!s.memoryPaused) this.deps.consumer.resume([s]);
            this.deps.logger.info(
              { topic, partition: s.partition, offset: p.offset.toString(), source: p.source },
              'partition positioned',
            );
          }
        } catch (error) {
          if (!signal.aborted) this.deps.logger.error({ topic, err: error }, 'positioning failed');
        }
      }),
    );
  }

  /** The table's committed offsets for our group, keyed by topic:partition. Also refreshes the schema cache. */
  private async tableOffsets(route: TableRoute, signal: AbortSignal): Promise<Map<string, bigint>> {
    const outcome = await this.deps.committer.getTableState(
      {
        table: { routingKey: route.routingKey, tableUri: route.tableUri },
        consumerGroup: this.deps.settings.consumerGroup,
      },
      { signal },
    );
    if (outcome.$case === 'refusal') {
      throw new Error(
        `GetTableState refused: ${refusalReasonName(outcome.value.reason)}: ${outcome.value.message}`,
      );
    }
    const state = outcome.value;
    if (state.exists) this.schemas.set(route.tableUri, { json: state.deltaSchemaJson, at: this.now() });
    const offsets = new Map<string, bigint>();
    for (const c of state.committedOffsets) {
      if (c.consumerGroup === this.deps.settings.consumerGroup)
        offsets.set(tpKey(c.topic, c.partition), BigInt(c.lastOffset));
    }
    return offsets;
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
    for (let i = 0; i < batch.messages.length; i += maxPollRecords) {
      if (i > 0) await heartbeat();
      if (this.states.get(state.key) !== state) return; // revoked during the heartbeat's rebalance
      let bytes = 0;
      let taken = 0;
      const now = this.now();
      for (const m of batch.messages.slice(i, i + maxPollRecords)) {
        const record = toBufferedRecord(m);
        const oversized = (m.value?.length ?? 0) > maxRecordBytes;
        const result = buffer.append(
          record,
          now,
          oversized
            ? {
                reason: 'too_large',
                message: `record value is ${m.value?.length} bytes; MAX_RECORD_BYTES is ${maxRecordBytes}`,
              }
            : undefined,
        );
        if (result === 'appended') {
          bytes += record.bytes;
          taken++;
        }
      }
      this.deps.metrics.eventsConsumed.inc({ topic: batch.topic }, taken);
      this.deps.metrics.bytesConsumed.inc({ topic: batch.topic }, bytes);
      const due = buffer.due(now, flush);
      if (due === 'bytes' || due === 'rows') this.flush(state, due);
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
    const batch = state.buffer?.seal(this.now());
    if (!batch) return;
    state.inflightBytes += batch.bytes;
    this.inflightBytes += batch.bytes;
    const started = this.now();
    const ready = prepareBatch(
      batch,
      {
        builder: this.deps.builder,
        uploader: this.deps.uploader,
        deadLetters: this.deps.deadLetters,
        partitionBy: this.deps.settings.partitionBy,
        compression: this.deps.settings.compression,
        tableSchema: (uri) => this.cachedSchema(uri),
        onBuildRetry: (err, attempt) =>
          this.deps.logger.error(
            { err, attempt, partition: state.key },
            'building data files failed; retrying',
          ),
        now: this.now,
      },
      state.abort.signal,
    ).then((r) => {
      this.deps.metrics.flushSeconds.observe({ reason }, (this.now() - started) / 1000);
      return r;
    });
    ready.catch(() => undefined); // the queue observes the outcome
    this.queueFor(batch.route).push({ batch, ready });
  }

  private cachedSchema(tableUri: string): string | undefined {
    const cached = this.schemas.get(tableUri);
    return cached && this.now() - cached.at <= this.deps.settings.schemaCacheTtlMs ? cached.json : undefined;
  }

  private queueFor(route: TableRoute): TableQueue {
    let queue = this.queues.get(route.tableUri);
    if (queue) return queue;
    queue = new TableQueue(route, {
      context: {
        consumerGroup: this.deps.settings.consumerGroup,
        ingestorId: this.deps.settings.ingestorId,
        partitionColumns: this.deps.settings.partitionBy,
      },
      maxFilesPerCommit: this.deps.settings.maxFilesPerCommit ?? 200,
      stallRetryMs: this.deps.settings.stallRetryMs ?? 10_000,
      signal: this.shutdown.signal,
      gate: () => this.rebalance?.promise,
      send: async (request, signal) => {
        const t0 = this.now();
        const outcome = await this.deps.committer.commit(request, { signal });
        this.deps.metrics.commitSeconds.observe({ table: route.routingKey }, (this.now() - t0) / 1000);
        if (outcome.$case === 'refusal')
          this.deps.metrics.refusals.inc({ reason: refusalReasonName(outcome.value.reason) });
        return outcome;
      },
      isCurrent: (batch) => this.isCurrent(batch),
      deadLetter: (batch, rejections, signal) => {
        this.schemas.delete(route.tableUri); // the table's schema moved on: read it again
        return this.deps.deadLetters.send(batch, rejections, signal);
      },
      onCommitted: (group, ack) => this.onCommitted(route, group, ack),
      onDropped: (batch) => this.release(batch),
      onOffsetConflict: (group, refusal) => this.onOffsetConflict(group, refusal),
      onStalled: (r, refusal, error) => {
        this.stalledSince ??= this.now();
        this.deps.logger.error(
          {
            table: r.routingKey,
            refusal: refusal && { reason: refusalReasonName(refusal.reason), message: refusal.message },
            err: error,
          },
          'commit is stalled; retrying',
        );
      },
    });
    this.queues.set(route.tableUri, queue);
    return queue;
  }

  private isCurrent(batch: SealedBatch): boolean {
    return this.states.get(tpKey(batch.topic, batch.partition))?.epoch === batch.epoch;
  }

  private release(batch: SealedBatch): void {
    this.inflightBytes -= batch.bytes;
    const state = this.states.get(tpKey(batch.topic, batch.partition));
    if (state?.epoch === batch.epoch) state.inflightBytes -= batch.bytes;
    this.checkMemory();
  }

  private onCommitted(route: TableRoute, group: ReadyBatch[], ack: CommitAck): void {
    this.stalledSince = undefined;
    const table = route.routingKey;
    const tableLast = new Map<string, bigint>();
    for (const c of ack.committedOffsets) {
      if (c.consumerGroup === this.deps.settings.consumerGroup)
        tableLast.set(tpKey(c.topic, c.partition), BigInt(c.lastOffset));
    }
    const behind: ReadyBatch[] = [];
    let newest = 0;
    for (const r of group) {
      this.release(r.batch);
      this.deps.metrics.filesWritten.inc({ table }, r.files.length);
      for (const f of r.files) {
        this.deps.metrics.rowsWritten.inc({ table }, f.recordCount);
        this.deps.metrics.fileBytesWritten.inc({ table }, f.sizeBytes);
      }
      for (const rec of r.batch.records) newest = Math.max(newest, rec.timestampMs);
      const state = this.states.get(tpKey(r.batch.topic, r.batch.partition));
      if (state?.epoch !== r.batch.epoch) continue; // revoked since: its new owner commits its offsets
      const committed = tableLast.get(state.key) ?? r.batch.range.last;
      // A duplicate ack can show the table ahead of us (another member committed past this range): catch up at once.
      if (committed > r.batch.range.last) behind.push(r);
      // biome-ignore lint/complexity/useMathMinMax: bigint, Math.max does not take it
      const next = (committed > r.batch.range.last ? committed : r.batch.range.last) + 1n;
      this.pendingKafkaCommits.set(state.key, {
        topic: state.topic,
        partition: state.partition,
        offset: next,
      });
      if (state.highWatermark !== undefined) {
        this.deps.metrics.committedLag.set(
          { topic: state.topic, partition: String(state.partition) },
          Number(state.highWatermark - next),
        );
      }
    }
    if (newest > 0) this.deps.metrics.endToEndSeconds.observe(Math.max(0, this.now() - newest) / 1000);
    this.deps.logger.debug(
      { table, version: ack.tableVersion, duplicate: ack.duplicate, batches: group.length },
      'committed',
    );
    this.commitKafkaOffsets();
    if (behind.length > 0)
      void this.resetPartitions(behind, 'the table is ahead of this partition (duplicate ack)');
  }

  /** Kafka offset commits are an optimisation (the table is the truth): coalesced, never awaited by the pipeline. */
  private commitKafkaOffsets(): void {
    if (this.kafkaCommitRunning || this.pendingKafkaCommits.size === 0) return;
    const offsets = [...this.pendingKafkaCommits.values()];
    this.pendingKafkaCommits.clear();
    this.kafkaCommitRunning = this.deps.consumer
      .commitOffsets(offsets)
      .catch((err) => {
        this.deps.metrics.kafkaCommitFailures.inc();
        this.deps.logger.warn({ err }, 'Kafka offset commit failed (the table keeps the committed offsets)');
      })
      .finally(() => {
        this.kafkaCommitRunning = undefined;
        this.commitKafkaOffsets();
      });
  }

  /** The committer says a partition's ranges do not follow its committed offset: start the partition over. */
  private onOffsetConflict(group: ReadyBatch[], refusal: Refusal): Promise<void> {
    return this.resetPartitions(group, `${refusalReasonName(refusal.reason)}: ${refusal.message}`);
  }

  /** Starts the partitions of `group` over from the table's committed offsets (a new epoch drops their batches). */
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

  /**
   * Over budget, the partitions holding memory (buffered or in flight) stop fetching and flush what they buffer;
   * they resume once usage falls below 75 % of the budget. Partitions holding nothing keep fetching.
   */
  private checkMemory(): void {
    const { buffered, inflight } = this.memoryUsed;
    const used = buffered + inflight;
    const budget = this.deps.settings.memoryBudgetBytes;
    this.deps.metrics.bufferedBytes.set(buffered);
    this.deps.metrics.inflightBytes.set(inflight);
    if (used > budget) {
      const toPause = [...this.states.values()].filter(
        (s) => !s.memoryPaused && s.buffer !== undefined && (s.inflightBytes > 0 || !s.buffer.isEmpty),
      );
      for (const s of toPause) {
        s.memoryPaused = true;
        this.flush(s, 'memory');
      }
      if (toPause.length > 0) {
        this.deps.consumer.pause(toPause);
        this.deps.logger.info(
          { used, budget, paused: toPause.length },
          'memory budget reached: pausing partitions',
        );
      }
    } else if (used < budget * RESUME_FRACTION) {
      const toResume = [...this.states.values()].filter((s) => s.memoryPaused);
      for (const s of toResume) s.memoryPaused = false;
      const positioned = toResume.filter((s) => s.buffer !== undefined);
      if (positioned.length > 0) {
        this.deps.consumer.resume(positioned);
        this.deps.logger.info(
          { used, budget, resumed: positioned.length },
          'memory below budget: resuming partitions',
        );
      }
    }
    let paused = 0;
    for (const s of this.states.values()) if (s.memoryPaused) paused++;
    this.deps.metrics.pausedPartitions.set(paused);
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
    const idle = Promise.all([...this.queues.values()].map((q) => q.idle())).then(() => true);
    const timer = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), timeoutMs).unref());
    const done = await Promise.race([idle, timer]);
    this.shutdown.abort(new Error('shutting down'));
    for (const state of this.states.values()) state.abort.abort(new Error('shutting down'));
    while (this.kafkaCommitRunning) await this.kafkaCommitRunning;
    return done;
  }
}

function toBufferedRecord(m: FetchedMessage): BufferedRecord {
  // Copies: kafkajs hands out slices of whole fetch responses, and keeping a slice keeps the response alive.
  const key = m.key ? Buffer.copyBytesFrom(m.key) : null;
  const value = m.value ? Buffer.copyBytesFrom(m.value) : null;
  const headers = m.headers ?? {};
  let headerBytes = 0;
  for (const [k, v] of Object.entries(headers))
    headerBytes +=
      k.length + (v === undefined ? 0 : Array.isArray(v) ? v.reduce((n, x) => n + x.length, 0) : v.length);
  return {
    offset: BigInt(m.offset),
    timestampMs: Number(m.timestamp),
    key,
    value,
    headers,
    bytes: (key?.length ?? 0) + (value?.length ?? 0) + headerBytes + 64,
  };
}
