/**
 * Buffered records cross into a worker thread as one packed arena: a single ArrayBuffer (transferred, not copied)
 * with every key and value, plus index arrays — bson-arrow's `RecordSlab`, which the one-pass decoder reads in place.
 * Posting the records one by one would structured-clone each Buffer's whole backing slab — often 8 KB for a 300-byte
 * record.
 */
import type { BufferedRecord } from '../pipeline/types.js';

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

export function packRecords(
  topic: string,
  partition: number,
  records: readonly BufferedRecord[],
): PackedRecords {
  let size = 0;
  for (const r of records) size += (r.key?.length ?? 0) + (r.value?.length ?? 0);
  const arena = new Uint8Array(size);
  const bounds = new Int32Array(records.length * 4);
  const offsets = new BigInt64Array(records.length);
  const timestamps = new Float64Array(records.length);
  let at = 0;
  records.forEach((r, i) => {
    for (const [slot, bytes] of [
      [0, r.key],
      [2, r.value],
    ] as const) {
      if (bytes === null) {
        bounds[i * 4 + slot] = -1;
        bounds[i * 4 + slot + 1] = -1;
      } else {
        arena.set(bytes, at);
        bounds[i * 4 + slot] = at;
        at += bytes.length;
        bounds[i * 4 + slot + 1] = at;
      }
    }
    offsets[i] = r.offset;
    timestamps[i] = r.timestampMs;
  });
  return { topic, partition, count: records.length, arena, bounds, offsets, timestamps };
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

/** The buffers to transfer with a packed task. */
export function transferables(p: PackedRecords): ArrayBuffer[] {
  return [p.arena.buffer, p.bounds.buffer, p.offsets.buffer, p.timestamps.buffer] as ArrayBuffer[];
}
