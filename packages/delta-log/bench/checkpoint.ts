/**
 * Checkpoint cost against the tombstones a table keeps, ours against delta-rs's `create_checkpoint` on the same
 * tables in the same run. A streaming table that compacts its small files keeps a tombstone for every file it
 * wrote during `delta.deletedFileRetentionDuration` (7 days: ~1M at 2 commits/s), and a writer checkpoints every
 * `delta.checkpointInterval` commits, so this cost is paid every few seconds by a busy committer.
 *
 * One round per engine: load the table (checkpoint at 2 + one commit), write the checkpoint of version 3, then the
 * bench deletes that checkpoint and restores `_last_checkpoint`, so every round does the same work. Rounds
 * alternate between the engines. Env: BENCH_CHECKPOINT_ROUNDS (default 5), BENCH_TOMBSTONES (default
 * `10000,100000`).
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FsStorage, Snapshot, writeCheckpoint } from '@delta-writer/delta-log';
import { DeltaRs } from './delta-rs.js';
import { describe, quantile, type Sample, sample } from './stats.js';
import { tombstonesTable } from './tables.js';

const ROUNDS = Number(process.env.BENCH_CHECKPOINT_ROUNDS ?? 5);
const WARMUP = 2;
const SIZES = (process.env.BENCH_TOMBSTONES ?? '10000,100000').split(',').map(Number);
const NEW_CHECKPOINT = '00000000000000000003.checkpoint.parquet';

const SERVER = `
import sys, time, json, os, pyarrow.parquet as pq
from deltalake import DeltaTable
for line in sys.stdin:
    path = line.strip()
    t0, c0 = time.perf_counter(), time.process_time()
    DeltaTable(path).create_checkpoint()
    wall, cpu = (time.perf_counter() - t0) * 1000, (time.process_time() - c0) * 1000
    rows = pq.ParquetFile(os.path.join(path, "_delta_log", "${NEW_CHECKPOINT}")).metadata.num_rows
    print(json.dumps({"wall": wall, "cpu": cpu, "rows": rows}), flush=True)
`;

interface Round extends Sample {
  rows: number;
}

function restore(dir: string, lastCheckpoint: string): void {
  rmSync(join(dir, '_delta_log', NEW_CHECKPOINT), { force: true });
  writeFileSync(join(dir, '_delta_log', '_last_checkpoint'), lastCheckpoint);
}

async function ours(dir: string): Promise<Round> {
  const { sample: s, value } = await sample(async () =>
    writeCheckpoint(await Snapshot.load(new FsStorage(dir))),
  );
  return { ...s, rows: value.numActions };
}

async function compare(tombstones: number, rs: DeltaRs): Promise<void> {
  const dir = await tombstonesTable(tombstones);
  const lastCheckpoint = readFileSync(join(dir, '_delta_log', '_last_checkpoint'), 'utf8');
  const mine: Round[] = [];
  const theirs: Round[] = [];
  let peakRss = 0;
  try {
    for (let i = 0; i < WARMUP + ROUNDS; i++) {
      const order = i % 2 === 0 ? ['ours', 'theirs'] : ['theirs', 'ours'];
      for (const who of order) {
        const round = who === 'ours' ? await ours(dir) : await rs.ask<Round>(dir);
        restore(dir, lastCheckpoint);
        peakRss = Math.max(peakRss, process.memoryUsage().rss);
        if (i >= WARMUP) (who === 'ours' ? mine : theirs).push(round);
      }
    }
  } finally {
    restore(dir, lastCheckpoint);
  }
  // both checkpoints hold the same actions: protocol, metadata, 1,001 adds and the tombstones
  const rows = new Set([...mine, ...theirs].map((r) => r.rows));
  if (rows.size !== 1) throw new Error(`checkpoints of ${dir} differ in rows: ${[...rows].join(', ')}`);
  const ratio = quantile(
    mine.map((m, i) => m.wall / (theirs[i] as Round).wall),
    0.5,
  );
  const perTombstone =
    (quantile(
      mine.map((m) => m.wall),
      0.5,
    ) /
      tombstones) *
    1000;
  console.log(`  ${tombstones.toLocaleString('en')} tombstones + 1,001 live files (${[...rows][0]} rows)`);
  console.log(
    `    delta-log  ${describe(mine.map((r) => r.wall))}   cpu ${describe(mine.map((r) => r.cpu))}`,
  );
  console.log(
    `    delta-rs   ${describe(theirs.map((r) => r.wall))}   cpu ${describe(theirs.map((r) => r.cpu))}`,
  );
  console.log(
    `    ratio      ${ratio.toFixed(2)}x median of ${mine.length} paired rounds; ours ${perTombstone.toFixed(1)} µs per tombstone, process RSS peak ${(peakRss / 2 ** 20).toFixed(0)} MiB`,
  );
}

export async function checkpointCost(): Promise<void> {
  const rs = new DeltaRs(SERVER);
  try {
    for (const n of SIZES) await compare(n, rs);
  } finally {
    rs.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(
    `checkpoint cost vs tombstones (${ROUNDS} rounds after ${WARMUP} warm-up per engine, interleaved)`,
  );
  await checkpointCost();
}
