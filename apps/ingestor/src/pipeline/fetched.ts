/** Records as kafkajs hands them over, and as the partition buffers keep them. */
import type { BufferedRecord, RecordHeaders, TopicPartition } from './types.js';

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

export function toBufferedRecord(m: FetchedMessage): BufferedRecord {
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
