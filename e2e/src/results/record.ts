/**
 * Scenario figures (runs, events, lost, duplicated, recovery time), written by the tests as JSON lines into the
 * session's file and turned into one table when the run ends (printed; saved to e2e/results/<date>.md by the long run).
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../harness/paths.js';

export interface ScenarioRun {
  scenario: string;
  events: number;
  lost: number;
  /** Of `lost`, the good events found in the dead-letter topic (schema refusals), not missing outright. */
  deadLettered?: number;
  duplicated: number;
  /** Fault over (process killed, service back) → everything produced before the fault committed; ms. */
  recoveryMs?: number | undefined;
  note?: string | undefined;
  failed?: boolean;
}

export function resultsFile(session: string): string {
  const dir = join(REPO_ROOT, '.data', 'e2e', 'results');
  mkdirSync(dir, { recursive: true });
  return join(dir, `${session}.jsonl`);
}

export function recordRun(session: string, run: ScenarioRun): void {
  appendFileSync(resultsFile(session), `${JSON.stringify(run)}\n`);
}

export function readRuns(session: string): ScenarioRun[] {
  const file = resultsFile(session);
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as ScenarioRun);
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** One Markdown row per scenario: runs, events, lost, duplicated, recovery (median and max). */
export function renderTable(runs: ScenarioRun[]): string {
  const byScenario = new Map<string, ScenarioRun[]>();
  for (const r of runs) byScenario.set(r.scenario, [...(byScenario.get(r.scenario) ?? []), r]);
  const lines = [
    '| scenario | runs | events | lost | of which dead-lettered | duplicated | recovery (median / max) | failed runs | notes |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const [scenario, list] of byScenario) {
    const sum = (f: (r: ScenarioRun) => number) => list.reduce((n, r) => n + f(r), 0);
    const rec = list.flatMap((r) => (r.recoveryMs === undefined ? [] : [r.recoveryMs])).sort((a, b) => a - b);
    const recovery = rec.length
      ? `${seconds(rec[Math.floor((rec.length - 1) / 2)] as number)} / ${seconds(rec.at(-1) as number)}`
      : '—';
    const notes = [...new Set(list.flatMap((r) => (r.note ? [r.note] : [])))].join('; ');
    lines.push(
      `| ${scenario} | ${list.length} | ${sum((r) => r.events)} | ${sum((r) => r.lost)} | ${sum((r) => r.deadLettered ?? 0)} | ${sum((r) => r.duplicated)} | ${recovery} | ${list.filter((r) => r.failed).length} | ${notes} |`,
    );
  }
  return lines.join('\n');
}
