/**
 * Append throughput end to end: the events are already in Kafka; the clock starts when the ingestors are spawned
 * (the committer already leads) and stops when the table's Delta log holds, for every partition, a `txn` at the
 * topic's last offset — i.e. everything is committed and readable. Process start and the consumer group join are
 * inside the time, as they are for the raw consumer baseline. Peak RSS (VmHWM) of every process is sampled.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { deletePrefix } from '@delta-writer/e2e/src/harness/s3.js';
import { sleep } from '@delta-writer/e2e/src/harness/wait.js';
import { TableWatcher } from '@delta-writer/e2e/src/harness/watcher.js';
import type { Deployment } from './deployment.js';
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
  ms: number;
  eventsPerSecond: number;
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
    try {
      await deployment.startIngestors();
      done = await awaitCommitted(
        deployment,
        watcher,
        options.lastOffsets,
        started,
        options.timeoutMs,
        progress,
      );
    } finally {
      clearInterval(rss);
      deployment.sampleRss();
    }
    const after = await deployment.committerCounters();
    const ms = done - started;
    const firstSeen = Math.min(...[...watcher.history.values()].flatMap((h) => h.map(([, at]) => at)));
    finished = true;
    return {
      ingestors: options.ingestors,
      ms,
      eventsPerSecond: rate(options.events, ms),
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

/** Polls the table's log until every partition's txn is at its last offset; returns when that was seen. */
export async function awaitCommitted(
  deployment: Deployment,
  watcher: TableWatcher,
  lastOffsets: Map<number, bigint>,
  started: number,
  timeoutMs: number,
  progress: Progress,
): Promise<number> {
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
    progress.update(
      `${Math.round((100 * committed) / totalRecords)} % committed (${committed}/${totalRecords} records), Delta version ${watcher.version}`,
    );
    await sleep(200);
  }
}
