/**
 * Committer throughput against the local stack (S3 server + Redis): a real committer (gRPC, lease, Delta commits
 * on S3, checkpoints in its worker thread) with several concurrent clients, each streaming consecutive ranges of its
 * own topic-partition into one of a few tables and waiting for each ack, as ingestors do. Measured twice in the same
 * run, group commit off (one manifest per Delta commit: the baseline) and on, and printed with the ratio.
 *
 *   ./dw pnpm --filter @delta-writer/committer bench       (needs ./dw stack up and .data/stack/env loaded)
 *   BENCH_CLIENTS=16 BENCH_TABLES=4 BENCH_SECONDS=15 to change the load.
 *
 * Manifests carry one data file each; the files are not uploaded (the committer never reads them), so the numbers
 * are the committer's own: planning, the Delta log write, acks. Compaction and vacuum are off for the same reason.
 */
import { randomUUID } from 'node:crypto';
import { type AddressInfo, createServer } from 'node:net';
import { type CommitRequest, createCommitterClient } from '@delta-writer/proto';
import { pino } from 'pino';
import { startCommitter } from '../src/app.js';
import { loadConfig } from '../src/config/load.js';
import { createDeltaDeps } from '../src/wiring.js';

const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 16);
const TABLES = Number(process.env.BENCH_TABLES ?? 4);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
const TOKEN = 'bench-token-0123456789abcdef';
const SCHEMA = JSON.stringify({
  type: 'struct',
  fields: [
    { name: 'id', type: 'long', nullable: true, metadata: {} },
    { name: 'payload', type: 'string', nullable: true, metadata: {} },
  ],
});

interface Result {
  readonly mode: string;
  readonly manifests: number;
  readonly commits: number;
  readonly seconds: number;
  readonly latenciesMs: number[];
}

function required(name: string): string {
  const v = process.env[name];
  if (!v)
    throw new Error(`${name} is not set: start the local stack (./dw stack up) and load .data/stack/env`);
  return v;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function manifest(tableUri: string, partition: number, first: number): CommitRequest {
  const last = first + 99;
  return {
    protocolVersion: 1,
    table: { routingKey: tableUri.split('/').pop() ?? 't', tableUri },
    ingestorId: `bench-${partition}`,
    idempotencyId: randomUUID(),
    writeMode: 1,
    deltaSchemaJson: SCHEMA,
    partitionColumns: [],
    files: [
      {
        path: `part-${partition}-${first}-${randomUUID()}.zstd.parquet`,
        sizeBytes: 64 * 1024,
        recordCount: 100,
        partitionValues: [],
        statsJson: `{"numRecords":100,"minValues":{"id":${first}},"maxValues":{"id":${last}},"nullCount":{"id":0}}`,
        modificationTimeMs: Date.now(),
      },
    ],
    sourceRanges: [
      {
        consumerGroup: 'bench',
        topic: 'db.bench',
        partition,
        firstOffset: first,
        lastOffset: last,
        gapAcknowledged: false,
      },
    ],
  };
}

async function run(mode: string, groupCommit: Record<string, string>): Promise<Result> {
  const port = await freePort();
  const base = `committer-bench/${randomUUID()}`;
  const config = loadConfig({
    REDIS_URL: required('REDIS_URL'),
    MINIO_ENDPOINT: required('DW_S3_ENDPOINT'),
    MINIO_BUCKET: required('DW_S3_BUCKET'),
    MINIO_ACCESS_KEY: required('AWS_ACCESS_KEY_ID'),
    MINIO_SECRET_KEY: required('AWS_SECRET_ACCESS_KEY'),
    DELTA_TABLE_BASE_PATH: base,
    COMMITTER_TOKEN: TOKEN,
    COMMITTER_GRPC_HOST: '127.0.0.1',
    COMMITTER_GRPC_PORT: String(port),
    COMMITTER_ADVERTISED_ADDRESS: `127.0.0.1:${port}`,
    METRICS_PORT: '0',
    COMMITTER_LEASE_KEY: `bench:${randomUUID()}`,
    COMMITTER_COMPACTION_INTERVAL_MS: '0',
    COMMITTER_MAINTENANCE_INTERVAL_MS: '0',
    ...groupCommit,
  });
  const deps = createDeltaDeps(config, pino({ level: 'silent' }));
  const committer = await startCommitter(config, deps);
  await new Promise<void>((resolve) =>
    committer.lease.isLeader ? resolve() : committer.lease.once('acquired', () => resolve()),
  );
  const tables = Array.from({ length: TABLES }, (_, i) => `s3://${config.storage.bucket}/${base}/t${i}`);
  const clients = Array.from({ length: CLIENTS }, () =>
    createCommitterClient({ addresses: [`127.0.0.1:${port}`], token: TOKEN }),
  );
  // Create the tables first, so the measured part is steady-state appends.
  await Promise.all(tables.map((t, i) => clients[i % CLIENTS]?.commit(manifest(t, 1_000 + i, 0))));
  const commitsBefore = (await deps.metrics.commits.get()).values.reduce((n, v) => n + v.value, 0);
  const latenciesMs: number[] = [];
  let manifests = 0;
  const started = performance.now();
  const deadline = started + SECONDS * 1000;
  await Promise.all(
    clients.map(async (client, i) => {
      const table = tables[i % TABLES] as string;
      for (let offset = 0; performance.now() < deadline; offset += 100) {
        const t0 = performance.now();
        const outcome = await client.commit(manifest(table, i, offset));
        if (outcome.$case !== 'ack' || outcome.value.duplicate) {
          throw new Error(`${mode}: unexpected answer ${JSON.stringify(outcome)}`);
        }
        latenciesMs.push(performance.now() - t0);
        manifests++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const commits = (await deps.metrics.commits.get()).values.reduce((n, v) => n + v.value, 0) - commitsBefore;
  for (const c of clients) c.close();
  await committer.stop();
  return { mode, manifests, commits, seconds, latenciesMs };
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

function row(cells: (string | number)[]): string {
  return cells
    .map((c, i) =>
      String(c)
        .padStart(i === 0 ? 0 : 12)
        .padEnd(i === 0 ? 18 : 0),
    )
    .join(' ');
}

const off = await run('group commit off', {
  COMMITTER_GROUP_COMMIT_MAX_MANIFESTS: '1',
  COMMITTER_GROUP_COMMIT_MAX_WAIT_MS: '0',
});
const on = await run('group commit on', { COMMITTER_GROUP_COMMIT_MAX_WAIT_MS: '20' });

console.log(
  `committer bench: ${CLIENTS} clients, ${TABLES} tables, ${SECONDS} s per mode, local S3 server ${process.env.DW_S3_ENDPOINT}`,
);
console.log(row(['mode', 'manifests/s', 'commits/s', 'per commit', 'p50 ms', 'p99 ms']));
for (const r of [off, on]) {
  console.log(
    row([
      r.mode,
      (r.manifests / r.seconds).toFixed(1),
      (r.commits / r.seconds).toFixed(1),
      (r.manifests / Math.max(1, r.commits)).toFixed(2),
      percentile(r.latenciesMs, 50).toFixed(1),
      percentile(r.latenciesMs, 99).toFixed(1),
    ]),
  );
}
console.log(
  row([
    'ratio on/off',
    `${(on.manifests / on.seconds / (off.manifests / off.seconds)).toFixed(2)}x`,
    `${(on.commits / on.seconds / (off.commits / off.seconds)).toFixed(2)}x`,
  ]),
);
process.exit(0);
