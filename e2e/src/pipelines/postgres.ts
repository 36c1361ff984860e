/**
 * Pipeline 1: PostgreSQL → Debezium PostgreSQL connector (the stack's Kafka Connect) → Kafka → 2 ingestors →
 * committer (leader + standby) → S3. Inserts, updates and deletes in transactions, an ADD COLUMN while streaming,
 * and the types users care about (numeric with and without scale, timestamptz, jsonb, uuid, text[] and int[]). The
 * ingestors write both tables (DELTA_WRITE_MODE=both): the changelog table must hold every change exactly once, in
 * source order, equal to what PostgreSQL did, and replay into SELECT * FROM the source table; the mirror table must
 * equal SELECT * FROM the source table — both read by delta-rs and Spark. Returns every problem found.
 */
import { randomUUID } from 'node:crypto';
import { budget } from '../budget.js';
import { checkDeltaLog } from '../checks/delta-log.js';
import { readMirror } from '../checks/mirror.js';
import type { Readers } from '../checks/readers.js';
import { checkRelationalChangelog, compareWithSource } from '../checks/relational.js';
import { Random, randomSeed } from '../generator/random.js';
import { KafkaHelper } from '../harness/kafka.js';
import { Pipeline, runName } from '../harness/pipeline.js';
import { type PgChange, PostgresSource } from '../harness/postgres.js';
import { deletePrefix, endpointsOf, s3Client } from '../harness/s3.js';
import { eventually } from '../harness/wait.js';
import { TableWatcher, txnAppId, waitForOffsets } from '../harness/watcher.js';
import { recordRun } from '../results/record.js';
import type { StackEnv } from '../stack.js';

const PARTITIONS = 3;

/** Column values of a random row; `note` exists only after the ADD COLUMN. */
function values(random: Random, withNote: boolean): Record<string, unknown> {
  const at = new Date(Date.UTC(2025, 0, 1) + random.int(0, 3e10)).toISOString();
  const v: Record<string, unknown> = {
    name: random.pick(['Ada', 'Grace', 'Linus', 'Zoë', 'Ана', '山田']),
    amount: random.chance(0.1)
      ? null
      : `${random.int(-99999, 999999)}.${String(random.int(0, 99)).padStart(2, '0')}`,
    ratio: random.pick([null, '0.5', '1.50', '3.14159', '-2', '1e-3', '123456789012345678901234567890.123']),
    // microseconds, in a zone other than UTC
    at: random.chance(0.1) ? null : at.replace('Z', `${String(random.int(0, 999)).padStart(3, '0')}+05:30`),
    doc: random.chance(0.2)
      ? null
      : JSON.stringify({
          n: random.int(0, 9),
          tags: ['a', random.int(0, 3)],
          nested: { ok: random.chance(0.5) },
        }),
    ref: random.chance(0.2) ? null : randomUUID(),
    tags: random.pick([null, [], ['x'], ['a', 'b', null], ['ünï', 'code']]),
    scores: random.pick([null, [], [1], [3, 1, 2], [2147483647, -1]]),
  };
  if (withNote && random.chance(0.7)) v.note = `note ${random.int(0, 99)}`;
  return v;
}

/** The changes, made in transactions of 1–5 statements; ADD COLUMN half-way. */
async function workload(
  source: PostgresSource,
  random: Random,
  live: number[],
  firstId: number,
): Promise<PgChange[]> {
  const changes: PgChange[] = [];
  const total = budget.pipelineEvents / 5;
  let nextId = firstId;
  let withNote = false;
  while (changes.length < total) {
    if (!withNote && changes.length >= total / 2) {
      await source.addNoteColumn();
      withNote = true;
    }
    await source.db.query('begin');
    for (let n = random.int(1, 5); n > 0; n--) {
      const roll = random.next();
      if (live.length < 5 || roll < 0.4) {
        changes.push(await source.insert(nextId, values(random, withNote)));
        live.push(nextId++);
      } else if (roll < 0.85) {
        changes.push(await source.update(random.pick(live), values(random, withNote)));
      } else {
        changes.push(await source.delete(live.splice(random.int(0, live.length - 1), 1)[0] as number));
      }
    }
    await source.db.query('commit');
  }
  return changes;
}

