/**
 * vitest globalSetup: names the session the scenario figures are collected under, and at the end prints them as one
 * table; the long run also saves it to e2e/results/<date>.md.
 */
import { appendFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { LONG } from '../budget.js';
import { REPO_ROOT } from '../harness/paths.js';
import { readRuns, renderTable } from './record.js';

declare module 'vitest' {
  export interface ProvidedContext {
    e2eSession: string;
  }
}

export function setup(project: TestProject): () => void {
  const started = new Date();
  const session = `${started.toISOString().replace(/[:.]/g, '-')}-${process.pid}`;
  project.provide('e2eSession', session);
  return () => {
    const runs = readRuns(session);
    if (runs.length === 0) return;
    const minutes = ((Date.now() - started.getTime()) / 60_000).toFixed(1);
    const table = renderTable(runs);
    process.stdout.write(`\ne2e scenarios (${LONG ? 'long' : 'short'} profile, ${minutes} min):\n${table}\n`);
    if (!LONG) return;
    const dir = join(REPO_ROOT, 'e2e', 'results');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `${started.toISOString().slice(0, 10)}.md`);
    const section = [
      `## ${started.toISOString()} — \`pnpm --filter @delta-writer/e2e test:e2e:long\``,
      '',
      `${minutes} min on ${cpus().length} cores, load average at the end ${loadavg()[0]?.toFixed(1)}. Recovery: from the end of`,
      'the fault (process killed, service back) until everything produced before the fault was committed.',
      '',
      table,
      '',
    ].join('\n');
    if (existsSync(file)) appendFileSync(file, `\n${section}`);
    else writeFileSync(file, `# e2e results ${started.toISOString().slice(0, 10)}\n\n${section}`);
    process.stdout.write(`saved to ${file}\n`);
  };
}
