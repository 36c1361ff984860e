/**
 * End-to-end ingest throughput and memory: MongoDB-shaped Debezium events in a real Kafka topic (local stack), the
 * built ingestor (`node dist/main.js`) in a child process writing Parquet to the real S3 server, and an in-process
 * gRPC committer double acknowledging manifests. Baseline measured in the same run: a bare kafkajs consumer reading
 * the same records without doing anything with them.
 *
 * Peak RSS is the child process's (sampled from /proc every 100 ms), i.e. the ingestor with its encoder threads.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { FakeCommitter, startCommitterServer } from '../test/support/fake-committer.js';
import { mongoRecord } from '../test/support/mongo-events.js';
import { stackEnv, testKafka, uniqueName } from '../test/support/stack.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 60_000);
const PARTITIONS = 3;

function rssOf(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** What the ingestor's own gauges say about its memory, in MiB. */
async function breakdown(port: number): Promise<string> {
  try {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const get = (name: string) => {
      const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+]+)$`, 'm').exec(text);
      return m ? `${(Number(m[1]) / 2 ** 20).toFixed(0)}` : '?';
    };
    return `main heap ${get('dw_ingestor_nodejs_heap_size_used_bytes')}, external ${get('dw_ingestor_nodejs_external_memory_bytes')}, buffered ${get('dw_ingestor_buffered_bytes')}, in flight ${get('dw_ingestor_inflight_bytes')}, wasm ${get('dw_ingestor_encoder_wasm_heap_bytes')} MiB`;
  } catch {
    return 'metrics unavailable';
  }
}

export async function runIngestBench(settings: Record<string, string> = {}): Promise<void> {
  const main = fileURLToPath(new URL('../dist/main.js', import.meta.url));
  if (!existsSync(main))
    throw new Error('bench needs the built ingestor: run `pnpm build` first (turbo does for `pnpm bench`)');
  const env = stackEnv();
  const kafka = testKafka(env);
  const admin = kafka.admin();
  await admin.connect();
  const prefix = uniqueName('bench');
  const topic = `${prefix}.shop.orders`;
  await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }], waitForLeaders: true });

  // Produce.
  const producer = kafka.producer();
  await producer.connect();
  let bytes = 0;
  for (let i = 0; i < EVENTS; i += 2000) {
    const messages = [];
    for (let j = i; j < Math.min(EVENTS, i + 2000); j++) {
      const r = mongoRecord(j);
      bytes += r.key.length + r.value.length;
      messages.push(r);
    }
    await producer.send({ topic, acks: -1, messages });
  }
  await producer.disconnect();
  const mb = bytes / 1e6;

  // Baseline: a bare consumer.
  const t0 = performance.now();
  const bare = kafka.consumer({ groupId: `${prefix}-bare`, maxBytesPerPartition: 4 * 1024 * 1024 });
  await bare.connect();
  await bare.subscribe({ topics: [topic], fromBeginning: true });
  let seen = 0;
  const done = new Promise<void>((resolve) => {
    void bare.run({
      eachBatch: async ({ batch }) => {
        seen += batch.messages.length;
        if (seen >= EVENTS) resolve();
      },
    });
  });
  await done;
  const bareSeconds = (performance.now() - t0) / 1000;
  await bare.disconnect();

  // The ingestor.
  const committer = new FakeCommitter();
  const server = await startCommitterServer(committer);
  const rows = () =>
    [...committer.tables.values()].reduce((n, t) => n + t.files.reduce((m, f) => m + f.recordCount, 0), 0);
  const started = performance.now();
  const settingsPort = 20000 + Math.floor(Math.random() * 20000);
  const child = spawn(process.execPath, [main], {
    env: {
      PATH: process.env.PATH ?? '',
      KAFKA_BOOTSTRAP_SERVERS: env.KAFKA_BOOTSTRAP_SERVERS,
      KAFKA_CONSUMER_GROUP: `${prefix}-ingest`,
      KAFKA_TOPIC_PATTERN: `${prefix}\\..*`,
      KAFKA_DLQ_TOPIC: `${prefix}-dlq`,
      MINIO_ENDPOINT: env.DW_S3_ENDPOINT,
      MINIO_ACCESS_KEY: env.AWS_ACCESS_KEY_ID,
      MINIO_SECRET_KEY: env.AWS_SECRET_ACCESS_KEY,
      MINIO_BUCKET: env.DW_S3_BUCKET,
      DELTA_TABLE_BASE_PATH: `bench/${prefix}`,
      COMMITTER_ADDRESSES: server.address,
      METRICS_PORT: String(settingsPort),
      LOG_LEVEL: 'warn',
      ...settings,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  let peak = 0;
  let atPeak = '';
  let firstCommit = 0;
  const metricsPort = settingsPort;
  while (rows() < EVENTS) {
    const rss = rssOf(child.pid as number);
    if (rss > peak) {
      peak = rss;
      atPeak = await breakdown(metricsPort);
    }
    if (!firstCommit && rows() > 0) firstCommit = performance.now();
    if (child.exitCode !== null) throw new Error(`ingestor exited with ${child.exitCode}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const end = performance.now();
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  await server.close();
  await admin.deleteTopics({ topics: [topic, `${prefix}-dlq`] }).catch(() => undefined);
  await admin.disconnect();

  const files = [...committer.tables.values()].flatMap((t) => t.files);
  const fileMb = files.reduce((n, f) => n + f.sizeBytes, 0) / 1e6;
  const total = (end - started) / 1000;
  const steady = (end - (firstCommit || end)) / 1000;
  const label =
    Object.entries(settings)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ') || 'defaults';
  console.log(
    `\n## Ingest (${label}): ${EVENTS} events, ${mb.toFixed(1)} MB of Debezium JSON, ${PARTITIONS} partitions`,
  );
  console.log(
    `bare kafkajs consumer (baseline)   ${bareSeconds.toFixed(1)} s   ${(EVENTS / bareSeconds).toFixed(0)} events/s`,
  );
  console.log(
    `ingestor, start to last commit     ${total.toFixed(1)} s   ${(EVENTS / total).toFixed(0)} events/s   ${(mb / total).toFixed(1)} MB/s   ${(bareSeconds / total).toFixed(2)}× baseline`,
  );
  console.log(
    `ingestor, first to last commit     ${steady.toFixed(1)} s   ${(EVENTS / steady).toFixed(0)} events/s`,
  );
  console.log(
    `peak RSS of the ingestor process   ${(peak / 2 ** 20).toFixed(0)} MiB (at that moment: ${atPeak})`,
  );
  console.log(
    `data files                         ${files.length} files, ${fileMb.toFixed(1)} MB (${(mb / fileMb).toFixed(1)}× smaller than the JSON), ${committer.requests.length} commits`,
  );
}
