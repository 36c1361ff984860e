/**
 * `pnpm bench` for delta-log. Three cases, each with its baseline measured in the same run:
 *
 * 1. Snapshot load against delta-rs (`DeltaTable(path)` + `file_uris()`) on the same tables. Ours is
 *    `Snapshot.load` + the live file keys (the same work: a state and a list of 100k names). Rounds alternate
 *    between the engines (order flipped every round), so a load spike on the shared machine lands on both sides
 *    of a pair; the headline is the median of the paired ratios, with its spread and the best-of-N ratio.
 * 2. Commit cost against table size: sequential commits (10 adds + 5 removes of live files + a txn, the mirror
 *    table's shape) on a 1k-file and a 100k-file table, interleaved, on the local disk. Goal: ratio ≈ 1.
 * 3. Commit latency on the local S3 server against a bare conditional PUT.
 * 4. Checkpoint cost against the tombstones a table keeps, against delta-rs's `create_checkpoint` (checkpoint.ts).
 *
 * Env: BENCH_ROUNDS (load rounds, default 9), BENCH_WARMUP (8), BENCH_COMMITS (60), DW_S3_ENDPOINT/DW_S3_BUCKET.
 */
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import {
  type Action,
  type AddFile,
  commit,
  DeltaTable,
  FsStorage,
  S3Storage,
  Snapshot,
} from '@delta-writer/delta-log';
import { checkpointCost } from './checkpoint.js';
import { DeltaRs } from './delta-rs.js';
import { describe, fmt, quantile, type Sample, sample } from './stats.js';
import { addFile, adds100k, commits10k, filesTable, freshCopy, schema } from './tables.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9);
/** V8 reaches its steady state after about ten loads (the decoding paths get optimized), as a service would be. */
const WARMUP = Number(process.env.BENCH_WARMUP ?? 8);
const COMMITS = Number(process.env.BENCH_COMMITS ?? 60);

async function ourLoad(dir: string): Promise<Sample & { files: number }> {
  // No forced gc() between rounds: its concurrent sweeping would run inside the next measurement.
  const { sample: s, value } = await sample(async () => {
    const snap = await Snapshot.load(new FsStorage(dir));
    return [...snap.state.files.keys()].length;
  });
  return { ...s, files: value };
}

async function compareLoad(name: string, dir: string, rs: DeltaRs): Promise<void> {
  const ours: Sample[] = [];
  const theirs: Sample[] = [];
  for (let i = 0; i < WARMUP + ROUNDS; i++) {
    const pair = i % 2 === 0 ? [await ourLoad(dir), await rs.load(dir)] : [undefined, await rs.load(dir)];
    if (i % 2 === 1) pair[0] = await ourLoad(dir);
    const [a, b] = pair as [Sample & { files: number }, Sample & { files: number }];
    if (a.files !== b.files) throw new Error(`${name}: delta-log sees ${a.files} files, delta-rs ${b.files}`);
    if (i < WARMUP) continue;
    ours.push(a);
    theirs.push(b);
  }
  const paired = ours.map((o, i) => o.wall / (theirs[i] as Sample).wall);
  const med = quantile(paired, 0.5);
  const best = Math.min(...ours.map((o) => o.wall)) / Math.min(...theirs.map((t) => t.wall));
  const cpu =
    quantile(
      ours.map((o) => o.cpu),
      0.5,
    ) /
    quantile(
      theirs.map((t) => t.cpu),
      0.5,
    );
  console.log(`  ${name}`);
  console.log(
    `    delta-log  ${describe(ours.map((o) => o.wall))}   cpu ${describe(ours.map((o) => o.cpu))}`,
  );
  console.log(
    `    delta-rs   ${describe(theirs.map((t) => t.wall))}   cpu ${describe(theirs.map((t) => t.cpu))}`,
  );
  console.log(
    `    ratio      ${med.toFixed(2)}x median of ${paired.length} paired rounds [${quantile(paired, 0.25).toFixed(2)}–${quantile(paired, 0.75).toFixed(2)}], best-of-N ${best.toFixed(2)}x, cpu ${cpu.toFixed(2)}x  ${med <= 1.5 && best <= 1.5 ? '(goal ≤1.5x: met)' : '(goal ≤1.5x: NOT met)'}`,
  );
}

interface CommitChain {
  name: string;
  dir: string;
  snap: Snapshot;
  /** Live files nobody has removed yet, to remove from (the mirror table rewrites existing files). */
  victims: AddFile[];
  times: Sample[];
}

async function chain(name: string, files: number): Promise<CommitChain> {
  const dir = freshCopy(await filesTable(files));
  const snap = await Snapshot.load(new FsStorage(dir));
  const victims: AddFile[] = [];
  for (const f of snap.state.files.values()) {
    victims.push(f);
    if (victims.length >= 5 * COMMITS) break;
  }
  return { name, dir, snap, victims, times: [] };
}

