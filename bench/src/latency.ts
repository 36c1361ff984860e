/**
 * Latency at a steady rate: a producer sends `rate` events/s (a batch every 100 ms, on a fixed schedule) while the
 * pipeline runs; a reader polls the table with @delta-writer/delta-log and, when a snapshot's `txn` for a partition
 * reaches an offset, every event up to it is visible. Latency = visible − scheduled send time. The scheduled time,
 * not the time the send got out, so a producer that falls behind does not hide the delay (coordinated omission).
 * The reader polls every 200 ms, which it adds to each latency (100 ms on average).
 */
import { DeltaTable } from '@delta-writer/delta-log';
import type { OutRecord } from '@delta-writer/e2e/src/harness/kafka.js';
import { sleep } from '@delta-writer/e2e/src/harness/wait.js';
import type { Kafka } from 'kafkajs';
import type { Deployment } from './deployment.js';
import { COLLECTION, DB } from './events.js';
import type { Progress } from './progress.js';
import { percentile } from './stats.js';

export interface LatencyOptions {
  topic: string;
  records: readonly OutRecord[];
  rate: number;
  seconds: number;
  /** How long after the last send events may still become visible before the rest count as not visible. */
  drainMs: number;
  s3Env: Record<string, string>;
}

export interface LatencyResult {
  sent: number;
  /** Events per second the producer achieved (below the target when the machine could not keep up). */
  achievedRate: number;
  visible: number;
  /** Events still not visible when the drain time ran out; when > 0 the percentiles are lower bounds. */
  late: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** Sent, not yet visible: `count` records of one partition from `first`, scheduled at `at`. */
interface Pending {
  first: bigint;
  count: number;
  events: number;
  at: number;
}

const TICK_MS = 100;

export async function runLatency(
  deployment: Deployment,
  kafka: Kafka,
  options: LatencyOptions,
  progress: Progress,
): Promise<LatencyResult> {
  const pending = new Map<number, Pending[]>();
  const latencies: number[] = [];
  let sent = 0;
  let visible = 0;
  let producing = true;
  let sendError: unknown;

  // The reader: a table that does not exist yet is opened again until the first commit created it.
  const reader = (async () => {
    let table: DeltaTable | undefined;
    for (;;) {
      const drained = !producing && [...pending.values()].every((l) => l.length === 0);
      if (drained || sendError) return;
      await sleep(200);
      try {
        table ??= await DeltaTable.openUri(deployment.tableUri(DB, COLLECTION), { env: options.s3Env });
        const snapshot = await table.update();
        const now = Date.now();
        for (const [partition, list] of pending) {
          const txn = snapshot.txnVersion(deployment.appId(partition));
          if (txn === undefined) continue;
          while (
            list.length > 0 &&
            (list[0] as Pending).first + BigInt((list[0] as Pending).count - 1) <= txn
          ) {
            const p = list.shift() as Pending;
            for (let i = 0; i < p.events; i++) latencies.push(now - p.at);
            visible += p.events;
          }
        }
      } catch {
        // not created yet, or S3 busy: next poll
      }
    }
  })();

  const producer = kafka.producer();
  await producer.connect();
  const perTick = Math.max(1, Math.round((options.rate * TICK_MS) / 1000));
  const ticks = Math.round((options.seconds * 1000) / TICK_MS);
  const start = Date.now();
  const inflight = new Set<Promise<void>>();
  let next = 0;
  for (let tick = 0; tick < ticks && !sendError; tick++) {
    const at = start + tick * TICK_MS;
    if (at > Date.now()) await sleep(at - Date.now());
    const batch: OutRecord[] = [];
    let events = 0;
    while (events < perTick) {
      const r = options.records[next++ % options.records.length] as OutRecord;
      batch.push(r);
      if (r.value !== null) events++;
    }
    sent += events;
    const send = producer
      .send({
        topic: options.topic,
        acks: -1,
        messages: batch.map((r) => ({ partition: r.partition, key: r.key, value: r.value })),
      })
      .then((meta) => {
        for (const m of meta) {
          const records = batch.filter((r) => r.partition === m.partition);
          const list = pending.get(m.partition) ?? [];
          list.push({
            first: BigInt(m.baseOffset ?? '0'),
            count: records.length,
            events: records.filter((r) => r.value !== null).length,
            at,
          });
          // answers of concurrent sends can arrive out of order; the reader walks each list by offset
          list.sort((a, b) => (a.first < b.first ? -1 : 1));
          pending.set(m.partition, list);
        }
      })
      .catch((err: unknown) => {
        sendError = err;
      })
      .finally(() => inflight.delete(send));
    inflight.add(send);
    progress.update(`sent ${sent} events, visible ${visible}`);
  }
  await Promise.all(inflight);
  const achievedRate = Math.round((sent * 1000) / Math.max(1, Date.now() - start));
  await producer.disconnect();
  if (sendError) throw sendError;

  // Drain: wait for what was sent, bounded; whatever is still not visible is counted apart.
  const drainUntil = Date.now() + options.drainMs;
  while (Date.now() < drainUntil && [...pending.values()].some((l) => l.length > 0)) {
    const failed = deployment.failure();
    if (failed) throw new Error(failed);
    progress.update(`draining: sent ${sent} events, visible ${visible}`);
    await sleep(250);
  }
  producing = false;
  // Not visible by now: counted at the time waited so far, so the percentiles are lower bounds (see `late`).
  const now = Date.now();
  let late = 0;
  for (const list of pending.values()) {
    for (const p of list.splice(0)) {
      for (let i = 0; i < p.events; i++) latencies.push(now - p.at);
      late += p.events;
    }
  }
  await reader;
  return {
    sent,
    achievedRate,
    visible,
    late,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
    max: percentile(latencies, 100),
  };
}
