/**
 * Mirror tables end to end on the local stack: a randomized MongoDB change stream (inserts, updates, replacements,
 * deletes with tombstones, duplicates, connector replays, late events on another partition; test/support/mirror-
 * stream.ts) goes through the real Kafka into the ingestor (DELTA_WRITE_MODE=both, restarted; a spell of `upsert`
 * only in between, which the changelog then catches up on) and the real committer (a child process with Redis and
 * S3, compacting as it goes). delta-rs must then read a mirror table equal to the model of the collection, and a
 * changelog holding every change event exactly once.
 *
 * The seed is random per run and named in every failure; DW_MIRROR_SEED replays one.
 */
import type { Admin, Producer } from 'kafkajs';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { IngestorConfig } from '../../src/config/load.js';
import { createEncoderPool } from '../../src/encoder/pool.js';
import { createWorkerBuilder } from '../../src/encoder/worker-builder.js';
import { IngestorService } from '../../src/service.js';
import { readWithDeltaRs } from '../support/delta-rs.js';
import { type ModelRow, mirrorStream, type StreamRecord } from '../support/mirror-stream.js';
import { type RealCommitter, startRealCommitter } from '../support/real-committer.js';
import { ingestorConfig, stackEnv, testKafka, uniqueName } from '../support/stack.js';

const SEED = Number(process.env.DW_MIRROR_SEED ?? Math.floor(Math.random() * 2 ** 31));
const PARTITIONS = 3;
const why = `seed ${SEED} (DW_MIRROR_SEED=${SEED} replays it)`;

const env = stackEnv();
const prefix = uniqueName('mirror');
const basePath = `it/${prefix}`;
/** Each test its own collection: topic `<prefix>.shop.<collection>`, table `<base>/shop/<collection>`. */
const topicOf = (collection: string) => `${prefix}.shop.${collection}`;
const groupOf = (collection: string) => `${prefix}-${collection}-group`;
const tableOf = (collection: string) => `s3://${env.DW_S3_BUCKET}/${basePath}/shop/${collection}`;
const topics: string[] = [];

let admin: Admin;
let producer: Producer;
let committer: RealCommitter;
const services: IngestorService[] = [];

beforeAll(async () => {
  const kafka = testKafka(env);
  admin = kafka.admin();
  await admin.connect();
  producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  committer = await startRealCommitter(env, {
    basePath,
    leaseKey: `it:${prefix}`,
    // Compaction folds deletion vectors away while mirror commits go on.
    settings: { COMMITTER_COMPACTION_INTERVAL_MS: '2000', COMMITTER_COMPACTION_MIN_FILES: '2' },
  });
}, 120_000);

afterAll(async () => {
  // Each bounded (the ingestors' shutdown timeout, the committer's kill after 20 s): 90 s in all at most.
  await Promise.all(services.map((s) => s.stop().catch(() => undefined)));
  await committer?.stop();
  await producer?.disconnect();
  await admin?.deleteTopics({ topics }).catch(() => undefined);
  await admin?.disconnect();
}, 90_000);

async function createTopic(collection: string): Promise<void> {
  topics.push(topicOf(collection));
  await admin.createTopics({
    topics: [{ topic: topicOf(collection), numPartitions: PARTITIONS }],
    waitForLeaders: true,
  });
}

async function startService(
  collection: string,
  writeMode: 'both' | 'upsert',
  partialUpdates: 'skip' | 'apply' = 'skip',
): Promise<IngestorService> {
  const base = ingestorConfig(env, {
    group: groupOf(collection),
    pattern: new RegExp(`^${topicOf(collection).replace(/[.]/g, '\\.')}$`),
    basePath,
    committer: committer.address,
    token: committer.token,
    dlqTopic: `${prefix}-dlq`,
  });
  const config: IngestorConfig = {
    ...base,
    delta: { ...base.delta, writeMode, partialUpdates },
    flush: { maxBytes: 1 << 20, maxRows: 150, maxAgeMs: 300 },
  };
  const service = new IngestorService({
    config,
    logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    builder: createWorkerBuilder({ pool: createEncoderPool({ threads: 1 }), maxRecordBytes: 1 << 20 }),
    topicRefreshMs: 2000,
    tickMs: 100,
  });
  await service.start();
  services.push(service);
  return service;
}

async function produce(collection: string, records: readonly StreamRecord[]) {
  for (let i = 0; i < records.length; i += 500) {
    const messages = records
      .slice(i, i + 500)
      .map((r) => ({ partition: r.partition, key: r.key, value: r.value }));
    await producer.send({ topic: topicOf(collection), acks: -1, messages });
  }
}

/** Kafka offsets the group committed (the ingestor commits them after both tables acknowledged). */
async function committedOffsets(collection: string): Promise<number[]> {
  const [t] = await admin.fetchOffsets({ groupId: groupOf(collection), topics: [topicOf(collection)] });
  return (t?.partitions ?? []).sort((a, b) => a.partition - b.partition).map((p) => Number(p.offset));
}

async function endOffsets(collection: string): Promise<number[]> {
  const offsets = await admin.fetchTopicOffsets(topicOf(collection));
  return offsets.sort((a, b) => a.partition - b.partition).map((p) => Number(p.high));
}

/** Compactions of the mirror table the committer committed (from its log). */
function mirrorCompactions(collection: string): number {
  let n = 0;
  for (const line of committer.output().split('\n')) {
    if (!line.includes('"kind":"compaction"') || !line.includes(`/shop/${collection}"`)) continue;
    n += (JSON.parse(line) as { committed?: number }).committed ?? 0;
  }
  return n;
}

