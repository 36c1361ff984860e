/**
 * The records of one encoder task: a range of a sealed batch's record slab (`pipeline/records.ts`) — the slab's shared
 * bytes and views of its index arrays, bson-arrow's `RecordSlab` layout, which the one-pass decoder reads in place.
 * Handing a chunk to a worker copies nothing: shared memory is shared, and the views are a few numbers each.
 */
import type { SealedRecords } from '../pipeline/records.js';

export interface PackedRecords {
  topic: string;
  partition: number;
  count: number;
  arena: Uint8Array;
  /** [keyStart, keyEnd, valueStart, valueEnd] per record into `arena`; start -1 means null. */
  bounds: Int32Array;
  offsets: BigInt64Array;
  timestamps: Float64Array;
}

/** Records `[start, end)` of a sealed batch, as a task takes them. */
export function chunkOf(
  topic: string,
  partition: number,
  records: SealedRecords,
  start = 0,
  end = records.count,
): PackedRecords {
  return {
    topic,
    partition,
    count: end - start,
    arena: records.bytes,
    bounds: records.bounds.subarray(start * 4, end * 4),
    offsets: records.offsets.subarray(start, end),
    timestamps: records.timestamps.subarray(start, end),
  };
}

export interface UnpackedRecord {
  topic: string;
  partition: number;
  offset: bigint;
  timestamp: number;
  key: Uint8Array | null;
  value: Uint8Array | null;
}

export function unpackRecord(p: PackedRecords, i: number): UnpackedRecord {
  const slice = (slot: number) => {
    const start = p.bounds[i * 4 + slot] as number;
    return start < 0 ? null : p.arena.subarray(start, p.bounds[i * 4 + slot + 1]);
  };
  return {
    topic: p.topic,
    partition: p.partition,
    offset: p.offsets[i] as bigint,
    timestamp: p.timestamps[i] as number,
    key: slice(0),
    value: slice(2),
  };
}

/**
 * The buffers to transfer with a task: none when the slab is shared memory (the usual case); the buffers otherwise,
 * so a slab built in ordinary memory still crosses without a copy.
 */
export function transferables(p: PackedRecords): ArrayBuffer[] {
  const buffers = [p.arena.buffer, p.bounds.buffer, p.offsets.buffer, p.timestamps.buffer];
  return buffers.filter((b): b is ArrayBuffer => b instanceof ArrayBuffer);
}
