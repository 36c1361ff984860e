/**
 * One commit queue per table: batches are committed in the order they were sealed, so each partition's ranges reach
 * the committer in order, while the batches behind the head are still being built and uploaded (pipelining). When the
 * head is ready, every batch behind it that is also ready and has the same schema joins the same request.
 *
 * What a refusal means for the batches is decided here; what it means for partitions (reset, seek) is the owner's.
 * A mirror table's batch that cannot be written safely (build/mirror-rows.ts) stops the queue at that batch, with the
 * reason reported as a MIRROR_UNSAFE stall, until an operator changes the source's settings.
 */

import { setTimeout as sleep } from 'node:timers/promises';
import {
  type CommitAck,
  type CommitInput,
  type CommitOutcome,
  type Refusal,
  RefusalReason,
  refuse,
} from '@delta-writer/proto';
import { retry } from '../retry.js';
import type { TableRoute } from '../routing.js';
import { DeadLetterUnavailableError } from './dead-letter.js';
import { buildCommitRequest, compatible, type ManifestContext, type ReadyBatch } from './manifest.js';
import type { Rejection, SealedBatch, Target } from './types.js';

export interface QueuedBatch {
  batch: SealedBatch;
  /** Resolves when the files are written; undefined when the batch was abandoned (its partition was revoked). */
  ready: Promise<ReadyBatch | undefined>;
}

export interface TableQueueDeps {
  context: ManifestContext;
  maxFilesPerCommit: number;
  send(request: CommitInput, signal: AbortSignal): Promise<CommitOutcome>;
  /** Whether the batch's partition is still owned in the batch's epoch. */
  isCurrent(batch: SealedBatch): boolean;
  deadLetter(batch: SealedBatch, rejections: Rejection[], signal: AbortSignal): Promise<void>;
  onCommitted(group: ReadyBatch[], ack: CommitAck, request: CommitInput): void;
  /** A batch left the queue without a commit (revoked, reset). */
  onDropped(batch: SealedBatch): void;
  /** OFFSET_GAP / OFFSET_OVERLAP: the owner must reset the partitions of `group` (which drops their batches). */
  onOffsetConflict(group: ReadyBatch[], refusal: Refusal): Promise<void>;
  /** The dead letters of `group` could not be written: the owner stops its partitions (the group is dropped). */
  onDeadLetterFailed?(group: ReadyBatch[], error: Error): void;
  /** A refusal retrying cannot fix without an operator; the queue waits `stallRetryMs` and tries again. */
  onStalled(route: TableRoute, refusal: Refusal | undefined, error?: unknown): void;
  /**
   * SCHEMA_INCOMPATIBLE: the group built again against the table's schema as it is now, or undefined when every
   * batch already was (then its records cannot go in and are dead-lettered). Throws when the schema cannot be read.
   */
  conform?(group: ReadyBatch[], signal: AbortSignal): Promise<ReadyBatch[] | undefined>;
  stallRetryMs: number;
  signal: AbortSignal;
  /**
   * Resolves when commits may be sent. While the consumer group rebalances, this member's partitions are being
   * revoked: nothing is sent until the new assignment says which are still ours (the others' batches are then stale).
   */
  gate?: () => Promise<void> | undefined;
}

/**
 * Offsets without a row (dead-lettered, tombstones, mirror updates collapsed per key) one request may carry when it
 * joins several batches: half the committer's default COMMITTER_MAX_OFFSET_GAP, so grouping alone never makes a
 * request the committer refuses as moving offsets too far. A single batch is bounded by FLUSH_MAX_ROWS anyway.
 */
export const MAX_OFFSETS_WITHOUT_ROWS_PER_REQUEST = 500_000n;

/** Offsets of a batch's range that no row of its files stands for. */
function offsetsWithoutRows(r: ReadyBatch): bigint {
  const rows = r.files.reduce((n, f) => n + f.recordCount, 0);
  const span = r.range.last - r.range.first + 1n;
  return span > BigInt(rows) ? span - BigInt(rows) : 0n;
}

interface Slot {
  batch: SealedBatch;
  settled: boolean;
  result: ReadyBatch | undefined;
  ready: Promise<ReadyBatch | undefined>;
}

export class TableQueue {
  private readonly slots: Slot[] = [];
  private running: Promise<void> | undefined;

  readonly route: TableRoute;

  constructor(
    readonly target: Target,
    private readonly deps: TableQueueDeps,
  ) {
    this.route = target.route;
  }

  get length(): number {
    return this.slots.length;
  }

  push(queued: QueuedBatch): void {
    const slot: Slot = { batch: queued.batch, settled: false, result: undefined, ready: queued.ready };
    slot.ready = queued.ready.then(
      (r) => {
        slot.settled = true;
        slot.result = r;
        return r;
      },
      () => {
        slot.settled = true; // preparation gave up (aborted): treated like an abandoned batch
        return undefined;
      },
    );
    this.slots.push(slot);
    this.kick();
  }

  private kick(): void {
    if (this.running || this.deps.signal.aborted) return;
    this.running = this.drain()
      .catch((error) => this.deps.onStalled(this.route, undefined, error))
      .finally(() => {
        this.running = undefined;
        if (this.slots.length > 0) this.kick();
      });
  }

