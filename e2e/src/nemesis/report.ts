/**
 * The nemesis's figures: every run is appended as a JSON line to `.data/e2e/nemesis/<session>.jsonl` the moment it
 * ends (a long profile stopped half-way keeps what it did), and turned into the table e2e/results/<date>.md records
 * — one row per fault kind (a run counts under every kind it had), runs, events, lost, duplicated, recovery median
 * and max, and the seeds of the failed runs.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../harness/paths.js';
import type { NemesisOptions, NemesisResult } from './run.js';
import { FAULT_LABELS } from './schedule.js';

export function nemesisLog(session: string): string {
  const dir = join(REPO_ROOT, '.data', 'e2e', 'nemesis');
  mkdirSync(dir, { recursive: true });
  return join(dir, `${session}.jsonl`);
}

export function appendResult(file: string, result: NemesisResult): void {
  appendFileSync(file, `${JSON.stringify(result)}\n`);
}

/** The runs of a session's log; a line cut short (the process killed while writing it) is skipped, and said. */
export function readResults(file: string): NemesisResult[] {
  if (!existsSync(file)) return [];
  const results: NemesisResult[] = [];
  for (const [i, line] of readFileSync(file, 'utf8').split('\n').entries()) {
    if (!line.trim()) continue;
    try {
      results.push(JSON.parse(line) as NemesisResult);
    } catch {
      process.stderr.write(`nemesis: ${file}:${i + 1} is not a whole result (cut short?): skipped\n`);
    }
  }
  return results;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function row(label: string, runs: NemesisResult[]): string {
  const sum = (f: (r: NemesisResult) => number) => runs.reduce((n, r) => n + f(r), 0);
  // runs recorded before recoveries were clamped at 0 (run.ts) may hold a few hundred negative milliseconds
  const rec = runs
    .flatMap((r) => (r.recoveryMs === undefined ? [] : [Math.max(0, r.recoveryMs)]))
    .sort((a, b) => a - b);
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

/** A results section: when, how long, the machine's load, the settings, the table and the failures. */
export function renderSection(
  results: NemesisResult[],
  meta: { startedAt: Date; minutes: number; loads: number[]; options: NemesisOptions; sessions: number },
): string {
  const loads = [...meta.loads].sort((a, b) => a - b);
  const load = loads.length
    ? `load average median ${loads[Math.floor(loads.length / 2)]?.toFixed(1)}, max ${loads.at(-1)?.toFixed(1)}`
    : 'load average not sampled';
  const seeds = results.map((r) => r.seed).sort((a, b) => a - b);
  const o = meta.options;
  const phases = ['start', 'window', 'heal', 'drain', 'check', 'stop']
    .map((p) => {
      const ms = results.flatMap((r) => (r.phases?.[p] === undefined ? [] : [r.phases[p] as number]));
      return ms.length
        ? `${p} ${seconds(ms.sort((a, b) => a - b)[Math.floor((ms.length - 1) / 2)] as number)}`
        : '';
    })
    .filter(Boolean)
    .join(', ');
  return [
    `## ${meta.startedAt.toISOString()} — nemesis: ${results.length} schedules (\`test:nemesis\`${meta.sessions > 1 ? `, ${meta.sessions} sessions side by side on their own stacks` : ''})`,
    '',
    `${meta.minutes.toFixed(1)} min; ${load} on ${availableParallelism()} CPUs; per run ${o.ratePerSec} events/s over a ${o.windowMs / 1000} s fault window with up to ${o.maxFaults} faults; seeds ${seeds[0]}…${seeds.at(-1)}. ${phases ? `A run's time, median by phase: ${phases}. ` : ''}Recovery: from the heal (every link whole, every process and service up) until everything produced was committed. A run counts under each kind of fault it had. Lost: events with no row in the changelog after the drain; in a stalled run (not everything committed ${o.drainTimeoutMs / 60_000} min after the heal) they are still in Kafka, uncommitted — the pipeline stopped, it did not drop them.`,
    '',
    renderNemesisTable(results),
    '',
    renderFailures(results),
    '',
  ].join('\n');
}
