/**
 * Append throughput end to end: the events are already in Kafka; the clock starts when the ingestors are spawned
 * (the committer already leads) and stops when the table's Delta log holds, for every partition, a `txn` at the
 * topic's last offset — i.e. everything is committed and readable. The headline figure is the steady state: the
 * records committed after the first commit became visible, over the time from then to the end (process start, the
 * group join and the first batch are outside it); the time from spawning is kept too. The ingestors' CPU counters
 * are read at both ends of the steady-state window, so the CPU per event of each thread excludes start-up. Peak RSS
 * (VmHWM) of every process is sampled.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { deletePrefix } from '@delta-writer/e2e/src/harness/s3.js';
import { sleep } from '@delta-writer/e2e/src/harness/wait.js';
import { TableWatcher } from '@delta-writer/e2e/src/harness/watcher.js';
import type { Deployment, IngestorCounters } from './deployment.js';
import { COLLECTION, DB } from './events.js';
import type { Progress } from './progress.js';
import { rate } from './stats.js';

export interface AppendOptions {
  topic: string;
  /** Last offset of each partition: the run is done when the table's txn reaches each. */
  lastOffsets: Map<number, bigint>;
  events: number;
  ingestors: number;
  ingestorEnv: Record<string, string>;
  timeoutMs: number;
  s3: S3Client;
  keepTables: boolean;
}

export interface AppendResult {
  ingestors: number;
  /** From spawning the ingestors to the last commit. */
  ms: number;
  /** Over `ms`, start-up included. */
  eventsPerSecond: number;
  /** From the first visible commit to the last: the steady state. */
  steadyMs: number;
  steadyEvents: number;
  steadyEventsPerSecond: number;
  /** Ingestor CPU over the steady-state window, µs per event, by thread (undefined: counters not readable). */
  cpu: CpuPerEvent | undefined;
  /** From spawning the ingestors to the first commit visible in the log. */
  firstCommitMs: number;
  deltaCommits: number;
  /** From the committer's counters over the run. */
  manifests: number;
  commits: number;
  peakRssMiB: Map<string, number>;
  logs: string;
}

export async function runAppend(
  deployment: Deployment,
  options: AppendOptions,
  progress: Progress,
): Promise<AppendResult> {
  const { endpoints } = deployment;
  const watcher = new TableWatcher(options.s3, endpoints.s3.bucket, deployment.tablePath(DB, COLLECTION));
  let finished = false;
  try {
    progress.update('starting the committer');
    await deployment.startCommitter();
    const before = await deployment.committerCounters();
    const started = Date.now();
    progress.update('starting the ingestors');
    const rss = setInterval(() => deployment.sampleRss(), 250);
    let done = 0;
    let first: { at: number; records: number; counters: IngestorCounters | undefined } | undefined;
    let last: IngestorCounters | undefined;
    try {
      await deployment.startIngestors();
      done = await awaitCommitted(
        deployment,
        watcher,
        options.lastOffsets,
        started,
        options.timeoutMs,
        progress,
        async (records) => {
          first = { at: Date.now(), records, counters: await deployment.ingestorCounters() };
        },
      );
      last = await deployment.ingestorCounters();
    } finally {
      clearInterval(rss);
      deployment.sampleRss();
    }
    const after = await deployment.committerCounters();
    const ms = done - started;
    const firstSeen = Math.min(...[...watcher.history.values()].flatMap((h) => h.map(([, at]) => at)));
    const totalRecords = [...options.lastOffsets.values()].reduce((n, o) => n + Number(o) + 1, 0);
    // Change events are a fixed share of the records (the rest are tombstones), spread evenly over the topic.
    const steadyEvents = first
      ? Math.round((options.events * (totalRecords - first.records)) / totalRecords)
      : options.events;
    const steadyMs = first ? done - first.at : ms;
    finished = true;
    return {
      ingestors: options.ingestors,
      ms,
      eventsPerSecond: rate(options.events, ms),
      steadyMs,
      steadyEvents,
      steadyEventsPerSecond: rate(steadyEvents, steadyMs),
      cpu: first?.counters && last ? cpuPerEvent(first.counters, last, steadyEvents) : undefined,
      firstCommitMs: firstSeen - started,
      deltaCommits: watcher.version + 1,
      manifests: (after?.manifests ?? 0) - (before?.manifests ?? 0),
      commits: (after?.commits ?? 0) - (before?.commits ?? 0),
      peakRssMiB: deployment.peakRss,
      logs: deployment.logs,
    };
  } finally {
    progress.update('stopping');
    await deployment.stop().catch(() => undefined);
    await deployment.pipeline.kill();
    // A finished run's table is only bytes; a failed one is kept for a look.
    if (finished && !options.keepTables)
      await deletePrefix(options.s3, endpoints.s3.bucket, `${deployment.pipeline.config.basePath}/`).catch(
        () => undefined,
      );
  }
}

export interface CpuPerEvent {
  /** µs of CPU per change event. */
  main: number;
  encoder: number;
  /** The process minus those two: V8's GC and compiler helper threads, libuv's pool. */
  other: number;
  /** Share of the records the encoders decoded on the reference path (0–1), or undefined before that counter. */
  fallbackShare: number | undefined;
}

/** CPU µs per event of each thread kind between two readings of the counters. */
export function cpuPerEvent(a: IngestorCounters, b: IngestorCounters, events: number): CpuPerEvent {
  const us = (x: number) => (x * 1e6) / Math.max(1, events);
  const main = us(b.mainCpu - a.mainCpu);
  const encoder = us(b.encoderCpu - a.encoderCpu);
  const fast = b.fastRecords - a.fastRecords;
  const reference = b.referenceRecords - a.referenceRecords;
  return {
    main,
    encoder,
    other: Math.max(0, us(b.processCpu - a.processCpu) - main - encoder),
    fallbackShare: fast + reference > 0 ? reference / (fast + reference) : undefined,
  };
}

/**
 * Polls the table's log until every partition's txn is at its last offset; returns when that was seen. `onFirst`
 * is awaited once, with the records committed, at the first poll that sees a commit.
 */
export async function awaitCommitted(
  deployment: Deployment,
  watcher: TableWatcher,
  lastOffsets: Map<number, bigint>,
  started: number,
  timeoutMs: number,
  progress: Progress,
  onFirst?: (committedRecords: number) => Promise<void>,
): Promise<number> {
  let firstSeen = false;
  const totalRecords = [...lastOffsets.values()].reduce((n, o) => n + Number(o) + 1, 0);
  for (;;) {
    if (Date.now() - started > timeoutMs)
      throw new Error(`not everything committed after ${timeoutMs} ms; logs in ${deployment.logs}`);
    const failed = deployment.failure();
    if (failed) throw new Error(failed);
    await watcher.poll().catch(() => undefined);
    let committed = 0;
    let behind = 0;
    for (const [partition, last] of lastOffsets) {
      const have = watcher.txns.get(deployment.appId(partition));
      committed += have === undefined ? 0 : Number(have) + 1;
      if (have === undefined || have < last) behind++;
    }
    if (behind === 0) return Date.now();
    if (!firstSeen && committed > 0) {
      firstSeen = true;
      await onFirst?.(committed);
    }
    progress.update(
      `${Math.round((100 * committed) / totalRecords)} % committed (${committed}/${totalRecords} records), Delta version ${watcher.version}`,
    );
    await sleep(200);
  }
}
