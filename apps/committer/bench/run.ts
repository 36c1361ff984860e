/**
 * Committer throughput against the local stack (S3 server + Redis): a real committer process (dist/main.js when
 * built: gRPC, lease, Delta commits on S3, checkpoints in its worker thread) and several concurrent clients here,
 * each streaming consecutive ranges of its own topic-partition into one of a few tables and waiting for each ack, as
 * ingestors do. Measured twice in the same
 * run, group commit off (one manifest per Delta commit: the baseline) and on, and printed with the ratio.
 *
 *   ./dw pnpm --filter @delta-writer/committer bench       (needs ./dw stack up and .data/stack/env loaded)
 *   BENCH_CLIENTS=16 BENCH_TABLES=4 BENCH_SECONDS=15 to change the load.
 *
 * Manifests carry one data file each. The committer checks that each file exists with its stated size (a HEAD per
 * file, before the manifest is queued), so every client uploads its files (1 KiB each) before the measured part;
 * the numbers are the committer's own: validation, the HEADs, planning, the Delta log write, acks. Compaction and
 * vacuum are off for the same reason. What the file checks cost is measured in the same run: group commit on with the
 * checks (the deployed code path) against the same with the checks switched off (bench/unchecked-committer.ts, both
 * through tsx), plus the pure per-manifest validation in microseconds.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type CommitRequest, createCommitterClient } from '@delta-writer/proto';
import { createS3Storage } from '../src/delta/s3.js';
import { validateCommitRequest } from '../src/service/validate.js';

const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 16);
const TABLES = Number(process.env.BENCH_TABLES ?? 4);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
const TOKEN = 'bench-token-0123456789abcdef';
/** Files each client uploads before the measured part; far more than it can commit in SECONDS. */
const FILES_PER_CLIENT = Number(process.env.BENCH_FILES_PER_CLIENT ?? SECONDS * 40);
const FILE_BYTES = 1024;
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
  /** Mean time of one batch commit inside the committer (snapshot, plan, Delta write). */
  readonly commitMs: number;
  /** CPU (user + system) the committer process used per manifest, ms. */
  readonly committerCpuMs: number;
  /** CPU the local S3 server used per manifest, ms (NaN when its pid is unknown). */
  readonly s3CpuMs: number;
}

