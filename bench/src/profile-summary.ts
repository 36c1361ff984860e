/**
 * Where the time goes, from the `.cpuprofile` chunks that `--profile` writes (src/cpu-profile.mjs): self time per
 * thread, per code area (our packages, the apps, each npm package, Node internals, GC, idle) and the top functions.
 *
 *   node --import tsx bench/src/profile-summary.ts <dir> [top=25]
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { textTable } from './report.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
}

/** The code area of a script URL: `bson-arrow`, `apps/ingestor`, `npm:kafkajs`, `node`, or the V8 pseudo-frames. */
export function areaOf(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  // the profiler's own wrapper around an idle piscina worker's Atomics.wait
  if (url.endsWith('/cpu-profile.mjs')) return '(idle)';
  if (url.startsWith('node:')) return 'node';
  const pkg = /\/node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (pkg) return `npm:${pkg[1]}`;
  const ours = /\/(packages|apps)\/([^/]+)\//.exec(url);
  if (ours) return ours[1] === 'packages' ? (ours[2] as string) : `apps/${ours[2]}`;
  return 'other';
}

export function summarize(dir: string, top = 25): string {
  const byThread = new Map<string, number>();
  const byArea = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let total = 0;
  const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))) {
    const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile;
    const samples = profile.samples?.length ?? 0;
    if (samples === 0) continue;
    const msPerSample = (profile.endTime - profile.startTime) / 1000 / samples;
    const thread = file.replace(/-\d+-(main|worker\d+)-\d+\.cpuprofile$/, '-$1');
    for (const node of profile.nodes) {
      const ms = (node.hitCount ?? 0) * msPerSample;
      if (ms === 0) continue;
      const { functionName, url, lineNumber } = node.callFrame;
      const area = areaOf(url, functionName);
      if (area === '(idle)') {
        add(byThread, `${thread} (idle)`, ms);
        continue;
      }
      total += ms;
      add(byThread, thread, ms);
      add(byArea, area, ms);
      const where = url
        ? `${url.replace(/^.*\/(packages|apps|node_modules)\//, '$1/')}:${lineNumber + 1}`
        : '';
      add(byFunction, `${functionName || '(anonymous)'} ${where}`.trim(), ms);
    }
  }
  const rows = (m: Map<string, number>, n: number, of: number) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, v]) => [k, `${(v / 1000).toFixed(1)} s`, `${((100 * v) / of).toFixed(1)} %`]);
  return [
    `busy CPU time in the profiles: ${(total / 1000).toFixed(1)} s`,
    '',
    textTable(['thread', 'CPU', 'share'], rows(byThread, 50, total)),
    '',
    textTable(['area', 'self', 'share'], rows(byArea, 20, total)),
    '',
    textTable(['function', 'self', 'share'], rows(byFunction, top, total)),
  ].join('\n');
}

if (process.argv[1]?.endsWith('profile-summary.ts')) {
  const dir = process.argv[2];
  if (!dir) throw new Error('usage: profile-summary.ts <dir with .cpuprofile files> [top]');
  console.log(summarize(dir, Number(process.argv[3] ?? 25)));
}