export async function postgresPipeline(env: StackEnv, readers: Readers, session: string): Promise<string[]> {
  const endpoints = endpointsOf(env);
  const run = runName('pg');
  const seed = randomSeed();
  const random = new Random(seed);
  // PostgreSQL updates always carry the whole row (REPLICA IDENTITY FULL, no TOAST-sized values): the default
  // partial-update setting (skip) never applies; TOAST patches would be applied regardless
  const pipeline = Pipeline.create(run, endpoints, { writeMode: 'both' });
  const kafka = new KafkaHelper(endpoints.kafkaBrokers);
  const s3 = s3Client(endpoints);
  const source = new PostgresSource(env, run);
  process.stderr.write(`e2e ${run}: seed ${seed}, logs in ${pipeline.logs}\n`);
  const problems: string[] = [];
  try {
    await kafka.connect();
    await source.createTable();
    // the topic exists before the ingestors start (they look for new topics every 30 s only), with partitions
    await kafka.createTopic(source.topic, PARTITIONS);
    await kafka.createTopic(pipeline.config.dlqTopic, 1);
    await pipeline.start({ committers: 2, ingestors: 2 });

    const live: number[] = [];
    for (let id = 1; id <= 20; id++) {
      await source.insert(id, values(random, false));
      live.push(id);
    }
    const snapshot = await source.select(); // what the connector's initial snapshot reads
    await source.startConnector();
    const changes = await workload(source, random, live, 21);
    const final = await source.select();

    // Debezium is done when the topic holds the snapshot, the changes and a tombstone per delete
    const records = snapshot.size + changes.length + changes.filter((c) => c.op === 'd').length;
    await eventually('Debezium to write every change', async () => {
      const ends = await kafka.endOffsets(source.topic);
      return [...ends.values()].reduce((a, b) => a + b, 0n) >= BigInt(records) ? true : undefined;
    });
    const inKafka = await kafka.readAll(source.topic);
    const tables = pipeline.tablesOf(source.topic, `${pipeline.config.basePath}/public/${source.table}`);
    const path = tables.changelog;
    const mirrorPath = tables.mirror as string;
    const last = new Map<string, bigint>();
    for (const r of inKafka) {
      const appId = txnAppId(pipeline.consumerGroupOf(source.topic), source.topic, r.partition);
      if ((last.get(appId) ?? -1n) < r.offset) last.set(appId, r.offset);
    }
    // drained or not, the figures are recorded (a table that never got a commit lost everything)
    const drained = await waitForOffsets(
      new Map([path, mirrorPath].map((p) => [p, new TableWatcher(s3, endpoints.s3.bucket, p)])),
      new Map([path, mirrorPath].map((p) => [p, last])),
      {
        diagnose: () => pipeline.diagnose(),
      },
    ).then(
      () => undefined,
      (err: Error) => err.message,
    );
    if (drained) problems.push(drained);
    const log = await checkDeltaLog({ s3, bucket: endpoints.s3.bucket, path });
    problems.push(...log.problems.map((p) => `log: ${p}`));
    for (const [appId, offset] of last) {
      if (log.txns.get(appId) !== offset)
        problems.push(`txn ${appId} is ${log.txns.get(appId) ?? 'missing'}, the last offset is ${offset}`);
    }
    const read = log.version >= 0 ? await readers.read(`s3://${endpoints.s3.bucket}/${path}`) : undefined;
    if (read?.disagreement) problems.push(`readers disagree: ${read.disagreement}`);
    const result = checkRelationalChangelog(source.topic, read?.rows ?? [], inKafka, {
      snapshot,
      changes,
      final,
    });
    problems.push(...result.problems);
    if (log.version >= 0 && !log.fields.some((f) => f.name === 'note'))
      problems.push('ADD COLUMN: no `note` column');

    const mirror = await readMirror(
      { s3, bucket: endpoints.s3.bucket, path: mirrorPath },
      readers,
      last,
      (row) => String(row.id),
    );
    problems.push(...mirror.problems.map((p) => `mirror: ${p}`));
    const differs = compareWithSource('mirror', mirror.rows, final);
    if (differs) problems.push(differs);
    if (mirror.version >= 0 && !mirror.fields.some((f) => f.name === 'note'))
      problems.push('mirror: ADD COLUMN: no `note` column');
    // deletes leave tombstone rows deleted by vectors (kept through compaction): none means no delete was mirrored
    if (mirror.filesWithVectors === 0) problems.push('mirror: no live file has a deletion vector');
    process.stderr.write(
      `e2e ${run}: mirror table v${mirror.version}, ${mirror.rows.size} rows (SELECT * FROM: ${final.size}), ${mirror.filesWithVectors} files with vectors\n`,
    );
    recordRun(session, {
      scenario: 'pipeline: PostgreSQL → Debezium',
      events: result.events,
      lost: result.lost,
      duplicated: result.duplicated,
      failed: problems.length > 0,
      note: drained?.split('\n').slice(-1)[0]?.trim(),
    });
    return problems;
  } finally {
    await pipeline.stop();
    await source.close();
    await kafka.close({ deleteTopics: problems.length === 0 });
    if (problems.length === 0) await deletePrefix(s3, endpoints.s3.bucket, `${pipeline.config.basePath}/`);
  }
}
