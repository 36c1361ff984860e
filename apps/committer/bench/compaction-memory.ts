/**
 * The memory one compaction needs: the peak RSS of a fresh process that compacts one bin, against the same bin
 * written the way the worker wrote it before (the whole table serialized to Arrow IPC and copied into parquet-wasm's
 * heap at once: `writeParquet`), in the same run, alternated. The soak's leader went from ~0.7 GiB to 2.2 GiB during
 * its compactions (e2e/results/2026-12-06.md); this isolates one bin of the same shape: ~700 small files of a mirror
 * table (key, op, a JSON document of ~1 KB), written by `writeDataFile` on a local directory (no S3: memory, not I/O,
 * is measured). `mirror` compacts the same files in a table whose deletion vectors delete 11 rows in 12, as a mirror
 * table's are by then (the worker's `compactMirror`): it writes little, and what it needs is the reading.
 *
 *   ./dw pnpm --filter @delta-writer/committer bench:compaction-memory
 *   BENCH_FILES=700 BENCH_ROWS_PER_FILE=250 BENCH_ROUNDS=3 to change the bin.
 *
 * Each measurement is its own process (`--measure=<mode>`), so one mode's heap does not carry into the other's.
 *
 * Then the floor: what the process keeps after compactions that each ran in a worker thread which then ended, as the
 * committer's pool runs them — with glibc's defaults and with `MALLOC_MMAP_THRESHOLD_` fixed, as the committer's
 * image sets it. By default glibc raises its mmap threshold each time a large block is freed, so later large blocks
 * (Arrow buffers, WebAssembly memory) come from the heap, which fragments and is not given back.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import {
  type AddFile,
  commit,
  createTable,
  deleteRows,
  FsStorage,
  Snapshot,
  type Storage,
  writeDataFile,
  writeParquet,
} from '@delta-writer/delta-log';
import * as A from 'apache-arrow';
import { compactFiles } from '../src/maintenance/compact-worker.js';
import { compactMirror } from '../src/maintenance/mirror-worker.js';

const FLOOR_RUNS = Number(process.env.BENCH_FLOOR_RUNS ?? 6);
const FIXED_THRESHOLD = { MALLOC_MMAP_THRESHOLD_: '131072' };
const FILES = Number(process.env.BENCH_FILES ?? 700);
const ROWS_PER_FILE = Number(process.env.BENCH_ROWS_PER_FILE ?? 250);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const TABLE = 'bench/customers';
const MIRROR = 'bench/customers-mirror';
/** A mirror table's files are mostly deleted rows by the time they are compacted: one row in 12 lives here. */
const LIVE_EVERY = 12;
const MODES = ['whole', 'streamed', 'mirror'] as const;
type Mode = (typeof MODES)[number];

const WORDS =
  'alpha beta gamma delta epsilon zeta theta kappa lambda sigma omega north south east west'.split(' ');

function rows(file: number, n: number) {
  let seed = file * 7919 + 1;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const text = (words: number) =>
    Array.from({ length: words }, () => WORDS[Math.floor(rand() * 15)]).join(' ');
  const keys: string[] = [];
  const docs: string[] = [];
  const ts: bigint[] = [];
  for (let i = 0; i < n; i++) {
    keys.push(`{"id":"${(file * n + i).toString(16).padStart(24, '0')}"}`);
    docs.push(
      JSON.stringify({ name: text(3), address: { street: text(4), city: text(1) }, notes: text(120) }),
    );
    ts.push(BigInt(1_765_000_000_000 + file * 1000 + i));
  }
  return new A.Table({
    _key: A.vectorFromArray(keys, new A.Utf8()),
    _op: A.vectorFromArray(
      keys.map((_, i) => (i % 5 === 0 ? 'c' : 'u')),
      new A.Utf8(),
    ),
    _ts_ms: A.vectorFromArray(ts, new A.Int64()),
    doc: A.vectorFromArray(docs, new A.Utf8()),
  });
}

