/**
 * Upsert throughput end to end (ingestor `DELTA_WRITE_MODE=upsert` → committer mirror commits): a mirror table
 * is first loaded with `rows` documents (the connector's snapshot, `r` events) through the pipeline; the ingestors
 * stop, the change stream (inserts, full-document updates, replaces, deletes over those documents) is pre-loaded
 * in Kafka, and the clock runs from spawning the ingestors again until the table's txn is at the last offset — as
 * in the append runs. The committer keeps running between the phases, as in production (its key index stays warm).
 * Loading a table through the pipeline runs at the pipeline's rate, so the default size is small (10k rows); the
 * 1M-row figure comes from the committer's own bench (reused.ts).
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { Workload } from '@delta-writer/e2e/src/generator/workload.js';
import type { KafkaHelper, OutRecord } from '@delta-writer/e2e/src/harness/kafka.js';
import { deletePrefix } from '@delta-writer/e2e/src/harness/s3.js';
import { TableWatcher } from '@delta-writer/e2e/src/harness/watcher.js';
import { awaitCommitted } from './append.js';
import type { Deployment } from './deployment.js';
import { COLLECTION, DB, ordersPlan, topicOf } from './events.js';
import type { Progress } from './progress.js';
import { rate } from './stats.js';

export interface UpsertOptions {
  prefix: string;
  rows: number;
  /** Change events of the measured phase. */
  events: number;
  partitions: number;
  timeoutMs: number;
  s3: S3Client;
  keepTables: boolean;
}

export interface UpsertResult {
  rows: number;
  events: number;
  ms: number;
  eventsPerSecond: number;
  loadMs: number;
}

const asOut = (list: Iterable<{ partition: number; key: string; value: string | null }>): OutRecord[] =>
  [...list].map((r) => ({
    partition: r.partition,
    key: Buffer.from(r.key),
    value: r.value === null ? null : Buffer.from(r.value),
  }));

async function lastOffsets(kafka: KafkaHelper, topic: string): Promise<Map<number, bigint>> {
  return new Map(
    [...(await kafka.endOffsets(topic))].filter(([, end]) => end > 0n).map(([p, end]) => [p, end - 1n]),
  );
}

export async function runUpsert(
  deployment: Deployment,
  kafka: KafkaHelper,
  options: UpsertOptions,
  progress: Progress,
): Promise<UpsertResult> {
  const topic = topicOf(options.prefix);
  const workload = new Workload({
    prefix: 'bench',
    collections: [ordersPlan(options.partitions)],
    seed: 11,
    plannedEvents: options.rows + options.events,
  });
  progress.update(`generating ${options.rows} documents and ${options.events} changes`);
  const load = asOut([...workload.snapshot(options.rows).values()].flat());
  const changes: OutRecord[] = [];
  let events = 0;
  while (events < options.events) {
    const step = asOut([...workload.step(Math.min(2000, options.events - events)).values()].flat());
    events += step.filter((r) => r.value !== null).length;
    changes.push(...step);
  }
  const watcher = new TableWatcher(
    options.s3,
    deployment.endpoints.s3.bucket,
    deployment.tablePath(DB, COLLECTION),
  );
  let finished = false;
  try {
    await kafka.createTopic(topic, options.partitions);
    progress.update(`loading the ${options.rows}-row mirror table`);
    await kafka.produce(topic, load);
    await deployment.startCommitter();
    const loadStart = Date.now();
    await deployment.startIngestors();
    await awaitCommitted(
      deployment,
      watcher,
      await lastOffsets(kafka, topic),
      loadStart,
      options.timeoutMs,
      progress,
    );
    const loadMs = Date.now() - loadStart;
    await Promise.all(deployment.pipeline.running('ingestors').map((p) => p.stop()));

    progress.update(`pre-loading ${events} changes`);
    await kafka.produce(topic, changes);
    const started = Date.now();
    await deployment.startIngestors();
    const done = await awaitCommitted(
      deployment,
      watcher,
      await lastOffsets(kafka, topic),
      started,
      options.timeoutMs,
      progress,
    );
    finished = true;
    return {
      rows: options.rows,
      events,
      ms: done - started,
      eventsPerSecond: rate(events, done - started),
      loadMs,
    };
  } finally {
    progress.update('stopping');
    await deployment.stop().catch(() => undefined);
    await deployment.pipeline.kill();
    await kafka.admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    if (finished && !options.keepTables)
      await deletePrefix(
        options.s3,
        deployment.endpoints.s3.bucket,
        `${deployment.pipeline.config.basePath}/`,
      ).catch(() => undefined);
  }
}
