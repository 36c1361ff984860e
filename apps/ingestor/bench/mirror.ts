/**
 * Mirror tables end to end: the same MongoDB change stream (test/support/mirror-stream.ts: ~70 % updates and
 * replacements, inserts, deletes with tombstones, some duplicates and replays) through the real Kafka, the ingestor
 * (in this process, from source) and the real committer (a child process with Redis and S3), once per write mode.
 * Baseline measured in the same run: `append` (the changelog). Time is from the ingestor's start to the group's Kafka
 * offsets reaching the end of the topic (they are committed only after every table acknowledged).
 *
 *   BENCH=mirror ./dw pnpm --filter @delta-writer/ingestor exec tsx --conditions=source bench/run.ts
 *   BENCH_MIRROR_STEPS=40000 BENCH_MIRROR_KEYS=20000 BENCH_MIRROR_MODES=append,upsert,both to change the load.
 */
import { pino } from 'pino';
import { createEncoderPool } from '../src/encoder/pool.js';
import { createWorkerBuilder } from '../src/encoder/worker-builder.js';
import type { WriteMode } from '../src/pipeline/targets.js';
import { IngestorService } from '../src/service.js';
import { mirrorStream } from '../test/support/mirror-stream.js';
import { startRealCommitter } from '../test/support/real-committer.js';
import { ingestorConfig, stackEnv, testKafka, uniqueName } from '../test/support/stack.js';

const STEPS = Number(process.env.BENCH_MIRROR_STEPS ?? 40_000);
const KEYS = Number(process.env.BENCH_MIRROR_KEYS ?? 20_000);
const MODES = (process.env.BENCH_MIRROR_MODES ?? 'append,upsert,both').split(',') as WriteMode[];
const PARTITIONS = 3;

export async function runMirrorBench(): Promise<void> {
  const env = stackEnv();
  const kafka = testKafka(env);
  const admin = kafka.admin();
  await admin.connect();
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const prefix = uniqueName('mbench');
  const basePath = `bench/${prefix}`;
  const committer = await startRealCommitter(env, { basePath, leaseKey: `bench:${prefix}` });
  const stream = mirrorStream({ seed: 7, steps: STEPS, keys: KEYS, partitions: PARTITIONS });
  const events = stream.records.length;
  console.log(
    `\n## Mirror tables end to end: ${events} Kafka records (${STEPS} changes of ${KEYS} documents, duplicates and tombstones included), ${PARTITIONS} partitions, real committer`,
  );

  const rates = new Map<WriteMode, number>();
  // Deleted only at the end: the producer keeps refreshing the metadata of every topic it wrote to.
  const topics: string[] = [];
  try {
    for (const mode of MODES) {
      const topic = `${prefix}.${mode}.items`; // one table per mode: <base>/<mode>/items
      await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }], waitForLeaders: true });
      topics.push(topic);
      for (let i = 0; i < stream.records.length; i += 2000) {
        const messages = stream.records.slice(i, i + 2000).map((r) => ({ ...r }));
        await producer.send({ topic, acks: -1, messages });
      }
      const end = (await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, Number(p.high)]);
      const group = `${prefix}-${mode}-group`;
      const base = ingestorConfig(env, {
        group,
        pattern: new RegExp(`^${topic.replace(/[.]/g, '\\.')}$`),
        basePath,
        committer: committer.address,
        dlqTopic: `${prefix}-dlq`,
      });
      const config = {
        ...base,
        delta: { ...base.delta, writeMode: mode },
        flush: { maxBytes: 32 << 20, maxRows: 50_000, maxAgeMs: 1000 },
        memoryBudgetBytes: 256 << 20,
        encoderChunkBytes: 32 << 20,
      };
      const started = performance.now();
      const service = new IngestorService({
        config,
        logger: pino({ level: 'warn' }),
        builder: createWorkerBuilder({ pool: createEncoderPool({ threads: 1 }), maxRecordBytes: 1 << 20 }),
        topicRefreshMs: 1000,
        tickMs: 50,
      });
      await service.start();
      for (;;) {
        const [t] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
        const done = new Map((t?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
        if (end.every(([p, high]) => done.get(p as number) === high)) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      const seconds = (performance.now() - started) / 1000;
      await service.stop();
      rates.set(mode, events / seconds);
      const baseline = rates.get('append');
      console.log(
        `${mode.padEnd(7)} ${seconds.toFixed(1).padStart(6)} s  ${(events / seconds).toFixed(0).padStart(7)} records/s${baseline && mode !== 'append' ? `  ${(events / seconds / baseline).toFixed(2)}× append` : ''}`,
      );
    }
    const m = await committer.metrics();
    const sum = (name: string) =>
      [...m.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+]+)$`, 'gm'))].reduce(
        (n, x) => n + Number(x[1]),
        0,
      );
    const prepares = sum('deltawriter_committer_mirror_prepare_duration_seconds_count');
    if (prepares > 0)
      console.log(
        `committer: ${prepares} mirror commits, prepare ${((1000 * sum('deltawriter_committer_mirror_prepare_duration_seconds_sum')) / prepares).toFixed(0)} ms each on average, ${(sum('deltawriter_committer_mirror_touched_files_sum') / prepares).toFixed(1)} existing files given new vectors per commit`,
      );
  } finally {
    await committer.stop();
    await producer.disconnect();
    await admin.deleteTopics({ topics }).catch(() => undefined);
    await admin.disconnect();
  }
}