/** CPU time of a process so far, ms, from /proc (Linux; clock ticks of 10 ms). */
function cpuMs(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

/** The local stack's S3 server (deploy/local/stack writes its pid), to see what the committer's requests cost it. */
function s3Pid(): number | undefined {
  const data = process.env.DW_STACK_DATA ?? fileURLToPath(new URL('../../../.data/stack', import.meta.url));
  const file = join(data, 'run', 's3.pid');
  return existsSync(file) ? Number(readFileSync(file, 'utf8').trim()) : undefined;
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

function manifest(tableUri: string, partition: number, first: number, path?: string): CommitRequest {
  const last = first + 99;
  return {
    protocolVersion: 1,
    table: { routingKey: tableUri.split('/').pop() ?? 't', tableUri },
    ingestorId: `bench-${partition}`,
    idempotencyId: randomUUID(),
    writeMode: 1,
    mirror: undefined,
    deltaSchemaJson: SCHEMA,
    partitionColumns: [],
    files: [
      {
        path: path ?? `part-${partition}-${first}-${randomUUID()}.zstd.parquet`,
        sizeBytes: FILE_BYTES,
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

/** The built service (dist/main.js, as deployed) when present, else the sources through tsx. */
function entry(unchecked = false): string[] {
  if (unchecked) {
    return [
      '--conditions=source',
      '--import',
      'tsx',
      fileURLToPath(new URL('./unchecked-committer.ts', import.meta.url)),
    ];
  }
  const dist = fileURLToPath(new URL('../dist/main.js', import.meta.url));
  if (existsSync(dist)) return [dist];
  return [
    '--conditions=source',
    '--import',
    'tsx',
    fileURLToPath(new URL('../src/main.ts', import.meta.url)),
  ];
}

/** Sums of the committer's counters we report, from its /metrics endpoint. */
async function scrape(metricsPort: number) {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const sum = (name: string) =>
    text
      .split('\n')
      .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
      .reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
  return {
    commits: sum('deltawriter_committer_commits_total'),
    durationSum: sum('deltawriter_committer_commit_duration_seconds_sum'),
    durationCount: sum('deltawriter_committer_commit_duration_seconds_count'),
  };
}

const s3 = createS3Storage({
  endpoint: required('DW_S3_ENDPOINT'),
  region: process.env.AWS_REGION ?? 'us-east-1',
  bucket: required('DW_S3_BUCKET'),
  credentials: {
    accessKeyId: required('AWS_ACCESS_KEY_ID'),
    secretAccessKey: required('AWS_SECRET_ACCESS_KEY'),
  },
});

/** Uploads `n` files of FILE_BYTES under the table, 16 at a time; returns their paths. */
async function uploadFiles(tablePath: string, n: number): Promise<string[]> {
  const body = new Uint8Array(FILE_BYTES);
  const paths = Array.from({ length: n }, () => `part-${randomUUID()}.zstd.parquet`);
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < paths.length) {
        const path = paths[next++] as string;
        await s3.put(`${tablePath}/${path}`, body);
      }
    }),
  );
  return paths;
}

async function run(
  mode: string,
  groupCommit: Record<string, string>,
  how: { entry?: 'dist' | 'checked' | 'unchecked' } = {},
): Promise<Result> {
  const [port, metricsPort] = [await freePort(), await freePort()];
  const base = `committer-bench/${randomUUID()}`;
  const bucket = required('DW_S3_BUCKET');
  const unchecked = how.entry === 'unchecked';
  const child = spawn(process.execPath, how.entry && how.entry !== 'dist' ? entry(true) : entry(), {
    env: {
      PATH: process.env.PATH ?? '',
      REDIS_URL: required('REDIS_URL'),
      MINIO_ENDPOINT: required('DW_S3_ENDPOINT'),
      MINIO_BUCKET: bucket,
      MINIO_ACCESS_KEY: required('AWS_ACCESS_KEY_ID'),
      MINIO_SECRET_KEY: required('AWS_SECRET_ACCESS_KEY'),
      DELTA_TABLE_BASE_PATH: base,
      COMMITTER_TOKEN: TOKEN,
      COMMITTER_GRPC_HOST: '127.0.0.1',
      COMMITTER_GRPC_PORT: String(port),
      COMMITTER_ADVERTISED_ADDRESS: `127.0.0.1:${port}`,
      METRICS_PORT: String(metricsPort),
      COMMITTER_LEASE_KEY: `bench:${randomUUID()}`,
      COMMITTER_COMPACTION_INTERVAL_MS: '0',
      COMMITTER_MAINTENANCE_INTERVAL_MS: '0',
      LOG_LEVEL: 'warn',
      BENCH_FILE_CHECKS: unchecked ? 'off' : 'on',
      ...groupCommit,
    },
    stdio: ['ignore', 'ignore', 'ignore'],
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    // Ready means leader: /readyz answers 200.
    for (;;) {
      const ready = await fetch(`http://127.0.0.1:${metricsPort}/readyz`).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ready) break;
      if (child.exitCode !== null) throw new Error(`the committer exited with ${child.exitCode}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const tables = Array.from({ length: TABLES }, (_, i) => `s3://${bucket}/${base}/t${i}`);
    const clients = Array.from({ length: CLIENTS }, () =>
      createCommitterClient({ addresses: [`127.0.0.1:${port}`], token: TOKEN }),
    );
    // Every file a client will add, uploaded before the measured part (as the ingestors upload before committing).
    const files: string[][] = [];
    for (let i = 0; i < CLIENTS; i++) {
      files.push(await uploadFiles(`${base}/t${i % TABLES}`, FILES_PER_CLIENT));
    }
    const firsts = await Promise.all(tables.map((_, i) => uploadFiles(`${base}/t${i}`, 1)));
    // Create the tables first, so the measured part is steady-state appends.
    await Promise.all(
      tables.map((t, i) => clients[i % CLIENTS]?.commit(manifest(t, 1_000 + i, 0, firsts[i]?.[0]))),
    );
    const before = await scrape(metricsPort);
    const cpuBefore = [cpuMs(child.pid), cpuMs(s3Pid())];
    const latenciesMs: number[] = [];
    let manifests = 0;
    const started = performance.now();
    const deadline = started + SECONDS * 1000;
    await Promise.all(
      clients.map(async (client, i) => {
        const table = tables[i % TABLES] as string;
        const own = files[i] as string[];
        for (let offset = 0, k = 0; performance.now() < deadline; offset += 100, k++) {
          const path = own[k];
          if (path === undefined)
            throw new Error(`client ${i} used all its files: raise BENCH_FILES_PER_CLIENT`);
          const t0 = performance.now();
          const outcome = await client.commit(manifest(table, i, offset, path));
          if (outcome.$case !== 'ack' || outcome.value.duplicate) {
            throw new Error(`${mode}: unexpected answer ${JSON.stringify(outcome)}`);
          }
          latenciesMs.push(performance.now() - t0);
          manifests++;
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const cpuAfter = [cpuMs(child.pid), cpuMs(s3Pid())];
    const after = await scrape(metricsPort);
    for (const c of clients) c.close();
    const commitMs =
      ((after.durationSum - before.durationSum) / Math.max(1, after.durationCount - before.durationCount)) *
      1000;
    return {
      mode,
      manifests,
      commits: after.commits - before.commits,
      seconds,
      latenciesMs,
      commitMs,
      committerCpuMs: ((cpuAfter[0] as number) - (cpuBefore[0] as number)) / Math.max(1, manifests),
      s3CpuMs: ((cpuAfter[1] as number) - (cpuBefore[1] as number)) / Math.max(1, manifests),
    };
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
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

/** The pure validation of one manifest (paths as readers decode them, ranges, schema JSON), in microseconds. */
function validationMicros(): number {
  const m = manifest('s3://lake/delta/db/coll', 1, 0);
  const n = 20_000;
  for (let i = 0; i < 1_000; i++) validateCommitRequest(m, 's3://lake/delta/'); // warm up
  const t0 = performance.now();
  for (let i = 0; i < n; i++) if (validateCommitRequest(m, 's3://lake/delta/')) throw new Error('invalid');
  return ((performance.now() - t0) * 1000) / n;
}

const off = await run('group commit off', {
  COMMITTER_GROUP_COMMIT_MAX_MANIFESTS: '1',
  COMMITTER_GROUP_COMMIT_MAX_WAIT_MS: '0',
});
const on = await run('group commit on', { COMMITTER_GROUP_COMMIT_MAX_WAIT_MS: '20' });
// The file checks' cost: without and with, alternated twice so a change in the machine's load hits both alike.
const pairs: [Result, Result][] = [];
for (let round = 1; round <= 2; round++) {
  const gc = { COMMITTER_GROUP_COMMIT_MAX_WAIT_MS: '20' };
  const without = await run(`on, no HEAD #${round}`, gc, { entry: 'unchecked' });
  const withHead = await run(`on, HEAD #${round}`, gc, { entry: 'checked' });
  pairs.push([without, withHead]);
}
const total = (rs: Result[], f: (r: Result) => number) => rs.reduce((n, r) => n + f(r), 0);
const merge = (mode: string, rs: Result[]): Result => ({
  mode,
  manifests: total(rs, (r) => r.manifests),
  commits: total(rs, (r) => r.commits),
  seconds: total(rs, (r) => r.seconds),
  latenciesMs: rs.flatMap((r) => r.latenciesMs),
  commitMs:
    total(rs, (r) => r.commitMs * r.commits) /
    Math.max(
      1,
      total(rs, (r) => r.commits),
    ),
  committerCpuMs:
    total(rs, (r) => r.committerCpuMs * r.manifests) /
    Math.max(
      1,
      total(rs, (r) => r.manifests),
    ),
  s3CpuMs:
    total(rs, (r) => r.s3CpuMs * r.manifests) /
    Math.max(
      1,
      total(rs, (r) => r.manifests),
    ),
});
const unchecked = merge(
  'on, no file HEAD',
  pairs.map((p) => p[0]),
);
const checked = merge(
  'on, file HEAD',
  pairs.map((p) => p[1]),
);

console.log(
  `committer bench: ${CLIENTS} clients, ${TABLES} tables, ${SECONDS} s per mode, local S3 server ${process.env.DW_S3_ENDPOINT}`,
);
console.log(
  row([
    'mode',
    'manifests/s',
    'commits/s',
    'per commit',
    'commit ms',
    'ack p50 ms',
    'ack p99 ms',
    'CPU ms/m',
    'S3 CPU ms/m',
  ]),
);
for (const r of [off, on, ...pairs.flat(), unchecked, checked]) {
  console.log(
    row([
      r.mode,
      (r.manifests / r.seconds).toFixed(1),
      (r.commits / r.seconds).toFixed(1),
      (r.manifests / Math.max(1, r.commits)).toFixed(2),
      r.commitMs.toFixed(1),
      percentile(r.latenciesMs, 50).toFixed(1),
      percentile(r.latenciesMs, 99).toFixed(1),
      r.committerCpuMs.toFixed(2),
      r.s3CpuMs.toFixed(2),
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
const rate = (r: Result) => r.manifests / r.seconds;
console.log(
  row([
    'HEAD on/off',
    `${(rate(checked) / rate(unchecked)).toFixed(2)}x`,
    '',
    '',
    '',
    `${(percentile(checked.latenciesMs, 50) - percentile(unchecked.latenciesMs, 50)).toFixed(1)} Δ`,
    `${(percentile(checked.latenciesMs, 99) - percentile(unchecked.latenciesMs, 99)).toFixed(1)} Δ`,
    `${(checked.committerCpuMs - unchecked.committerCpuMs).toFixed(2)} Δ`,
    `${(checked.s3CpuMs - unchecked.s3CpuMs).toFixed(2)} Δ`,
  ]),
);
console.log(`validation of one manifest (pure, no I/O): ${validationMicros().toFixed(1)} µs`);
process.exit(0);
