/**
 * A partition's records as the event loop keeps them: every key and value copied once, from the fetched Kafka batch
 * into one growable byte slab in shared memory, with index arrays beside it (bounds, offsets, timestamps) — no object,
 * no Buffer per record. When the batch is sealed the slab goes to the encoder threads as it is: a SharedArrayBuffer
 * is shared, not copied or moved, so the event loop still has the records for the dead-letter topic, for a retried
 * build, or for a chunk split after an encoder ran out of memory. The layout is bson-arrow's `RecordSlab`, which the
 * one-pass decoder reads in place.
 *
 * Records are materialized as objects (`record(i)`, Buffer views into the slab) only where one is needed: a record
 * going to the dead-letter topic.
 */
import type { BufferedRecord, RecordHeaders } from './types.js';

/** What a record costs beyond its key and value bytes (index entries, bookkeeping), for the memory budget. */
export const RECORD_OVERHEAD_BYTES = 64;

export interface SealedRecords {
  readonly count: number;
  /** The keys and values; `bounds` are positions in it. Shared memory. */
  readonly bytes: Uint8Array;
  /** `[keyStart, keyEnd, valueStart, valueEnd]` per record; a start of -1 means null. */
  readonly bounds: Int32Array;
  readonly offsets: BigInt64Array;
  /** Epoch ms. */
  readonly timestamps: Float64Array;
  /** The headers of the records that have any, by index (Debezium records usually have none). */
  readonly headers: ReadonlyMap<number, RecordHeaders>;
  readonly newestTimestampMs: number;
  /** Record `i` as an object whose key and value are views into the slab. */
  record(i: number): BufferedRecord;
  /** Key and value bytes of record `i` plus the per-record overhead (what the memory budget counts). */
  sizeOf(i: number): number;
}

const GROW = 2;

/** A growable SharedArrayBuffer: reserved up to `max` bytes, committed as it grows. */
function growable(initial: number, max: number): SharedArrayBuffer {
  return new SharedArrayBuffer(initial, { maxByteLength: Math.max(initial, max) });
}

export interface RecordSlabLimits {
  /** The most key+value bytes a slab holds before it must be sealed (plus one record). */
  maxBytes: number;
  /** The most records. */
  maxRecords: number;
}

/** Appends records to a slab; `seal` hands the records over and starts afresh. */
export class RecordSlabWriter {
  private data!: SharedArrayBuffer;
  private bytes!: Uint8Array;
  private index!: SharedArrayBuffer;
  private bounds!: Int32Array;
  private ticks!: SharedArrayBuffer;
  private offsets!: BigInt64Array;
  private times!: SharedArrayBuffer;
  private timestamps!: Float64Array;
  private used = 0;
  private n = 0;
  private newest = 0;
  private headers = new Map<number, RecordHeaders>();

  constructor(private readonly limits: RecordSlabLimits) {
    this.reset();
  }

  get count(): number {
    return this.n;
  }

  /** Whether one more record of `bytes` key+value bytes fits the slab's reservation. */
  fits(bytes: number): boolean {
    return this.used + bytes <= this.data.maxByteLength && this.n < this.limits.maxRecords;
  }

  /** Copies one record in. `offset` must fit the slab (the caller appends in offset order). */
  append(
    key: Uint8Array | null,
    value: Uint8Array | null,
    offset: bigint,
    timestampMs: number,
    headers?: RecordHeaders,
  ): void {
    const n = this.n;
    this.reserve(n + 1, (key?.length ?? 0) + (value?.length ?? 0));
    const bounds = this.bounds;
    let at = this.used;
    if (key === null || key === undefined) {
      bounds[n * 4] = -1;
      bounds[n * 4 + 1] = -1;
    } else {
      this.bytes.set(key, at);
      bounds[n * 4] = at;
      at += key.length;
      bounds[n * 4 + 1] = at;
    }
    if (value === null || value === undefined) {
      bounds[n * 4 + 2] = -1;
      bounds[n * 4 + 3] = -1;
    } else {
      this.bytes.set(value, at);
      bounds[n * 4 + 2] = at;
      at += value.length;
      bounds[n * 4 + 3] = at;
    }
    this.used = at;
    this.offsets[n] = offset;
    this.timestamps[n] = timestampMs;
    if (timestampMs > this.newest) this.newest = timestampMs;
    if (headers !== undefined && !isEmpty(headers)) this.headers.set(n, copyHeaders(headers));
    this.n = n + 1;
  }

  /** The records so far, as an immutable view; the writer starts a new slab. */
  seal(): SealedRecords {
    const sealed = sealedView(
      new Uint8Array(this.data, 0, this.used),
      new Int32Array(this.index, 0, this.n * 4),
      new BigInt64Array(this.ticks, 0, this.n),
      new Float64Array(this.times, 0, this.n),
      this.headers,
      this.newest,
    );
    this.reset();
    return sealed;
  }

