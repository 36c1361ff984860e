/**
 * Pipeline 2: MongoDB-shaped Debezium events (the generator) → Kafka → 2 ingestors → committer (leader + standby)
 * → Delta tables on the stack's S3 server. Four collections, one per capture mode, in both JSON dialect families
 * with and without schemas: the snapshot, then a stream of inserts, partial updates, replaces and deletes with
 * documents that grow fields over time. Each table must hold every event exactly once, read the same by delta-rs and
 * Spark, and replay into exactly what the generator's model of the collection holds.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { budget } from '../../src/budget.js';
import { Readers } from '../../src/checks/readers.js';
import { problemsOf, summarize, verifyMongoTables } from '../../src/checks/verify.js';
import { randomSeed } from '../../src/generator/random.js';
import { standardCollections, Workload } from '../../src/generator/workload.js';
import { KafkaHelper } from '../../src/harness/kafka.js';
import { MongoSource } from '../../src/harness/mongo-source.js';
import { Pipeline, runName } from '../../src/harness/pipeline.js';
import { deletePrefix, endpointsOf, s3Client } from '../../src/harness/s3.js';
import { TableWatcher, waitForOffsets } from '../../src/harness/watcher.js';
import { recordRun } from '../../src/results/record.js';
import { stackEnv } from '../../src/stack.js';

const endpoints = endpointsOf(stackEnv());
const run = runName('mongo');
const seed = randomSeed();
const pipeline = Pipeline.create(run, endpoints);
const kafka = new KafkaHelper(endpoints.kafkaBrokers);
const readers = new Readers(endpoints);
const s3 = s3Client(endpoints);
const workload = new Workload({
  prefix: run,
  collections: standardCollections(3),
  seed,
  plannedEvents: budget.pipelineEvents,
});
const source = new MongoSource(kafka, workload, pipeline);
let passed = false;

beforeAll(async () => {
  process.stderr.write(`e2e ${run}: seed ${seed}, logs in ${pipeline.logs}\n`);
  readers.startSpark();
  await kafka.connect();
  await source.createTopics();
  await source.produce(workload.snapshot(budget.snapshotDocs));
  await pipeline.start({ committers: 2, ingestors: 2 });
});

afterAll(async () => {
  await pipeline.stop();
  await Promise.all([kafka.close({ deleteTopics: passed }), readers.close()]);
  if (passed) await deletePrefix(s3, endpoints.s3.bucket, `${pipeline.config.basePath}/`);
});

describe('MongoDB-shaped events through the whole pipeline', () => {
  it('lands every change exactly once, and the changelog replays into each collection', async () => {
    // the stream arrives while the pipeline runs, in rounds, as a live connector would deliver it
    const rounds = 8;
    for (let i = 0; i < rounds; i++) await source.produce(workload.step(budget.pipelineEvents / rounds));
    const watchers = new Map(
      workload.topics.map((t) => [
        source.tablePath(t),
        new TableWatcher(s3, endpoints.s3.bucket, source.tablePath(t)),
      ]),
    );
    await waitForOffsets(watchers, source.targets(), {
      timeoutMs: 300_000,
      diagnose: () => pipeline.diagnose(),
    });

    const verdicts = await verifyMongoTables(source, readers, s3);
    const totals = summarize(verdicts);
    const problems = problemsOf(verdicts);
    recordRun(inject('e2eSession'), {
      scenario: 'pipeline: MongoDB-shaped events',
      ...totals,
      failed: problems.length > 0,
    });
    expect(problems).toEqual([]);
    expect(totals.events).toBe(source.ledger.count().events);
    // versions: the standby never wrote, every table was committed more than once
    for (const v of verdicts) expect(v.version).toBeGreaterThan(0);
    passed = true;
  });

  // The mirror tables (DELTA_WRITE_MODE=upsert) must equal the generator's model of each collection. Not yet:
  // upsert is issue 7 (docs/mirror-tables.md, in design) and the ingestor refuses the mode until it lands; the
  // comparison is already written (verify.ts compares the replayed changelog with the model the same way).
  it.todo('mirror tables equal the generator model of each collection (waits for upsert, issue 7)');
});