async function commitOnce(c: CommitChain, i: number, record: boolean): Promise<void> {
  const removed = c.victims.splice(0, 5);
  const actions: Action[] = [
    ...removed.map((f) => ({
      remove: { path: f.path, deletionTimestamp: Date.now(), dataChange: true, size: f.size },
    })),
    ...Array.from({ length: 10 }, (_, k) => ({ add: addFile(1_000_000 + i * 10 + k, 'c') })),
  ];
  const { sample: s, value } = await sample(() =>
    commit(c.snap.storage, c.snap, { actions, txns: [{ appId: 'bench', version: i }], operation: 'WRITE' }),
  );
  c.snap = value.snapshot;
  if (record) c.times.push(s);
}

async function commitScaling(): Promise<void> {
  const small = await chain('1k files', 1_000);
  const large = await chain('100k files', 100_000);
  try {
    const warm = Math.min(10, Math.floor(COMMITS / 4));
    for (let i = 0; i < COMMITS; i++) {
      const order = i % 2 === 0 ? [small, large] : [large, small];
      for (const c of order) await commitOnce(c, i, i >= warm);
    }
    for (const c of [small, large]) {
      const expected = (c === small ? 1_000 : 100_000) + 5 * COMMITS;
      if (c.snap.numFiles !== expected)
        throw new Error(`${c.name}: ${c.snap.numFiles} files, expected ${expected}`);
      console.log(
        `  commit on ${c.name.padEnd(10)} ${describe(c.times.map((t) => t.wall))}   cpu ${describe(c.times.map((t) => t.cpu))}`,
      );
    }
    const p50 = (c: CommitChain) =>
      quantile(
        c.times.map((t) => t.wall),
        0.5,
      );
    const cpu = (c: CommitChain) =>
      quantile(
        c.times.map((t) => t.cpu),
        0.5,
      );
    console.log(
      `  ratio 100k/1k: ${(p50(large) / p50(small)).toFixed(2)}x wall, ${(cpu(large) / cpu(small)).toFixed(2)}x cpu (median of ${small.times.length} commits each, local disk, 10 adds + 5 removes + txn)`,
    );
  } finally {
    for (const c of [small, large]) rmSync(c.dir, { recursive: true, force: true });
  }
}

async function s3CommitLatency(): Promise<void> {
  const endpoint = process.env.DW_S3_ENDPOINT;
  const bucket = process.env.DW_S3_BUCKET;
  if (!endpoint || !bucket) {
    console.log(
      '  S3 commit latency: not measured — DW_S3_ENDPOINT/DW_S3_BUCKET not set (./dw stack up; load .data/stack/env)',
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
  const N = 40;
  const puts: number[] = [];
  const commits: number[] = [];
  const table = await DeltaTable.create(storage, 'tbl', { schema, partitionColumns: ['day'] });
  let snap = table.snapshot;
  for (let i = 0; i < N + 5; i++) {
    // Interleaved with the commits, so both see the same server and machine load.
    const t0 = performance.now();
    await storage.putIfAbsent(`floor/${i}.json`, new TextEncoder().encode('{"commitInfo":{}}\n'));
    const t1 = performance.now();
    const r = await commit(storage, snap, {
      actions: [{ add: addFile(i) }],
      txns: [{ appId: 'bench', version: i }],
      operation: 'WRITE',
    });
    const t2 = performance.now();
    snap = r.snapshot;
    if (i < 5) continue; // the first requests open connections
    puts.push(t1 - t0);
    commits.push(t2 - t1);
  }
  console.log(`  S3 commit          ${describe(commits)}   p95 ${fmt(quantile(commits, 0.95))} ms`);
  console.log(`  bare conditional PUT ${describe(puts)}`);
  console.log(
    `  ratio ${(quantile(commits, 0.5) / quantile(puts, 0.5)).toFixed(2)}x (median of ${N} sequential commits)`,
  );
}

async function main(): Promise<void> {
  console.log(
    `delta-log bench — ${ROUNDS} measured rounds after ${WARMUP} warm-up rounds per engine, interleaved; times: median [p25–p75] best`,
  );
  const tables = { 'commits-10k': await commits10k(), 'adds-100k': await adds100k() };
  console.log('snapshot load vs delta-rs (same tables, same run)');
  const rs = new DeltaRs();
  try {
    for (const [name, dir] of Object.entries(tables)) await compareLoad(name, dir, rs);
  } finally {
    rs.close();
  }
  console.log('commit cost vs table size');
  await commitScaling();
  console.log('commit latency on the local S3 server');
  await s3CommitLatency();
  console.log('checkpoint cost vs tombstones (same tables, same run)');
  await checkpointCost();
}

await main();
