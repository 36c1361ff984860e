/**
 * Figures taken from the committer's own benches, run as they are (child processes, their printed lines parsed):
 * - `apps/committer/bench/run.ts`: a real committer process, concurrent gRPC clients streaming manifests as
 *   ingestors do; manifests/s and commits/s with group commit off (baseline) and on;
 * - `apps/committer/bench/mirror-upsert.ts`: mirror-table upserts through the committer's production commit path
 *   (prepareMirrorCommit → Delta MERGE commit → finishMirrorCommit, key index in Redis) into a 10k-row and a
 *   1M-row table.
 * The benches' output is their interface here: when it changes, the parse fails with the line it could not read.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { Progress } from './progress.js';

export interface GroupCommitRow {
  mode: string;
  manifestsPerSecond: number;
  commitsPerSecond: number;
}

export interface UpsertRow {
  tableRows: number;
  rowsPerSecond: number;
  commitMs: number;
  prepareMs: number;
  indexRebuildSeconds: number;
  /** Writing each batch's data file (the ingestors' work in production), ms per commit. */
  fileMs: number;
  /** Committer path and file writing together in one thread. */
  withFilesPerSecond: number;
}

const num = (s: string | undefined) => Number((s ?? '').replaceAll(',', ''));

/** Rows of the committer bench's table: `<mode>  <manifests/s>  <commits/s>  …`. */
export function parseGroupCommit(output: string): GroupCommitRow[] {
  const rows: GroupCommitRow[] = [];
  for (const line of output.split('\n')) {
    const m = /^(group commit o(?:n|ff))\s+([\d.]+)\s+([\d.]+)/.exec(line.trim());
    if (m) rows.push({ mode: m[1] as string, manifestsPerSecond: num(m[2]), commitsPerSecond: num(m[3]) });
  }
  if (rows.length !== 2) throw new Error(`committer bench: expected two result rows in:\n${output}`);
  return rows;
}

/**
 * Lines of the mirror bench: `table 10,000 rows (1 files): 10,214 rows/s, 96 ms per commit (prepare 81 ms, …), index
 * rebuild 0.6 s; writing each batch's data file 80 ms more (…; together 11,363 rows/s in one thread)`.
 */
export function parseMirrorUpsert(output: string): UpsertRow[] {
  const rows: UpsertRow[] = [];
  const re =
    /table ([\d,]+) rows \(\d+ files\): ([\d,]+) rows\/s, (\d+) ms per commit \(prepare (\d+) ms.*index rebuild ([\d.]+) s; writing each batch's data file (\d+) ms more .*together ([\d,]+) rows\/s/;
  for (const line of output.split('\n')) {
    const m = re.exec(line);
    if (m)
      rows.push({
        tableRows: num(m[1]),
        rowsPerSecond: num(m[2]),
        commitMs: num(m[3]),
        prepareMs: num(m[4]),
        indexRebuildSeconds: num(m[5]),
        fileMs: num(m[6]),
        withFilesPerSecond: num(m[7]),
      });
  }
  if (rows.length === 0) throw new Error(`mirror upsert bench: no result line in:\n${output}`);
  return rows;
}

/** Runs a bench script of apps/committer from its sources (tsx), returning its stdout; progress shows its lines. */
export function runCommitterBench(
  root: string,
  script: string,
  env: Record<string, string>,
  progress: Progress,
  timeoutMs: number,
): Promise<string> {
  const cwd = join(root, 'apps', 'committer');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', script], {
      cwd,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      const last = out.trimEnd().split('\n').pop() ?? '';
      progress.update(last.trim().slice(0, 90));
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      err += chunk;
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`${script} exited with ${code ?? signal}:\n${out}\n${err.slice(-2000)}`));
    });
  });
}