  private reset(): void {
    const maxRecords = this.limits.maxRecords;
    this.data = growable(Math.min(64 * 1024, this.limits.maxBytes), this.limits.maxBytes);
    this.bytes = new Uint8Array(this.data);
    const first = Math.min(256, maxRecords);
    this.index = growable(first * 16, maxRecords * 16);
    this.bounds = new Int32Array(this.index);
    this.ticks = growable(first * 8, maxRecords * 8);
    this.offsets = new BigInt64Array(this.ticks);
    this.times = growable(first * 8, maxRecords * 8);
    this.timestamps = new Float64Array(this.times);
    this.used = 0;
    this.n = 0;
    this.newest = 0;
    this.headers = new Map();
  }

  /** Room for `records` records and `extra` more bytes: grows the shared buffers (in place, no copy). */
  private reserve(records: number, extra: number): void {
    const need = this.used + extra;
    if (need > this.data.byteLength) {
      if (need > this.data.maxByteLength) {
        throw new RangeError(`a record slab holds at most ${this.data.maxByteLength} bytes; ${need} needed`);
      }
      this.data.grow(Math.min(this.data.maxByteLength, Math.max(need, this.data.byteLength * GROW)));
    }
    if (records * 16 > this.index.byteLength) {
      const grow = (b: SharedArrayBuffer, per: number) =>
        b.grow(Math.min(b.maxByteLength, Math.max(records * per, b.byteLength * GROW)));
      if (records * 16 > this.index.maxByteLength)
        throw new RangeError(`a record slab holds at most ${this.limits.maxRecords} records`);
      grow(this.index, 16);
      grow(this.ticks, 8);
      grow(this.times, 8);
    }
  }
}

/** The headers with their own copies of the bytes: a fetched record's are views of the whole fetch response. */
function copyHeaders(headers: RecordHeaders): RecordHeaders {
  const out: RecordHeaders = {};
  const copy = (v: Buffer | string) => (typeof v === 'string' ? v : Buffer.copyBytesFrom(v));
  for (const [k, v] of Object.entries(headers))
    out[k] = v === undefined ? v : Array.isArray(v) ? v.map(copy) : copy(v);
  return out;
}

function isEmpty(headers: RecordHeaders): boolean {
  for (const _ in headers) return false;
  return true;
}

function sealedView(
  bytes: Uint8Array,
  bounds: Int32Array,
  offsets: BigInt64Array,
  timestamps: Float64Array,
  headers: ReadonlyMap<number, RecordHeaders>,
  newestTimestampMs: number,
): SealedRecords {
  const part = (i: number, at: number): Buffer | null => {
    const start = bounds[i * 4 + at] as number;
    return start < 0
      ? null
      : Buffer.from(bytes.buffer, bytes.byteOffset + start, (bounds[i * 4 + at + 1] as number) - start);
  };
  const sizeOf = (i: number) => {
    const k = bounds[i * 4] as number;
    const v = bounds[i * 4 + 2] as number;
    const h = headers.get(i);
    return (
      (k < 0 ? 0 : (bounds[i * 4 + 1] as number) - k) +
      (v < 0 ? 0 : (bounds[i * 4 + 3] as number) - v) +
      (h ? headerBytes(h) : 0) +
      RECORD_OVERHEAD_BYTES
    );
  };
  return {
    count: offsets.length,
    bytes,
    bounds,
    offsets,
    timestamps,
    headers,
    newestTimestampMs,
    sizeOf,
    record: (i) => ({
      offset: offsets[i] as bigint,
      timestampMs: timestamps[i] as number,
      key: part(i, 0),
      value: part(i, 2),
      headers: headers.get(i) ?? {},
      bytes: sizeOf(i),
    }),
  };
}

/** The bytes of a record's headers, for the memory budget. */
export function headerBytes(headers: RecordHeaders): number {
  let n = 0;
  for (const [k, v] of Object.entries(headers))
    n += k.length + (v === undefined ? 0 : Array.isArray(v) ? v.reduce((s, x) => s + x.length, 0) : v.length);
  return n;
}

/** Records given as objects, packed into a slab (tests, and the rare record kept out of a partition's slab). */
export function sealedRecordsOf(records: readonly BufferedRecord[]): SealedRecords {
  let bytes = 0;
  for (const r of records) bytes += (r.key?.length ?? 0) + (r.value?.length ?? 0);
  const writer = new RecordSlabWriter({
    maxBytes: Math.max(bytes, 1),
    maxRecords: Math.max(records.length, 1),
  });
  for (const r of records) writer.append(r.key, r.value, r.offset, r.timestampMs, r.headers);
  return writer.seal();
}
