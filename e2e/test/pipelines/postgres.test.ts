/**
 * Pipeline 1: PostgreSQL → Debezium PostgreSQL connector (the stack's Kafka Connect) → Kafka → 2 ingestors →
 * committer (leader + standby) → S3. Inserts, updates and deletes in transactions, an ADD COLUMN while streaming,
 * and the types users care about (numeric with and without scale, timestamptz, jsonb, uuid, text[] and int[]). The
 * changelog table must hold every change exactly once, in source order, equal to what PostgreSQL did, and replay
 * into SELECT * FROM the source table — read by delta-rs and Spark.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { budget } from '../../src/budget.js';
import { checkDeltaLog } from '../../src/checks/delta-log.js';
import { Readers } from '../../src/checks/readers.js';
import { checkRelationalChangelog } from '../../src/checks/relational.js';
import { Random, randomSeed } from '../../src/generator/random.js';
import { KafkaHelper } from '../../src/harness/kafka.js';
import { Pipeline, runName } from '../../src/harness/pipeline.js';
import { type PgChange, PostgresSource } from '../../src/harness/postgres.js';
import { deletePrefix, endpointsOf, s3Client } from '../../src/harness/s3.js';
import { eventually } from '../../src/harness/wait.js';
import { TableWatcher, txnAppId, waitForOffsets } from '../../src/harness/watcher.js';
import { recordRun } from '../../src/results/record.js';
import { stackEnv } from '../../src/stack.js';

const env = stackEnv();
const endpoints = endpointsOf(env);
const run = runName('pg');
const seed = randomSeed();
const random = new Random(seed);
const pipeline = Pipeline.create(run, endpoints);
const kafka = new KafkaHelper(endpoints.kafkaBrokers);
const readers = new Readers(endpoints);
const s3 = s3Client(endpoints);
const source = new PostgresSource(env, run);
const PARTITIONS = 3;
let passed = false;

/** Column values of a random row; `note` exists only after the ADD COLUMN. */
function values(withNote: boolean): Record<string, unknown> {
  const v: Record<string, unknown> = {
    name: random.pick(['Ada', 'Grace', 'Linus', 'Zoë', 'Ана', '山田']),
    amount: random.chance(0.1)
      ? null
      : `${random.int(-99999, 999999)}.${String(random.int(0, 99)).padStart(2, '0')}`,
    ratio: random.pick([null, '0.5', '1.50', '3.14159', '-2', '1e-3', '123456789012345678901234567890.123']),
    at: random.chance(0.1)
      ? null
      : new Date(Date.UTC(2025, 0, 1) + random.int(0, 3e10))
          .toISOString()
          .replace('Z', `${String(random.int(0, 999)).padStart(3, '0')}Z`),
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

beforeAll(async () => {
  process.stderr.write(`e2e ${run}: seed ${seed}, logs in ${pipeline.logs}\n`);
  readers.startSpark();
  await kafka.connect();
  await source.createTable();
  // the topic exists before the ingestors start (they look for new topics only every 30 s), with partitions
  await kafka.createTopic(source.topic, PARTITIONS);
  await kafka.createTopic(pipeline.config.dlqTopic, 1);
  await pipeline.start({ committers: 2, ingestors: 2 });
});

afterAll(async () => {
  await pipeline.stop();
  await source.close();
  await Promise.all([kafka.close({ deleteTopics: passed }), readers.close()]);
  if (passed) await deletePrefix(s3, endpoints.s3.bucket, `${pipeline.config.basePath}/`);
});

describe('PostgreSQL through Debezium and the whole pipeline', () => {
  it('lands every change exactly once and replays into SELECT * FROM the source table', async () => {
    let nextId = 1;
    const live: number[] = [];
    for (let i = 0; i < 20; i++) {
      await source.insert(nextId, values(false));
      live.push(nextId++);
    }
    const snapshot = await source.select();
    await source.startConnector();

    const changes: PgChange[] = [];
    const total = budget.pipelineEvents / 5;
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
          changes.push(await source.insert(nextId, values(withNote)));
          live.push(nextId++);
        } else if (roll < 0.85) {
          changes.push(await source.update(random.pick(live), values(withNote)));
        } else {
          const id = live.splice(random.int(0, live.length - 1), 1)[0] as number;
          changes.push(await source.delete(id));
        }
      }
      await source.db.query('commit');
    }
    const final = await source.select();

    // Debezium has written everything when the topic holds the snapshot, the changes and a tombstone per delete
    const records = changes.length + snapshot.size + changes.filter((c) => c.op === 'd').length;
    await eventually('Debezium to write every change', async () => {
      const ends = await kafka.endOffsets(source.topic);
      return [...ends.values()].reduce((a, b) => a + b, 0n) >= BigInt(records) ? true : undefined;
    });
    const inKafka = await kafka.readAll(source.topic);
    const path = `${pipeline.config.basePath}/public/${source.table}`;
    const last = new Map<string, bigint>();
    for (const r of inKafka) {
      const appId = txnAppId(pipeline.config.group, source.topic, r.partition);
      if ((last.get(appId) ?? -1n) < r.offset) last.set(appId, r.offset);
    }
    // drained, or not: the figures are recorded either way (a table that never got a commit lost everything)
    const drained = await waitForOffsets(
      new Map([[path, new TableWatcher(s3, endpoints.s3.bucket, path)]]),
      new Map([[path, last]]),
      { diagnose: () => pipeline.diagnose() },
    ).then(
      () => undefined,
      (err: Error) => err,
    );
    const log = await checkDeltaLog({ s3, bucket: endpoints.s3.bucket, path });
    const read = log.version >= 0 ? await readers.read(`s3://${endpoints.s3.bucket}/${path}`) : undefined;
    const result = checkRelationalChangelog(source.topic, read?.rows ?? [], inKafka, {
      snapshot,
      changes,
      final,
    });
    recordRun(inject('e2eSession'), {
      scenario: 'pipeline: PostgreSQL → Debezium',
      events: result.events,
      lost: result.lost,
      duplicated: result.duplicated,
      failed: drained !== undefined || result.problems.length > 0,
      note: drained?.message.split('\n').slice(-1)[0]?.trim(),
    });
    if (drained) throw drained;
    expect(log.problems).toEqual([]);
    expect([...last].filter(([appId, offset]) => log.txns.get(appId) !== offset)).toEqual([]);
    expect(read?.disagreement).toBeUndefined();
    expect(result.problems).toEqual([]);
    // ADD COLUMN reached the table's schema
    expect(log.fields.map((f) => f.name)).toContain('note');
    passed = true;
  });

  // The mirror table must equal SELECT * FROM the source table. Not yet: mirror tables (DELTA_WRITE_MODE=upsert)
  // are issue 7, still in design (docs/mirror-tables.md); the ingestor refuses the mode until then. The changelog
  // replay above already compares with SELECT *, the same check the mirror table will get.
  it.todo('mirror table equals SELECT * FROM the source table (waits for upsert, issue 7)');
});
