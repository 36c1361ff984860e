/**
 * Pipeline 2: MongoDB-shaped Debezium events (the generator) → Kafka → 2 ingestors → committer (leader + standby)
 * → Delta tables. Four collections, one per capture mode, in both JSON dialect families with and without schemas:
 * the snapshot, then a stream of inserts, partial updates, replaces and deletes with documents that grow fields over
 * time. Returns every problem found: each table must hold every event exactly once, read the same by delta-rs and
 * Spark, and replay into exactly what the generator's model of the collection holds.
 */
import { budget } from '../budget.js';
import type { Readers } from '../checks/readers.js';
import { problemsOf, summarize, verifyMongoTables } from '../checks/verify.js';
import { randomSeed } from '../generator/random.js';
import { standardCollections, Workload } from '../generator/workload.js';
import { KafkaHelper } from '../harness/kafka.js';
import { MongoSource } from '../harness/mongo-source.js';
import { Pipeline, runName } from '../harness/pipeline.js';
import { deletePrefix, s3Client } from '../harness/s3.js';
import type { Endpoints } from '../harness/services.js';
import { TableWatcher, waitForOffsets } from '../harness/watcher.js';
import { recordRun } from '../results/record.js';

export async function mongoPipeline(
  endpoints: Endpoints,
  readers: Readers,
  session: string,
): Promise<string[]> {
  const run = runName('mongo');
  const seed = randomSeed();
  const pipeline = Pipeline.create(run, endpoints);
  const kafka = new KafkaHelper(endpoints.kafkaBrokers);
  const s3 = s3Client(endpoints);
  const workload = new Workload({
    prefix: run,
    collections: standardCollections(3),
    seed,
    plannedEvents: budget.pipelineEvents,
  });
  const source = new MongoSource(kafka, workload, pipeline);
  process.stderr.write(`e2e ${run}: seed ${seed}, logs in ${pipeline.logs}\n`);
  let problems = ['did not finish'];
  try {
    await kafka.connect();
    await source.createTopics();
    await source.produce(workload.snapshot(budget.snapshotDocs));
    await pipeline.start({ committers: 2, ingestors: 2 });
    const watchers = new Map(
      workload.topics.map((t) => [
        source.tablePath(t),
        new TableWatcher(s3, endpoints.s3.bucket, source.tablePath(t)),
      ]),
    );
    const wait = { timeoutMs: 300_000, diagnose: () => pipeline.diagnose() };
    // The stream must land on tables that already hold the snapshot (as after a live connector's snapshot phase):
    // otherwise one group commit can take snapshot and stream together, and the later commits — schema evolution
    // over an existing table, txn versions advancing — would go untested.
    await waitForOffsets(watchers, source.targets(), wait);
    // the stream arrives while the pipeline runs, in rounds, as a live connector delivers it
    const rounds = 8;
    for (let i = 0; i < rounds; i++) await source.produce(workload.step(budget.pipelineEvents / rounds));
    await waitForOffsets(watchers, source.targets(), wait);
    const verdicts = await verifyMongoTables(source, readers, s3);
    const totals = summarize(verdicts);
    problems = problemsOf(verdicts);
    if (totals.events !== source.ledger.count().events)
      problems.push(`checked ${totals.events} events of ${source.ledger.count().events}`);
    // every table was committed more than once (the snapshot alone would be version 0)
    for (const v of verdicts) if (v.version < 1) problems.push(`${v.table} is at version ${v.version}`);
    recordRun(session, {
      scenario: 'pipeline: MongoDB-shaped events',
      ...totals,
      failed: problems.length > 0,
    });
    return problems;
  } finally {
    await pipeline.stop();
    await kafka.close({ deleteTopics: problems.length === 0 });
    if (problems.length === 0) await deletePrefix(s3, endpoints.s3.bucket, `${pipeline.config.basePath}/`);
  }
}
