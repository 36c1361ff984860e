/**
 * Snapshot load time against delta-rs on the same tables, measured in the same run, plus commit latency
 * on the local S3 server against a bare conditional PUT. Run with `pnpm bench` (from the repo root:
 * `./dw pnpm --filter @delta-writer/delta-log bench`). Tables are generated once into .cache/delta-log-bench/.
 *
 *   commits-10k : 10,000 commits (one add each), checkpoint at 9,990 → a listing of 10k files + 9 commits
 *   adds-100k   : 100,000 live files in a checkpoint at version 10, plus 2 commits of 100 adds
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type Action,
  commit,
  DeltaTable,
  FsStorage,
  field,
  S3Storage,
  Snapshot,
  serializeActions,
  serializeSchema,
  struct,
  writeCheckpoint,
} from '@delta-writer/delta-log';
import { readersEnv } from '@delta-writer/test-readers';

const REPO = resolve(fileURLToPath(import.meta.url), '../../../..');
const DIR = join(REPO, '.cache', 'delta-log-bench');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
/** Warm-up rounds for both engines: V8 needs a few loads to optimize the decoding paths, as a service would be. */
const WARMUP = Number(process.env.BENCH_WARMUP ?? 3);
const GENERATOR = 'v1';

const schema = struct(field('id', 'long'), field('name', 'string'), field('day', 'date'));

function add(i: number): Action {
  return {
    add: {
      path: `day=2024-01-${String((i % 28) + 1).padStart(2, '0')}/part-${String(i).padStart(6, '0')}-${randomUUID()}.snappy.parquet`,
      partitionValues: { day: `2024-01-${String((i % 28) + 1).padStart(2, '0')}` },
      size: 1024 + i,
      modificationTime: 1_700_000_000_000 + i,
      dataChange: true,
      stats: `{"numRecords":100,"minValues":{"id":${i * 100},"name":"a${i}"},"maxValues":{"id":${i * 100 + 99},"name":"z${i}"},"nullCount":{"id":0,"name":0}}`,
    },
  };
}

function header(): Action[] {
  return [
    { commitInfo: { timestamp: 1_700_000_000_000, operation: 'CREATE TABLE' } },
    { protocol: { minReaderVersion: 1, minWriterVersion: 2 } },
    {
      metaData: {
        id: 'bench',
        format: { provider: 'parquet', options: {} },
        schemaString: serializeSchema(schema),
        partitionColumns: ['day'],
        configuration: {},
        createdTime: 1_700_000_000_000,
      },
    },
  ];
}

function writeCommit(dir: string, version: number, actions: Action[]): void {
  writeFileSync(
    join(dir, '_delta_log', `${String(version).padStart(20, '0')}.json`),
    serializeActions(actions),
  );
}

