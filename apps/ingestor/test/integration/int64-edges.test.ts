/**
 * The reported failure end to end (issue 17): MongoDB documents whose `bigCounter` sits at ±2^63, 2^53 + 1 and
 * 617283945061728395, an int32 `_id`, and a field that is an integer in some documents and a string in others go
 * through the real Kafka, this ingestor (mirror and changelog) and the real committer (Redis, S3) in four committed
 * batches; the updates and deletes of the later ones rewrite the deletion vectors of the first batch's file.
 *
 * Then, independently of the code under test: every `add` the log ever held has long bounds that are values the
 * documents really had (a bound written through a double — 9223372036854776000, 617283945061728400 — is not one),
 * delta-rs opens the mirror and reads it equal to the collection, and finds a row by one of those values with a
 * filter (files skipped by stats); the int32 key reads as `{"$numberInt":…}`; and the mixed field is a long column
 * plus its `__ejson` overflow column, whatever batch the string arrived in. Before the fix, the DV rewrites rounded
 * the bounds of the first file, and this test failed on the first check.
 */
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import {
  type BsonDocument,
  type BsonValue,
  encodeMongoEvent,
  encodeMongoKey,
  parseExtendedJson,
} from '@delta-writer/bson-arrow';
import type { Admin, Producer } from 'kafkajs';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { IngestorConfig } from '../../src/config/load.js';
import { createEncoderPool } from '../../src/encoder/pool.js';
import { createWorkerBuilder } from '../../src/encoder/worker-builder.js';
import { IngestorService } from '../../src/service.js';
import { readWithDeltaRs } from '../support/delta-rs.js';
import { type RealCommitter, startRealCommitter } from '../support/real-committer.js';
import { getObject, ingestorConfig, stackEnv, testKafka, testS3, uniqueName } from '../support/stack.js';

const env = stackEnv();
const prefix = uniqueName('edges');
const basePath = `it/${prefix}`;
const topic = `${prefix}.shop.counters`;
const group = `${prefix}-group`;
const tablePath = `${basePath}/shop/counters`;
const table = `s3://${env.DW_S3_BUCKET}/${tablePath}`;

const MIN = -(2n ** 63n);
const MAX = 2n ** 63n - 1n;
const NEAR = 617283945061728395n;

let admin: Admin;
let producer: Producer;
let committer: RealCommitter;
let service: IngestorService | undefined;

beforeAll(async () => {
  const kafka = testKafka(env);
  admin = kafka.admin();
  await admin.connect();
  producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  committer = await startRealCommitter(env, { basePath, leaseKey: `it:${prefix}` });
}, 120_000);

afterAll(async () => {
  await service?.stop().catch(() => undefined);
  await committer?.stop();
  await producer?.disconnect();
  await admin?.deleteTopics({ topics: [topic, `${prefix}-dlq`] }).catch(() => undefined);
  await admin?.disconnect();
}, 90_000);

let step = 0;
/** One Debezium MongoDB change event (legacy JSON, as Debezium 2.7 writes it), keyed by the int32 `_id`. */
function change(id: number, op: 'c' | 'u' | 'd', doc: BsonDocument | null) {
  const tsMs = 1_760_000_000_000 + step * 1000;
  step++;
  const full = doc ? new Map<string, BsonValue>([['_id', id], ...doc]) : null;
  return {
    key: encodeMongoKey(id),
    value: encodeMongoEvent({
      op,
      after: op === 'd' ? null : full,
      before: null,
      tsMs,
      source: { name: 'it', db: 'shop', collection: 'counters', tsMs, ord: 1 },
    }),
  };
}
const doc = (counter: bigint, v: BsonValue) =>
  new Map<string, BsonValue>([
    ['bigCounter', counter],
    ['v', v],
  ]);

async function produceCommitted(messages: { key: string; value: string | null }[]): Promise<void> {
  await producer.send({ topic, acks: -1, messages: messages.map((m) => ({ ...m, partition: 0 })) });
  const [end] = await admin.fetchTopicOffsets(topic);
  await vi.waitFor(
    async () => {
      const [t] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
      expect(t?.partitions[0]?.offset).toBe(end?.high);
    },
    { timeout: 60_000, interval: 200 },
  );
}

/** Every `add` action in the table's log, across all commits. */
async function allAdds(): Promise<{ stats?: string; deletionVector?: unknown }[]> {
  const s3 = testS3(env);
  const listed = await s3.send(
    new ListObjectsV2Command({ Bucket: env.DW_S3_BUCKET, Prefix: `${tablePath}/_delta_log/` }),
  );
  const adds = [];
  for (const o of listed.Contents ?? []) {
    if (!o.Key?.endsWith('.json')) continue;
    const text = Buffer.from(await getObject(s3, env.DW_S3_BUCKET, o.Key)).toString('utf8');
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      const action = JSON.parse(line) as { add?: { stats?: string; deletionVector?: unknown } };
      if (action.add) adds.push(action.add);
    }
  }
  return adds;
}

