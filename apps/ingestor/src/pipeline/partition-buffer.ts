/**
 * The records of one assigned partition not yet sealed into a batch, with the position bookkeeping that makes the
 * manifest ranges contiguous: every range starts where the previous one ended, whatever holes the offsets have.
 * The records' bytes go straight into a shared slab (`records.ts`): nothing per record is kept as an object.
 */
import type { TableRoute } from '../routing.js';
import { RECORD_OVERHEAD_BYTES, type RecordSlabLimits, RecordSlabWriter } from './records.js';
import type {
  BufferedRecord,
  OffsetRange,
  RecordHeaders,
  Rejection,
  SealedBatch,
  TopicPartition,
} from './types.js';

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

/** A record's bytes as fetched (kafkajs's message object satisfies it: nothing is copied to make one). */
export interface IncomingRecord {
  key: Uint8Array | null;
  value: Uint8Array | null;
  headers?: RecordHeaders;
}

/** Slab sizes when the owner gives none: room for any batch the default flush thresholds seal. */
const DEFAULT_SLAB: RecordSlabLimits = { maxBytes: 64 * 2 ** 20, maxRecords: 1_000_000 };

export class PartitionBuffer implements TopicPartition {
  private readonly records: RecordSlabWriter;
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
    /** The largest batch the flush thresholds let a buffer reach (a slab is reserved for that much). */
    slab: RecordSlabLimits = DEFAULT_SLAB,
  ) {
    this.next = start?.offset;
    this.gapAcknowledged = start?.gapAcknowledged ?? false;
    this.records = new RecordSlabWriter(slab);
  }

  /** The offset the consumer must deliver next; records below it were already taken (a refetch after a retry). */
  get position(): bigint | undefined {
    return this.last === undefined ? this.next : this.last + 1n;
  }

  get size(): { rows: number; bytes: number } {
    return { rows: this.records.count + this.rejected.length, bytes: this.bytes };
  }

  get isEmpty(): boolean {
    return this.last === undefined;
  }

  /**
   * Takes a record (its bytes are copied into the slab; a rejected record is kept aside as an object). `bytes` is what
   * it counts against the memory budget.
   */
  append(
    record: IncomingRecord,
    offset: bigint,
    timestampMs: number,
    bytes: number,
    now: number,
    rejection?: { reason: string; message: string },
  ): AppendResult {
    const position = this.position;
    if (position !== undefined && offset < position) return 'duplicate';
    if (this.next === undefined) this.next = offset;
    if (rejection) this.rejected.push({ record: copyOf(record, offset, timestampMs, bytes), ...rejection });
    else this.records.append(record.key, record.value, offset, timestampMs, record.headers);
    this.bytes += bytes;
    this.last = offset;
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
   * Whether the buffer should be sealed before a record of `bytes` (at `offset`) goes in: a catching-up partition
   * whose buffer it would carry past `backlogBytes` (sealing after crossing would make a batch slightly larger than
   * one encoder chunk: its small last chunk then waits behind every other partition's chunk, and so does its commit),
   * or a slab that has no room left for it.
   */
  fullBeforeAppend(
    bytes: number,
    offset: bigint,
    t: FlushThresholds,
    highWatermark?: bigint,
    record?: IncomingRecord,
  ): boolean {
    if (this.isEmpty) return false;
    if (record && !this.records.fits((record.key?.length ?? 0) + (record.value?.length ?? 0))) return true;
    if (!t.backlogBytes || this.bytes + bytes <= t.backlogBytes) return false;
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
      records: this.records.seal(),
      rejected: this.rejected,
      bytes: this.bytes,
      sealedAt: now,
      targets: [],
    };
    this.next = this.last + 1n;
    this.last = undefined;
    this.rejected = [];
    this.bytes = 0;
    this.openedAt = undefined;
    this.gapAcknowledged = false;
    return batch;
  }
}

/** A record kept out of the slab (too large for it): its own copy, not a view of a fetch response. */
function copyOf(r: IncomingRecord, offset: bigint, timestampMs: number, bytes: number): BufferedRecord {
  return {
    offset,
    timestampMs,
    key: r.key ? Buffer.copyBytesFrom(r.key) : null,
    value: r.value ? Buffer.copyBytesFrom(r.value) : null,
    headers: r.headers ?? {},
    bytes,
  };
}

/** What a record counts against the memory budget. */
export function recordBytes(r: IncomingRecord, headerBytes: number): number {
  return (r.key?.length ?? 0) + (r.value?.length ?? 0) + headerBytes + RECORD_OVERHEAD_BYTES;
}
