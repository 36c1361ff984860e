/**
 * Shared pieces of the integration tests: topics on the real Kafka, an in-process gRPC committer double, services
 * with the real builder, and readers that check a table's contents through the Parquet files on the real S3.
 */
import { tableFromIPC } from 'apache-arrow';
import type { Admin, Producer } from 'kafkajs';
import { readParquet } from 'parquet-wasm';
import { pino } from 'pino';
import type { IngestorConfig } from '../../src/config/load.js';
import { createEncoderPool } from '../../src/encoder/pool.js';
import { createWorkerBuilder } from '../../src/encoder/worker-builder.js';
import { IngestorService } from '../../src/service.js';
import { FakeCommitter, startCommitterServer } from './fake-committer.js';
import { mongoRecord } from './mongo-events.js';
import { getObject, ingestorConfig, stackEnv, testKafka, testS3, uniqueName } from './stack.js';

export async function createHarness(partitions: Record<string, number>, options: { tokens?: string[] } = {}) {
  const env = stackEnv();
  const kafka = testKafka(env);
  const admin: Admin = kafka.admin();
  await admin.connect();
  const producer: Producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const prefix = uniqueName('it');
  const topics = Object.fromEntries(Object.keys(partitions).map((name) => [name, `${prefix}.shop.${name}`]));
  await admin.createTopics({
    topics: Object.entries(partitions).map(([name, n]) => ({
      topic: topics[name] as string,
      numPartitions: n,
    })),
    waitForLeaders: true,
  });
  const committer = new FakeCommitter();
  const server = await startCommitterServer(committer, options.tokens);
  const s3 = testS3(env);
  const group = `${prefix}-group`;
  const dlqTopic = `${prefix}-dlq`;
  const basePath = `it/${prefix}`;
  const services: IngestorService[] = [];

  const config = (overrides: Partial<IngestorConfig> = {}) =>
    ingestorConfig(env, {
      group,
      pattern: new RegExp(`^(?:${prefix}\\..*)$`),
      basePath,
      committer: server.address,
      dlqTopic,
      overrides,
    });

  return {
    env,
    admin,
    producer,
    committer,
    s3,
    topics,
    group,
    dlqTopic,
    basePath,
    config,
    tableUri: (name: string) => `s3://${env.DW_S3_BUCKET}/${basePath}/shop/${name}`,
    async startService(overrides: Partial<IngestorConfig> = {}) {
      const c = config(overrides);
      const pool = createEncoderPool({ threads: 1 });
      const service = new IngestorService({
        config: c,
        logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
        builder: createWorkerBuilder({ pool, maxRecordBytes: c.maxRecordBytes }),
        topicRefreshMs: 2000,
        tickMs: 100,
      });
      await service.start();
      services.push(service);
      return service;
    },
    /** Produces orders/users events `from..to-1` keyed by document id; `poison(i)` replaces some with garbage. */
    async produce(name: string, from: number, to: number, poison: (i: number) => boolean = () => false) {
      const messages = [];
      for (let i = from; i < to; i++) {
        const r = mongoRecord(i, { collection: name });
        messages.push(poison(i) ? { key: r.key, value: `{"garbage": ${i}` } : { key: r.key, value: r.value });
      }
      await producer.send({ topic: topics[name] as string, acks: -1, messages });
    },
    /** `topic:partition:offset` of every row in the table's committed files, read back from S3. */
    async rowsInTable(name: string): Promise<string[]> {
      const table = committer.tables.get(`s3://${env.DW_S3_BUCKET}/${basePath}/shop/${name}`);
      const rows: string[] = [];
      for (const f of table?.files ?? []) {
        const bytes = await getObject(s3, env.DW_S3_BUCKET, `${basePath}/shop/${name}/${decodeURI(f.path)}`);
        const t = tableFromIPC(readParquet(bytes).intoIPCStream());
        const topic = t.getChild('_kafka_topic');
        const partition = t.getChild('_kafka_partition');
        const offset = t.getChild('_kafka_offset');
        for (let i = 0; i < t.numRows; i++)
          rows.push(`${topic?.get(i)}:${partition?.get(i)}:${offset?.get(i)}`);
      }
      return rows;
    },
    committedRows(name: string): number {
      const table = committer.tables.get(`s3://${env.DW_S3_BUCKET}/${basePath}/shop/${name}`);
      return (table?.files ?? []).reduce((n, f) => n + f.recordCount, 0);
    },
    /** The table's committed offsets per partition (the `txn` versions). */
    tableOffsets(name: string): Map<number, number> {
      const table = committer.tables.get(`s3://${env.DW_S3_BUCKET}/${basePath}/shop/${name}`);
      const out = new Map<number, number>();
      for (const [k, v] of table?.offsets ?? [])
        if (k.startsWith(`${group}|${topics[name]}|`)) out.set(Number(k.split('|')[2]), v);
      return out;
    },
    async endOffsets(name: string): Promise<Map<number, number>> {
      const offsets = await admin.fetchTopicOffsets(topics[name] as string);
      return new Map(offsets.map((p) => [p.partition, Number(p.high)]));
    },
    async close() {
      await Promise.all(services.map((s) => s.stop().catch(() => undefined)));
      await producer.disconnect();
      await admin.deleteTopics({ topics: [...Object.values(topics), dlqTopic] }).catch(() => undefined);
      await admin.disconnect();
      await server.close();
    },
  };
}

export type Harness = Awaited<ReturnType<typeof createHarness>>;

export function duplicates(rows: string[]): string[] {
  const seen = new Set<string>();
  const repeated: string[] = [];
  for (const r of rows) {
    if (seen.has(r)) repeated.push(r);
    seen.add(r);
  }
  return repeated;
}