async function setUp(dir: string): Promise<{ storage: Storage; files: AddFile[]; parquetBytes: number }> {
  const storage = new FsStorage(dir);
  const created = await createTable(storage, TABLE, {
    schema: {
      type: 'struct',
      fields: [
        { name: '_key', type: 'string', nullable: false, metadata: {} },
        { name: '_op', type: 'string', nullable: false, metadata: {} },
        { name: '_ts_ms', type: 'long', nullable: false, metadata: {} },
        { name: 'doc', type: 'string', nullable: true, metadata: {} },
      ],
    },
  });
  const mirror = await createTable(storage, MIRROR, {
    schema: created.schema,
    configuration: { 'delta.enableDeletionVectors': 'true' },
  });
  const files: AddFile[] = [];
  const mirrorFiles: AddFile[] = [];
  for (let f = 0; f < FILES; f++) {
    const data = rows(f, ROWS_PER_FILE);
    files.push(await writeDataFile(created, data));
    mirrorFiles.push(await writeDataFile(mirror, data));
  }
  await commit(storage, created, { actions: files.map((add) => ({ add })), operation: 'WRITE' });
  const written = await commit(storage, mirror, {
    actions: mirrorFiles.map((add) => ({ add })),
    operation: 'WRITE',
  });
  const dead = Array.from({ length: ROWS_PER_FILE }, (_, r) => r).filter((r) => r % LIVE_EVERY !== 0);
  const { actions } = await deleteRows(written.snapshot, new Map(mirrorFiles.map((f) => [f.path, dead])));
  await commit(storage, written.snapshot, { actions, readFiles: mirrorFiles, operation: 'DELETE' });
  return { storage, files, parquetBytes: files.reduce((n, f) => n + f.size, 0) };
}

/** The worker's compaction before the streamed writer: the same reads, then one whole-table encode. */
async function compactWhole(snapshot: Snapshot, files: readonly AddFile[]): Promise<number> {
  const scan = snapshot.scan();
  const batches: A.RecordBatch[] = [];
  for (const file of scan.filesOf(files)) for (const b of await scan.readFile(file)) batches.push(b);
  const bytes = writeParquet(new A.Table(scan.arrowSchema, batches));
  await snapshot.storage.put(`${TABLE}/part-whole-${process.pid}.snappy.parquet`, bytes);
  return bytes.byteLength;
}

async function measure(dir: string, mode: Mode): Promise<void> {
  const storage = new FsStorage(dir);
  const tablePath = mode.startsWith('mirror') ? MIRROR : TABLE;
  const snapshot = await Snapshot.load(storage, tablePath);
  const files = [...snapshot.files()];
  const before = process.memoryUsage().rss;
  const started = performance.now();
  const task = {
    tablePath,
    version: snapshot.version,
    protocol: snapshot.protocol,
    metadata: snapshot.metadata,
    files,
  };
  const written =
    mode === 'whole'
      ? await compactWhole(snapshot, files)
      : mode === 'streamed'
        ? (await compactFiles(storage, task)).add.size
        : ((await compactMirror(storage, { ...task, kind: 'compactMirror', keep: [] })).add?.size ?? 0);
  const ms = performance.now() - started;
  // maxRSS is in KiB
  const peak = process.resourceUsage().maxRSS * 1024;
  process.stdout.write(`${JSON.stringify({ mode, before, peak, ms, written })}\n`);
}

const mib = (b: number) => (b / 2 ** 20).toFixed(0);

/** RSS after each of FLOOR_RUNS compactions, each in a worker thread that ends before the next one starts. */
async function floor(dir: string): Promise<void> {
  const after: number[] = [];
  for (let i = 0; i < FLOOR_RUNS; i++) {
    const worker = new Worker(fileURLToPath(new URL('./compaction-memory-worker.ts', import.meta.url)), {
      workerData: { dir, table: TABLE },
      execArgv: process.execArgv,
    });
    await new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    await worker.terminate();
    await new Promise((resolve) => setTimeout(resolve, 500));
    after.push(process.memoryUsage().rss);
  }
  process.stdout.write(`${JSON.stringify({ after, peak: process.resourceUsage().maxRSS * 1024 })}\n`);
}

