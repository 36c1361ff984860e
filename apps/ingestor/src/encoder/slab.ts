/**
 * The records of one encoder task: a range of a sealed batch's record slab (`pipeline/records.ts`) — the slab's shared
 * bytes and views of its index arrays, bson-arrow's `RecordSlab` layout, which the one-pass decoder reads in place.
 * Handing a chunk to a worker copies nothing: shared memory is shared, and the views are a few numbers each.
 */
import type { RecordSlab } from '@delta-writer/bson-arrow';
import type { SealedRecords } from '../pipeline/types.js';

/** Records `[start, end)` of a sealed batch, as a task takes them. */
export function chunkOf(
  topic: string,
  partition: number,
  records: SealedRecords,
  start = 0,
  end = records.count,
): RecordSlab {
  return {
    topic,
    partition,
    count: end - start,
    bytes: records.bytes,
    bounds: records.bounds.subarray(start * 4, end * 4),
    offsets: records.offsets.subarray(start, end),
    timestamps: records.timestamps.subarray(start, end),
  };
}

/**
 * The buffers to transfer with a task: none when the slab is shared memory (the usual case); the buffers otherwise,
 * so a slab built in ordinary memory still crosses without a copy.
 */
export function transferables(p: RecordSlab): ArrayBuffer[] {
  const buffers = [p.bytes.buffer, p.bounds.buffer, p.offsets.buffer, p.timestamps.buffer];
  return buffers.filter((b): b is ArrayBuffer => b instanceof ArrayBuffer);
}
