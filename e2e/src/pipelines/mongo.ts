/**
 * Pipeline 2: MongoDB-shaped Debezium events (the generator) → Kafka → ingestors (two default ones, one per other
 * setting below) → committer (leader + standby) → Delta tables. Four collections, one per capture mode, in both JSON dialect families with and without schemas:
 * the snapshot, then a stream of inserts, partial updates, replaces and deletes with documents that grow fields over
 * time. Returns every problem found: each changelog table must hold every event exactly once, read the same by
 * delta-rs and Spark, and replay into exactly what the generator's model of the collection holds; each mirror table
 * (DELTA_WRITE_MODE=both) must hold exactly the model's documents.
 */
import { budget } from '../budget.js';
import type { Readers } from '../checks/readers.js';
import { problemsOf, summarize, verifyMongoTables } from '../checks/verify.js';
import type { CaptureMode } from '../generator/changes.js';
import { randomSeed } from '../generator/random.js';
import { standardCollections, Workload } from '../generator/workload.js';
import { KafkaHelper } from '../harness/kafka.js';
import { MongoSource } from '../harness/mongo-source.js';
import { type IngestorGroup, Pipeline, runName } from '../harness/pipeline.js';
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
  const workload = new Workload({
    prefix: run,
    collections: standardCollections(3),
    seed,
    plannedEvents: budget.pipelineEvents,
  });
  const pipeline = Pipeline.create(run, endpoints, {
    writeMode: 'both',
    ingestorGroups: ingestorGroups(workload),
  });
  const kafka = new KafkaHelper(endpoints.kafkaBrokers);
  const s3 = s3Client(endpoints);
  const source = new MongoSource(kafka, workload, pipeline);
  process.stderr.write(`e2e ${run}: seed ${seed}, logs in ${pipeline.logs}\n`);
  let problems = ['did not finish'];
  try {
    await kafka.connect();
    await source.createTopics();
    await source.produce(workload.snapshot(budget.snapshotDocs));
    await pipeline.start({ committers: 2, ingestors: 2 });
    const watchers = new Map(
      source.tablePaths().map((path) => [path, new TableWatcher(s3, endpoints.s3.bucket, path)]),
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
    for (const v of verdicts) {
      if (v.version < 1) problems.push(`${v.table} is at version ${v.version}`);
      if (v.mirror && v.mirror.version < 1)
        problems.push(`${v.mirror.table} is at version ${v.mirror.version}`);
      // deletes leave tombstone rows deleted by vectors (kept through compaction): none means no delete was mirrored
      if (v.mirror && v.mirror.filesWithVectors === 0)
        problems.push(`${v.mirror.table}: no live file has a deletion vector`);
    }
    const mirrors = verdicts.flatMap((v) => (v.mirror ? [v.mirror] : []));
    process.stderr.write(
      `e2e ${run}: mirror tables ${mirrors.map((m) => `${m.table.split('/').slice(-2).join('.')} v${m.version} ${m.rows} rows, ${m.filesWithVectors} files with vectors`).join('; ')}\n`,
    );
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

/**
 * The ingestors beside the default ones (DELTA_WRITE_MODE=both, partial updates skipped: right for the
 * `*_update_full*` collections, whose updates carry the looked-up document — one without it found the document
 * deleted, and the delete follows). An ingestor's settings hold for all its tables, so the other capture modes get
 * ingestors of their own, as an operator would deploy them (docs/mirror-tables.md §6):
 * - `change_streams_with_pre_image`: updates carry only their description, applied onto the pre-image
 *   (DELTA_MIRROR_PARTIAL_UPDATES=apply): exact, so mirrored;
 * - `change_streams`: updates carry only their description. A mirror would need the stored row as the base of most
 *   of them, which is not built (docs/mirror-tables.md §11, "apply without the document"): the ingestor refuses such
 *   a batch for good (MIRROR_UNSAFE, naming capture.mode) and stalls the table — the documented behaviour, tested
 *   in apps/ingestor (test/build/mirror-build.test.ts). A deployment that wants this collection in Delta today
 *   writes its changelog only, so that is what this one does: append-only, checked as a changelog.
 */
function ingestorGroups(workload: Workload): IngestorGroup[] {
  const topics = (capture: CaptureMode) =>
    workload.options.collections
      .filter((c) => c.dialect.capture === capture)
      .map((c) => `${workload.options.prefix}.${c.db}.${c.collection}`);
  const groups: IngestorGroup[] = [
    {
      name: 'pre-images',
      topics: topics('change_streams_with_pre_image'),
      writeMode: 'both',
      replicas: 1,
      env: { DELTA_MIRROR_PARTIAL_UPDATES: 'apply' },
    },
    { name: 'changelog-only', topics: topics('change_streams'), writeMode: 'append', replicas: 1 },
  ];
  return groups.filter((g) => g.topics.length > 0);
}