async function main(): Promise<void> {
  const measuring = process.argv.find((a) => a.startsWith('--measure='));
  const dirArg = process.argv.find((a) => a.startsWith('--dir='))?.slice(6) ?? '';
  if (measuring) return measure(dirArg, measuring.slice(10) as Mode);
  if (process.argv.includes('--floor')) return floor(dirArg);
  const dir = mkdtempSync(join(tmpdir(), 'dw-compaction-memory-'));
  try {
    const { files, parquetBytes } = await setUp(dir);
    console.log(
      `bin: ${files.length} files × ${ROWS_PER_FILE} rows, ${mib(parquetBytes)} MiB of Parquet; ${ROUNDS} rounds, modes alternated, each in a fresh process`,
    );
    const results: Record<Mode, { peak: number[]; grew: number[]; ms: number[]; written: number }> = {
      whole: { peak: [], grew: [], ms: [], written: 0 },
      streamed: { peak: [], grew: [], ms: [], written: 0 },
      mirror: { peak: [], grew: [], ms: [], written: 0 },
    };
    const self = fileURLToPath(import.meta.url);
    for (let round = 0; round < ROUNDS; round++) {
      for (const mode of MODES) {
        const child = spawnSync(
          process.execPath,
          [...process.execArgv, self, `--measure=${mode}`, `--dir=${dir}`],
          { encoding: 'utf8', maxBuffer: 1 << 20 },
        );
        if (child.status !== 0) throw new Error(`${mode} failed: ${child.stderr}`);
        const r = JSON.parse(child.stdout.trim().split('\n').pop() ?? '{}') as {
          before: number;
          peak: number;
          ms: number;
          written: number;
        };
        results[mode].peak.push(r.peak);
        results[mode].grew.push(r.peak - r.before);
        results[mode].ms.push(r.ms);
        results[mode].written = r.written;
        console.log(
          `  round ${round + 1} ${mode.padEnd(15)} peak RSS ${mib(r.peak)} MiB (+${mib(r.peak - r.before)} over the process before it), ${(r.ms / 1000).toFixed(1)} s, wrote ${mib(r.written)} MiB`,
        );
      }
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
    console.log('\nmedian of the rounds:');
    for (const mode of MODES) {
      const r = results[mode];
      console.log(
        `  ${mode.padEnd(15)} peak RSS ${mib(median(r.peak))} MiB, growth ${mib(median(r.grew))} MiB, ${(median(r.ms) / 1000).toFixed(1)} s`,
      );
    }
    const ratio = median(results.whole.grew) / median(results.streamed.grew);
    console.log(`  growth, whole / streamed: ${ratio.toFixed(2)}×`);
    console.log(
      `\nfloor: RSS after each of ${FLOOR_RUNS} compactions in worker threads that ended (streamed), MiB:`,
    );
    for (const [name, env] of [
      ['glibc defaults', {}],
      ['MALLOC_MMAP_THRESHOLD_=131072', FIXED_THRESHOLD],
    ] as const) {
      const child = spawnSync(process.execPath, [...process.execArgv, self, '--floor', `--dir=${dir}`], {
        encoding: 'utf8',
        env: { ...process.env, ...env },
      });
      if (child.status !== 0) throw new Error(`floor failed: ${child.stderr}`);
      const r = JSON.parse(child.stdout.trim().split('\n').pop() ?? '{}') as {
        after: number[];
        peak: number;
      };
      console.log(`  ${name.padEnd(30)} ${r.after.map(mib).join(' → ')} (peak ${mib(r.peak)})`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