async function generate(name: string, build: (dir: string) => Promise<void>): Promise<string> {
  const dir = join(DIR, name);
  const marker = join(dir, `.generated-${GENERATOR}`);
  if (existsSync(marker)) return dir;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, '_delta_log'), { recursive: true });
  const t0 = performance.now();
  await build(dir);
  writeFileSync(marker, '');
  console.log(`  generated ${name} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return dir;
}

async function checkpointAt(dir: string, version: number): Promise<void> {
  await writeCheckpoint(await Snapshot.load(new FsStorage(dir), '', { version }));
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] as number;
}

async function ours(dir: string): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < WARMUP + ROUNDS; i++) {
    const t0 = performance.now();
    const snap = await Snapshot.load(new FsStorage(dir));
    const ms = performance.now() - t0;
    if (snap.numFiles === 0) throw new Error('empty snapshot');
    if (i >= WARMUP) times.push(ms);
  }
  return median(times);
}

const DELTA_RS = `
import sys, time, statistics
from deltalake import DeltaTable
path, rounds, warmup = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
times = []
for i in range(warmup + rounds):
    t0 = time.perf_counter()
    dt = DeltaTable(path)
    n = len(dt.file_uris())
    ms = (time.perf_counter() - t0) * 1000
    if i >= warmup:
        times.append(ms)
print(statistics.median(times))
`;

function deltaRs(dir: string): number {
  const { python, env } = readersEnv();
  return Number(
    execFileSync(python, ['-c', DELTA_RS, dir, String(ROUNDS), String(WARMUP)], {
      env,
      encoding: 'utf8',
    }).trim(),
  );
}

async function compareLoad(name: string, dir: string): Promise<void> {
  const mine = await ours(dir);
  const theirs = deltaRs(dir);
  const ratio = mine / theirs;
  console.log(
    `  ${name.padEnd(12)} delta-log ${mine.toFixed(1).padStart(8)} ms   delta-rs ${theirs.toFixed(1).padStart(8)} ms   ratio ${ratio.toFixed(2)}x ${ratio <= 1.5 ? '(goal ≤1.5x: met)' : '(goal ≤1.5x: NOT met)'}`,
  );
}

async function commitLatency(): Promise<void> {
  const endpoint = process.env.DW_S3_ENDPOINT;
  const bucket = process.env.DW_S3_BUCKET;
  if (!endpoint || !bucket) {
    console.log(
      '  commit latency on S3: not measured — DW_S3_ENDPOINT/DW_S3_BUCKET not set (./dw stack up; load .data/stack/env)',
    );
    process.exitCode = 1;
    return;
  }
  const storage = new S3Storage({
    bucket,
    prefix: `delta-log-bench/${randomUUID()}`,
    clientConfig: {
      endpoint,
      forcePathStyle: true,
      region: process.env.AWS_REGION ?? 'us-east-1',
      maxAttempts: 1,
    },
  });
  const N = Number(process.env.BENCH_COMMITS ?? 40);
  const puts: number[] = [];
  for (let i = 0; i < N + 5; i++) {
    const t0 = performance.now();
    await storage.putIfAbsent(`floor/${i}.json`, new TextEncoder().encode('{"commitInfo":{}}\n'));
    if (i >= 5) puts.push(performance.now() - t0); // the first requests open connections
  }
  const table = await DeltaTable.create(storage, 'tbl', { schema, partitionColumns: ['day'] });
  let snap = table.snapshot;
  const commits: number[] = [];
  for (let i = 0; i < N; i++) {
    const t0 = performance.now();
    const r = await commit(storage, snap, {
      actions: [add(i)],
      txns: [{ appId: 'bench', version: i }],
      operation: 'WRITE',
    });
    commits.push(performance.now() - t0);
    snap = r.snapshot;
  }
  const p50 = median(commits);
  const floor = median(puts);
  console.log(
    `  S3 commit    p50 ${p50.toFixed(1)} ms  p95 ${percentile(commits, 95).toFixed(1)} ms   bare conditional PUT p50 ${floor.toFixed(1)} ms   ratio ${(p50 / floor).toFixed(2)}x  (${N} sequential commits)`,
  );
}

async function main(): Promise<void> {
  console.log(
    `delta-log bench (median of ${ROUNDS} rounds after ${WARMUP} warm-up rounds, both engines; same tables, same run)`,
  );
  const commits10k = await generate('commits-10k', async (dir) => {
    writeCommit(dir, 0, header());
    for (let v = 1; v < 10_000; v++)
      writeCommit(dir, v, [{ commitInfo: { timestamp: 1_700_000_000_000 + v, operation: 'WRITE' } }, add(v)]);
    await checkpointAt(dir, 9_990);
  });
  const adds100k = await generate('adds-100k', async (dir) => {
    writeCommit(dir, 0, header());
    for (let v = 1; v <= 10; v++)
      writeCommit(
        dir,
        v,
        Array.from({ length: 10_000 }, (_, i) => add((v - 1) * 10_000 + i)),
      );
    await checkpointAt(dir, 10);
    for (let v = 11; v <= 12; v++)
      writeCommit(
        dir,
        v,
        Array.from({ length: 100 }, (_, i) => add(100_000 + (v - 11) * 100 + i)),
      );
  });
  await compareLoad('commits-10k', commits10k);
  await compareLoad('adds-100k', adds100k);
  await commitLatency();
}

await main();