function rowOf(r: Record<string, unknown>): ModelRow {
  const nested = r.nested as { a: number | string; b: string };
  return {
    n: Number(r.n),
    name: r.name as string,
    tags: (r.tags as string[] | null) ?? [],
    nested: { a: Number(nested.a), b: nested.b },
    note: (r.note as string | null | undefined) ?? null,
  };
}

/** Keys missing, extra or different, at most 10 of each kind: readable where a whole-table diff is not. */
function differences(actual: Map<string, ModelRow>, expected: Map<string, ModelRow>): string[] {
  const out: string[] = [];
  for (const [k, row] of expected) {
    const got = actual.get(k);
    if (!got) out.push(`missing ${k}: ${JSON.stringify(row)}`);
    else if (JSON.stringify(got) !== JSON.stringify(row))
      out.push(`differs ${k}: ${JSON.stringify(got)} ≠ expected ${JSON.stringify(row)}`);
  }
  for (const [k, row] of actual) if (!expected.has(k)) out.push(`extra ${k}: ${JSON.stringify(row)}`);
  return out.slice(0, 30);
}

/** delta-rs reads the mirror table as the model: one row per live document, equal to it. */
async function expectMirror(collection: string, model: Map<string, ModelRow>): Promise<void> {
  const mirror = await readWithDeltaRs(tableOf(collection), env);
  const actual = new Map(mirror.rows.map((r) => [r._cdc_key as string, rowOf(r)]));
  expect(mirror.rows.length, why).toBe(actual.size); // one row per key
  expect(differences(actual, model), why).toEqual([]);
  const metrics = await committer.metrics();
  expect(metrics).not.toMatch(/^deltawriter_committer_mirror_violations_total(\{[^}]*\})? [1-9]/m);
}

/** Produces `records` in `slices`, each committed (the group's Kafka offsets at the end) before the next. */
async function produceCommitted(collection: string, records: readonly StreamRecord[], slices: number) {
  const slice = Math.ceil(records.length / slices);
  for (let i = 0; i < records.length; i += slice) {
    await produce(collection, records.slice(i, i + slice));
    const target = await endOffsets(collection);
    await vi.waitFor(async () => expect(await committedOffsets(collection), why).toEqual(target), {
      timeout: 60_000,
      interval: 200,
    });
  }
}

// Real Kafka, S3, Redis and a committer process on a shared 2-core machine: waits inside the tests bound each step.
describe('mirror tables end to end', { timeout: 240_000 }, () => {
  it('leave a mirror equal to the collection and a changelog of every event, across restarts and a catch-up', async () => {
    const c = 'items';
    const stream = mirrorStream({ seed: SEED, steps: 2400, keys: 300, partitions: PARTITIONS });
    await createTopic(c);
    const [a, b] = [0.4, 0.6].map((f) => Math.floor(stream.records.length * f));
    await produce(c, stream.records.slice(0, a));
    const first = await startService(c, 'both');
    // Stop once some batches are in, with more on the way: the next ingestor resumes from the tables.
    await vi.waitFor(async () => expect((await committedOffsets(c)).some((o) => o > 0)).toBe(true), {
      timeout: 90_000,
      interval: 200,
    });
    expect(await first.stop()).toBe(true);

    // A while with the mirror only: the changelog falls behind, and the group's Kafka offsets move past it.
    const mirrorOnly = await startService(c, 'upsert');
    await produceCommitted(c, stream.records.slice(a, b), 1);
    expect(await mirrorOnly.stop()).toBe(true);

    // Both again: the changelog catches up from its own offsets while the mirror skips what it has. The rest in
    // slices: many commits. Before the last slice, a quiet moment: compaction rewrites the mirror's files (live rows
    // and the tombstones still needed into clean files), and the last commits go on top of that.
    await startService(c, 'both');
    const rest = stream.records.slice(b);
    const last = Math.floor(rest.length * 0.85);
    await produceCommitted(c, rest.slice(0, last), 7);
    await vi.waitFor(() => expect(mirrorCompactions(c), why).toBeGreaterThan(0), {
      timeout: 60_000,
      interval: 200,
    });
    await produceCommitted(c, rest.slice(last), 1);

    await expectMirror(c, stream.model);
    // The changelog holds every change event (tombstones are not events) exactly once, duplicates included.
    const changelog = await readWithDeltaRs(`${tableOf(c)}_changelog`, env);
    const positions = changelog.rows.map((r) => `${r._kafka_partition}:${r._kafka_offset}`);
    expect(new Set(positions).size, why).toBe(positions.length);
    expect(positions.length, why).toBe(stream.records.filter((r) => r.value !== null).length);
    // Replays and late events reached the committer and lost there (the stream always has some).
    expect(await committer.metrics()).toMatch(
      /^deltawriter_committer_mirror_rows_total\{[^}]*outcome="stale"[^}]*\} [1-9]/m,
    );
  });

  it('apply update descriptions onto pre-images (DELTA_MIRROR_PARTIAL_UPDATES=apply, change_streams_with_pre_image)', async () => {
    const c = 'preimages';
    const stream = mirrorStream({
      seed: SEED + 1,
      steps: 1200,
      keys: 150,
      partitions: PARTITIONS,
      preImages: true,
    });
    await createTopic(c);
    await startService(c, 'upsert', 'apply');
    await produceCommitted(c, stream.records, 4);
    await expectMirror(c, stream.model);
  });
});
