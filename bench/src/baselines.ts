/**
 * The two baselines the pipeline's throughput is divided by, measured in the same run on the same records:
 * - the decode floor: `JSON.parse` of each record as the ingestor receives it (bytes → text → the envelope, then
 *   the `after`/`before` document strings the MongoDB connector nests, and the key), on one core, no typing, no
 *   columns — the least any decoder of these records must do;
 * - a raw kafkajs consumer (a new group, from the beginning) reading the whole topic and discarding it: what the
 *   Kafka client alone sustains here, group join included (the ingestors' time includes theirs).
 */
import type { OutRecord } from '@delta-writer/e2e/src/harness/kafka.js';
import type { Kafka } from 'kafkajs';
import type { Progress } from './progress.js';
import { rate } from './stats.js';

function parseRecord(r: OutRecord): number {
  let n = 0;
  if (r.key !== null) n += JSON.parse(r.key.toString()) === null ? 0 : 1;
  if (r.value === null) return n;
  const envelope = JSON.parse(r.value.toString()) as { after?: unknown; before?: unknown; payload?: unknown };
  const body = (envelope.payload ?? envelope) as { after?: unknown; before?: unknown };
  if (typeof body.after === 'string') n += JSON.parse(body.after) === null ? 0 : 1;
  if (typeof body.before === 'string') n += JSON.parse(body.before) === null ? 0 : 1;
  return n;
}

/** Change events per second through `JSON.parse` alone: the best of `rounds` passes after a warm-up pass. */
export function decodeFloor(records: readonly OutRecord[], events: number, rounds = 3): number {
  let sink = 0;
  const pass = () => {
    const t0 = performance.now();
    for (const r of records) sink += parseRecord(r);
    return performance.now() - t0;
  };
  pass();
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < rounds; i++) best = Math.min(best, pass());
  if (sink < 0) throw new Error('unreachable'); // keeps the parse results alive
  return rate(events, best);
}

/**
 * Events per second read by a bare consumer, from `connect()` until every partition's last offset arrived, and the
 * CPU time of this thread per event while it read (what kafkajs alone costs an ingestor's event loop).
 */
export async function rawConsumer(
  kafka: Kafka,
  topic: string,
  lastOffsets: Map<number, bigint>,
  events: number,
  progress: Progress,
): Promise<{ eventsPerSecond: number; cpuMicrosPerEvent: number }> {
  const remaining = new Map(lastOffsets);
  const consumer = kafka.consumer({
    groupId: `bench-raw-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`,
  });
  const started = performance.now();
  const cpu = () => {
    const u = process.threadCpuUsage();
    return u.user + u.system;
  };
  let firstCpu: number | undefined;
  let seen = 0;
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`raw consumer: ${seen} records after 300 s`)), 300_000);
      consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            firstCpu ??= cpu(); // from the first batch: the group join is not the client's per-event cost
            seen += batch.messages.length;
            progress.update(`${seen} records read`);
            const last = BigInt(batch.lastOffset());
            if (last >= (remaining.get(batch.partition) ?? -1n)) remaining.delete(batch.partition);
            if (remaining.size === 0) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
    const ms = performance.now() - started;
    return { eventsPerSecond: rate(events, ms), cpuMicrosPerEvent: (cpu() - (firstCpu ?? cpu())) / events };
  } finally {
    await consumer.disconnect();
  }
}
