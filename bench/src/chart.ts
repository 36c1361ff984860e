/**
 * The PNG chart of a report, drawn by matplotlib (bench/src/chart.py) in the bench's venv, `.cache/bench-py`, with
 * the exact versions of bench/requirements.txt (the Python peer runs there too); created on first use and again
 * when the pins change.
 * The Python is BENCH_PYTHON, else the readers' DW_PYTHON (.data/readers.env), else python3.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnvFile } from '@delta-writer/e2e/src/stack.js';
import { type BenchReport, type Figure, ratioValue } from './report.js';

interface Panel {
  title: string;
  unit: string;
  /** A log scale, where the bars span orders of magnitude (throughput against its baselines). */
  log: boolean;
  bars: { label: string; value: number | null; goal: number | null }[];
}

const PANELS: { group: string; title: string }[] = [
  { group: 'append', title: 'Append vs baselines (events/s, log)' },
  { group: 'latency', title: 'Latency, produce → visible (ms)' },
  { group: 'cpu', title: 'Ingestor CPU per event, steady state (µs)' },
  { group: 'memory', title: 'Peak RSS, append runs (MiB)' },
  { group: 'upsert', title: 'Mirror upsert (events/s)' },
  { group: 'committer', title: 'Committer (per second)' },
];

/** What the chart shows, by panel (pure, so it is tested). */
export function chartPanels(report: BenchReport): Panel[] {
  const bar = (f: Figure) => ({
    label: f.name,
    value: Number.isFinite(f.value) ? f.value : null,
    goal: f.goal?.value ?? null,
  });
  const panels: Panel[] = [];
  for (const { group, title } of PANELS) {
    const figures = report.figures.filter(
      (f) => f.group === group || (group === 'append' && f.group === 'baseline'),
    );
    if (figures.length > 0)
      panels.push({ title, unit: figures[0]?.unit ?? '', log: group === 'append', bars: figures.map(bar) });
  }
  const ratios = report.ratios.map((r) => ({
    label: r.name,
    value: ratioValue(report, r) ?? null,
    goal: r.goal?.value ?? null,
  }));
  if (ratios.length > 0) panels.push({ title: 'Ratios (×)', unit: '×', log: false, bars: ratios });
  return panels;
}

function python(root: string): string {
  if (process.env.BENCH_PYTHON) return process.env.BENCH_PYTHON;
  const readers = join(root, '.data', 'readers.env');
  const fromReaders = existsSync(readers) ? parseEnvFile(readFileSync(readers, 'utf8')).DW_PYTHON : undefined;
  return fromReaders && existsSync(fromReaders) ? fromReaders : 'python3';
}

/** The bench venv's python (chart and peer), installing the pinned packages when it is missing or its pins changed. */
export function benchPython(root: string): string {
  const venv = join(root, '.cache', 'bench-py');
  const requirements = join(root, 'bench', 'requirements.txt');
  const stamp = join(venv, '.requirements.sha256');
  const want = createHash('sha256').update(readFileSync(requirements)).digest('hex');
  const bin = join(venv, 'bin', 'python');
  if (!existsSync(bin) || !existsSync(stamp) || readFileSync(stamp, 'utf8') !== want) {
    process.stderr.write('bench: installing the Python packages (chart, peer) into .cache/bench-py\n');
    execFileSync(python(root), ['-m', 'venv', venv], { stdio: 'inherit' });
    execFileSync(
      bin,
      [
        '-m',
        'pip',
        'install',
        '--quiet',
        '--disable-pip-version-check',
        '--only-binary',
        ':all:',
        '-r',
        requirements,
      ],
      {
        stdio: 'inherit',
      },
    );
    writeFileSync(stamp, want);
  }
  return bin;
}

export function drawChart(root: string, report: BenchReport, jsonFile: string, pngFile: string): void {
  const spec = {
    title: `Delta Writer benchmark ${report.machine.date} — ${report.machine.cores} cores, load ${report.machine.loadStart[0]?.toFixed(1)}, ${report.machine.commit.slice(0, 10)}`,
    panels: chartPanels(report),
  };
  writeFileSync(jsonFile, JSON.stringify(spec, null, 2));
  execFileSync(benchPython(root), [join(root, 'bench', 'src', 'chart.py'), jsonFile, pngFile], {
    stdio: 'inherit',
  });
}
