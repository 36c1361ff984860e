/**
 * The nemesis's figures: every run is appended as a JSON line to `.data/e2e/nemesis/<session>.jsonl` the moment it
 * ends (a long profile stopped half-way keeps what it did), and turned into the table e2e/results/<date>.md records
 * — one row per fault kind (a run counts under every kind it had), runs, events, lost, duplicated, recovery median
 * and max, and the seeds of the failed runs.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../harness/paths.js';
import type { NemesisResult } from './run.js';
import { FAULT_LABELS } from './schedule.js';

export function nemesisLog(session: string): string {
  const dir = join(REPO_ROOT, '.data', 'e2e', 'nemesis');
  mkdirSync(dir, { recursive: true });
  return join(dir, `${session}.jsonl`);
}

export function appendResult(file: string, result: NemesisResult): void {
  appendFileSync(file, `${JSON.stringify(result)}\n`);
}

export function readResults(file: string): NemesisResult[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as NemesisResult);
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function row(label: string, runs: NemesisResult[]): string {
  const sum = (f: (r: NemesisResult) => number) => runs.reduce((n, r) => n + f(r), 0);
  const rec = runs.flatMap((r) => (r.recoveryMs === undefined ? [] : [r.recoveryMs])).sort((a, b) => a - b);
  const recovery = rec.length
    ? `${seconds(rec[Math.floor((rec.length - 1) / 2)] as number)} / ${seconds(rec.at(-1) as number)}`
    : '—';
  const failed = runs.filter((r) => r.failed).map((r) => r.seed);
  const stalled = runs.filter((r) => r.stalled).length;
  return `| ${label} | ${runs.length} | ${sum((r) => r.events)} | ${sum((r) => r.lost)} | ${sum((r) => r.duplicated)} | ${stalled} | ${recovery} | ${failed.length ? `${failed.length}: ${failed.join(', ')}` : '0'} |`;
}

/** The table by fault kind, with a last row over all runs. */
export function renderNemesisTable(results: NemesisResult[]): string {
  const lines = [
    '| fault kind | runs | events | lost | duplicated | stalled runs | recovery (median / max) | failed runs: seeds |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const label of FAULT_LABELS) {
    const runs = results.filter((r) => r.labels.includes(label));
    if (runs.length > 0) lines.push(row(label, runs));
  }
  lines.push(row('**all runs**', results));
  return lines.join('\n');
}

/** Each failed run: seed, schedule, first problems, where its logs are. */
export function renderFailures(results: NemesisResult[]): string {
  const failed = results.filter((r) => r.failed);
  if (failed.length === 0) return 'No run failed.';
  return failed
    .map(
      (r) =>
        `- seed **${r.seed}** (${r.schedule}): ${r.problems
          .slice(0, 3)
          .map((p) => p.split('\n')[0]?.slice(0, 300))
          .join(' / ')} — logs \`${r.logs.replace(`${REPO_ROOT}/`, '')}\``,
    )
    .join('\n');
}

/** Appends a section to e2e/results/<date>.md (the file is created with its title when new). */
export function saveSection(date: string, section: string): string {
  const dir = join(REPO_ROOT, 'e2e', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${date}.md`);
  if (existsSync(file)) appendFileSync(file, `\n${section}`);
  else writeFileSync(file, `# e2e results ${date}\n\n${section}`);
  return file;
}