describe('int64 statistics and schemas through the whole pipeline', { timeout: 240_000 }, () => {
  it('the mirror opens in delta-rs, its stats are exact after DV rewrites, and a filter finds every row', async () => {
    const base = ingestorConfig(env, {
      group,
      pattern: new RegExp(`^${topic.replace(/[.]/g, '\\.')}$`),
      basePath,
      committer: committer.address,
      token: committer.token,
      dlqTopic: `${prefix}-dlq`,
    });
    const config: IngestorConfig = {
      ...base,
      delta: { ...base.delta, writeMode: 'both' },
      flush: { maxBytes: 1 << 20, maxRows: 1000, maxAgeMs: 300 },
    };
    service = new IngestorService({
      config,
      logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
      builder: createWorkerBuilder({ pool: createEncoderPool({ threads: 1 }), maxRecordBytes: 1 << 20 }),
      topicRefreshMs: 2000,
      tickMs: 100,
    });
    await service.start();

    const written = new Set<bigint>();
    const model = new Map<number, { bigCounter: bigint; v: BsonValue }>();
    const batch = async (events: [number, 'c' | 'u' | 'd', bigint, BsonValue][]) => {
      const messages = [];
      for (const [id, op, counter, v] of events) {
        messages.push(change(id, op, op === 'd' ? null : doc(counter, v)));
        if (op === 'd') {
          model.delete(id);
          messages.push({ key: encodeMongoKey(id), value: null }); // the tombstone
        } else {
          written.add(counter);
          model.set(id, { bigCounter: counter, v });
        }
      }
      await produceCommitted(messages);
    };
    // 1: the first file, its bounds at the edges; `v` an integer everywhere
    await batch([
      [1, 'c', MIN, 1],
      [2, 'c', 2n ** 53n + 1n, 2],
      [3, 'c', MAX, 3],
      [4, 'c', NEAR, 4],
      [5, 'c', NEAR + 1n, 5],
      [6, 'c', 5n, 6],
      [77, 'c', -(2n ** 53n) - 1n, 7],
    ]);
    // 2–4: updates and deletes: vectors on the first file, rewritten each time; `v` a string now and then
    await batch([
      [2, 'u', 2n ** 53n + 3n, 'two'],
      [6, 'u', 7n, 8],
    ]);
    await batch([
      [5, 'd', 0n, null],
      [3, 'u', MAX - 1n, 9],
    ]);
    await batch([[1, 'u', MIN + 1n, 'one']]);

    // Every bound any add ever had is a value the documents had (files' true bounds are always values).
    const adds = await allAdds();
    expect(adds.some((a) => a.deletionVector !== undefined)).toBe(true);
    let bounds = 0;
    for (const add of adds) {
      if (!add.stats) continue;
      const stats = parseExtendedJson(add.stats, { extended: false }) as BsonDocument;
      for (const which of ['minValues', 'maxValues']) {
        const v = (stats.get(which) as BsonDocument | undefined)?.get('bigCounter');
        if (v === undefined || v === null) continue;
        bounds++;
        expect(
          written.has(BigInt(v as bigint | number)),
          `${which}.bigCounter ${String(v)} in ${add.stats}`,
        ).toBe(true);
      }
    }
    expect(bounds).toBeGreaterThan(4);

    // delta-rs opens the mirror and reads the collection
    const mirror = await readWithDeltaRs(table, env);
    const rows = new Map(mirror.rows.map((r) => [r._cdc_key as string, r]));
    expect(rows.size).toBe(model.size);
    for (const [id, m] of model) {
      const row = rows.get(`{"$numberInt":"${id}"}`); // the int32 key keeps its type
      expect(row?.bigCounter, `_id ${id}`).toBe(String(m.bigCounter));
      if (typeof m.v === 'string') expect([row?.v, row?.v__ejson]).toEqual([null, JSON.stringify(m.v)]);
      else expect([row?.v, row?.v__ejson]).toEqual([String(m.v), null]);
    }
    // one rule whatever the batches: `v` stayed a long column, the strings went to its overflow column
    const fields = new Map(mirror.schema.fields.map((f) => [f.name, f.type]));
    expect([fields.get('v'), fields.get('v__ejson')]).toEqual(['long', 'string']);

    // a filter on the edge values finds the rows (files are skipped by their stats)
    for (const value of [MIN + 1n, 2n ** 53n + 3n, NEAR, MAX - 1n]) {
      const found = await readWithDeltaRs(table, env, { where: `"bigCounter" = ${value}` });
      expect(
        found.rows.map((r) => r.bigCounter),
        `bigCounter = ${value}`,
      ).toEqual([String(value)]);
    }
  });
});
