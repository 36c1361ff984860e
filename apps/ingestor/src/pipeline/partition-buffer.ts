/**
 * The records of one assigned partition not yet sealed into a batch, with the position bookkeeping that makes the
 * manifest ranges contiguous: every range starts where the previous one ended, whatever holes the offsets have.
 */
import type { TableRoute } from '../routing.js';
import type { BufferedRecord, OffsetRange, Rejection, SealedBatch, TopicPartition } from './types.js';

export interface FlushThresholds {
  maxBytes: number;
  maxRows: number;
  maxAgeMs: number;
  /**
   * While more records wait in Kafka (catching up), flush at this size instead of waiting for the age: encoding,
   * upload and commit then overlap, and nothing sits idle for `maxAgeMs` with a full backlog. 0 or absent: off.
   */
  backlogBytes?: number;
}

export type AppendResult = 'appended' | 'duplicate';

export class PartitionBuffer implements TopicPartition {
  private records: BufferedRecord[] = [];
  private rejected: Rejection[] = [];
  private bytes = 0;
  private openedAt: number | undefined;
  /** The offset the next range starts at; undefined until the first record (no committed position known). */
  private next: bigint | undefined;
  private last: bigint | undefined;
  private gapAcknowledged = false;

  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly route: TableRoute,
    readonly epoch: number,
    /** The committed offset + 1 from the table, when the table has one for this partition. */
    start?: { offset: bigint; gapAcknowledged?: boolean },
  ) {
    this.next = start?.offset;
    this.gapAcknowledged = start?.gapAcknowledged ?? false;
  }

  /** The offset the consumer must deliver next; records below it were already taken (a refetch after a retry). */
  get position(): bigint | undefined {
    return this.last === undefined ? this.next : this.last + 1n;
  }

  get size(): { rows: number; bytes: number } {
    return { rows: this.records.length + this.rejected.length, bytes: this.bytes };
  }

  get isEmpty(): boolean {
    return this.last === undefined;
  }

  append(record: BufferedRecord, now: number, rejection?: { reason: string; message: string }): AppendResult {
    const position = this.position;
    if (position !== undefined && record.offset < position) return 'duplicate';
    if (this.next === undefined) this.next = record.offset;
    if (rejection) this.rejected.push({ record, ...rejection });
    else this.records.push(record);
    this.bytes += record.bytes;
    this.last = record.offset;
    this.openedAt ??= now;
    return 'appended';
  }

  /** Why the buffer should be flushed now, if it should. `highWatermark`: the partition's end offset, when known. */
  due(
    now: number,
    t: FlushThresholds,
    highWatermark?: bigint,
  ): 'bytes' | 'rows' | 'backlog' | 'age' | undefined {
    if (this.isEmpty) return undefined;
    if (this.bytes >= t.maxBytes) return 'bytes';
    if (this.size.rows >= t.maxRows) return 'rows';
    const behind = highWatermark !== undefined && this.last !== undefined && this.last + 1n < highWatermark;
    if (behind && t.backlogBytes && this.bytes >= t.backlogBytes) return 'backlog';
    if (now - (this.openedAt ?? now) >= t.maxAgeMs) return 'age';
    return undefined;
  }

  /**
   * Whether a catching-up partition should be sealed before a record of `bytes` (at `offset`) goes in, because it
   * would carry the buffer past `backlogBytes`. Sealing after crossing would make a batch slightly larger than one
   * encoder chunk: its small last chunk then waits behind every other partition's chunk, and so does its commit.
   */
  fullBeforeAppend(bytes: number, offset: bigint, t: FlushThresholds, highWatermark?: bigint): boolean {
    if (this.isEmpty || !t.backlogBytes || this.bytes + bytes <= t.backlogBytes) return false;
    return highWatermark !== undefined && offset + 1n < highWatermark;
  }

  /** Closes the current records into a batch and starts the next range right after it. */
  seal(now: number): SealedBatch | undefined {
    if (this.last === undefined || this.next === undefined) return undefined;
    const range: OffsetRange = {
      first: this.next,
      last: this.last,
      ...(this.gapAcknowledged && { gapAcknowledged: true }),
    };
    const batch: SealedBatch = {
      topic: this.topic,
      partition: this.partition,
      route: this.route,
      epoch: this.epoch,
      range,
      records: this.records,
      rejected: this.rejected,
      bytes: this.bytes,
      sealedAt: now,
      targets: [],
    };
    this.next = this.last + 1n;
    this.last = undefined;
    this.records = [];
    this.rejected = [];
    this.bytes = 0;
    this.openedAt = undefined;
    this.gapAcknowledged = false;
    return batch;
  }
}
