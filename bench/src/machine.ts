/** Facts about the machine and the code a run measured, for the report (numbers mean little without them). */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem, type } from 'node:os';
import type { MachineFacts } from './report.js';

function git(root: string, args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: root, encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
}

export function machineFacts(root: string, date: string): MachineFacts {
  const uncommitted = git(root, ['status', '--porcelain', '--', 'apps', 'packages'])
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.slice(3));
  return {
    date,
    cores: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    memoryMiB: Math.round(totalmem() / 2 ** 20),
    node: process.version,
    os: `${type()} ${release()}`,
    loadStart: loadavg(),
    loadEnd: loadavg(),
    commit: git(root, ['log', '-1', '--format=%H %s']).slice(0, 100) || 'unknown',
    uncommitted,
  };
}

/** Peak resident memory of a process so far (`VmHWM`), in MiB; undefined once it has exited. */
export function peakRssMiB(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const kb = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? undefined : Number(kb) / 1024;
  } catch {
    return undefined;
  }
}