  /** Resolves once every queued batch is committed or dropped. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private async drain(): Promise<void> {
    while (this.slots.length > 0 && !this.deps.signal.aborted) {
      await (this.slots[0] as Slot).ready;
      await this.deps.gate?.();
      const group = this.takeGroup();
      if (group.length === 0) continue;
      const unsafe = group[0]?.unsafe;
      if (unsafe !== undefined) {
        // Retrying cannot help (the same records give the same answer), but the batch must not be dropped either.
        this.requeue(group);
        this.deps.onStalled(this.route, refuse.mirrorUnsafe(unsafe));
        await sleep(this.deps.stallRetryMs, undefined, { signal: this.deps.signal }).catch(() => undefined);
        continue;
      }
      await this.commit(group);
    }
  }

  /** Removes the ready head and the ready, compatible batches behind it; drops stale or abandoned ones. */
  private takeGroup(): ReadyBatch[] {
    const group: ReadyBatch[] = [];
    let files = 0;
    let withoutRows = 0n;
    while (this.slots.length > 0) {
      const slot = this.slots[0] as Slot;
      if (!slot.settled) break;
      if (slot.result === undefined || !this.deps.isCurrent(slot.batch)) {
        this.slots.shift();
        this.deps.onDropped(slot.batch);
        continue;
      }
      if (
        group.length > 0 &&
        (!compatible(group, slot.result) ||
          files + slot.result.files.length > this.deps.maxFilesPerCommit ||
          withoutRows + offsetsWithoutRows(slot.result) > MAX_OFFSETS_WITHOUT_ROWS_PER_REQUEST ||
          slot.result.unsafe !== undefined ||
          group[0]?.unsafe !== undefined)
      ) {
        break;
      }
      this.slots.shift();
      group.push(slot.result);
      files += slot.result.files.length;
      withoutRows += offsetsWithoutRows(slot.result);
    }
    return group;
  }

  /** Puts batches back at the head, in order, for another attempt. */
  private requeue(group: ReadyBatch[]): void {
    this.slots.unshift(
      ...group.map((r) => ({ batch: r.batch, settled: true, result: r, ready: Promise.resolve(r) })),
    );
  }

  private async commit(group: ReadyBatch[]): Promise<void> {
    const { deps } = this;
    const request = buildCommitRequest(this.target, group, deps.context);
    let outcome: CommitOutcome;
    try {
      outcome = await retry(() => deps.send(request, deps.signal), {
        attempts: Number.POSITIVE_INFINITY,
        initialMs: 500,
        maxMs: 30_000,
        signal: deps.signal,
        onRetry: (e) => deps.onStalled(this.route, undefined, e),
      });
    } catch {
      this.requeue(group); // aborted: shutting down
      return;
    }
    if (outcome.$case === 'ack') {
      deps.onCommitted(group, outcome.value, request);
      return;
    }
    const refusal = outcome.value;
    switch (refusal.reason) {
      case RefusalReason.SCHEMA_INCOMPATIBLE: {
        // Files built before this ingestor knew the table's current schema (a table another batch just created or
        // evolved, a cold cache) are built again against it: a value then lands in the table's column or its
        // overflow column instead of making the whole batch a dead letter.
        let conformed: ReadyBatch[] | undefined;
        try {
          conformed = await deps.conform?.(group, deps.signal);
        } catch (error) {
          deps.onStalled(this.route, refusal, error);
          this.requeue(group);
          await sleep(deps.stallRetryMs, undefined, { signal: deps.signal }).catch(() => undefined);
          return;
        }
        if (conformed) {
          this.requeue(conformed);
          return;
        }
        // The records cannot go into this table as they are: dead-letter them, then commit their ranges without files.
        const reason = `schema_incompatible: ${refusal.message}`;
        try {
          for (const r of group) {
            if (r.files.length === 0) continue;
            const records = r.batch.records;
            const rejections = [];
            for (let i = 0; i < records.count; i++) {
              if ((records.offsets[i] as bigint) >= r.range.first)
                rejections.push({
                  record: records.record(i),
                  reason: 'schema_incompatible',
                  message: reason,
                });
            }
            await deps.deadLetter(r.batch, rejections, deps.signal);
          }
        } catch (error) {
          if (!(error instanceof DeadLetterUnavailableError) || !deps.onDeadLetterFailed) throw error;
          // nothing of the group may be committed now: its partitions stop, its batches leave the queue
          deps.onDeadLetterFailed(group, error);
          for (const r of group) deps.onDropped(r.batch);
          return;
        }
        this.requeue(
          group.map((r) => ({
            ...r,
            files: [],
            deltaSchemaJson: '',
            ...(r.mirrorRows && { mirrorRows: [] }),
          })),
        );
        return;
      }
      case RefusalReason.OFFSET_GAP:
      case RefusalReason.OFFSET_OVERLAP:
        await deps.onOffsetConflict(group, refusal);
        this.requeue(group); // the reset partitions' batches are now stale and get dropped
        return;
      default:
        deps.onStalled(this.route, refusal);
        this.requeue(group);
        await sleep(deps.stallRetryMs, undefined, { signal: deps.signal }).catch(() => undefined);
    }
  }
}
