/**
 * What the independent readers cost a test: a warm setup.sh, a delta-rs read and write of a small table,
 * Spark's start and its reads. Ratios are to a bare `python -c pass` measured in the same run (the floor
 * of any delta-rs call), and Spark reads to delta-rs reads of the same table.
 * Run: `./dw pnpm --filter @delta-writer/test-readers bench` (BENCH_ROUNDS, default 5).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readersEnv, readWithDeltaRs, startSpark, writeWithDeltaRs } from '../src/index.js';
import { ALL_TYPES, ALL_TYPES_ROWS } from '../test/support/tables.js';

const HERE = resolve(fileURLToPath(import.meta.url), '..');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

async function median(rounds: number, run: (i: number) => unknown): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const start = performance.now();
    await run(i);
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] ?? Number.NaN;
}

const ms = (x: number) => `${x.toFixed(0).padStart(7)} ms`;
const line = (name: string, x: number, base?: { name: string; value: number }) =>
  console.log(`${name.padEnd(38)}${ms(x)}${base ? `   ${(x / base.value).toFixed(1)}x ${base.name}` : ''}`);

const { python, env } = readersEnv();
const dir = mkdtempSync(join(tmpdir(), 'dw-readers-bench-'));
try {
  const spec = { schema: ALL_TYPES, partitionBy: ['region'], rows: ALL_TYPES_ROWS };
  const table = join(dir, 'small');
  await writeWithDeltaRs(table, spec);

  const pythonStart = await median(ROUNDS, () => execFileSync(python, ['-c', 'pass'], { env }));
  const base = { name: 'python start', value: pythonStart };
  console.log(`tools/readers bench: median of ${ROUNDS}; table = 3 rows x 19 columns, 2 partitions`);
  line('python -c pass (baseline)', pythonStart);
  line(
    'setup.sh, warm',
    await median(ROUNDS, () => execFileSync('bash', [join(HERE, '..', 'setup.sh')], { stdio: 'ignore' })),
    base,
  );
  const rsRead = await median(ROUNDS, () => readWithDeltaRs(table));
  line('delta-rs read (read_table.py)', rsRead, base);
  line(
    'delta-rs write, new table',
    await median(ROUNDS, (i) => writeWithDeltaRs(join(dir, `w${i}`), spec)),
    base,
  );

  const started = performance.now();
  const spark = await startSpark();
  const ready = performance.now() - started;
  try {
    line('Spark session start', spark.sessionMs, base);
    line('Spark server ready (start + warm-up)', ready, base);
    const rsReadBase = { name: 'delta-rs read', value: rsRead };
    line('Spark read, warm session', await median(ROUNDS, () => spark.read(table)), rsReadBase);
    line(
      'Spark write, new table',
      await median(ROUNDS, (i) => spark.write(join(dir, `s${i}`), spec)),
      rsReadBase,
    );
  } finally {
    await spark.close();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
