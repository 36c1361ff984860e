/**
 * delta-rs (Python `deltalake`) as a long-lived child process, so rounds can alternate with ours without paying
 * Python's start-up each time. One request per line (a table path), one JSON answer per line.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createInterface, type Interface } from 'node:readline';
import { readersEnv } from '@delta-writer/test-readers';
import type { Sample } from './stats.js';

const LOAD_SERVER = `
import sys, time, json
from deltalake import DeltaTable
for line in sys.stdin:
    path = line.strip()
    t0, c0 = time.perf_counter(), time.process_time()
    dt = DeltaTable(path)
    n = len(dt.file_uris())
    wall, cpu = (time.perf_counter() - t0) * 1000, (time.process_time() - c0) * 1000
    print(json.dumps({"wall": wall, "cpu": cpu, "files": n, "version": dt.version()}), flush=True)
`;

export class DeltaRs {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly lines: Interface;
  private readonly pending: Array<(line: string) => void> = [];

  /** `server`: a Python loop answering each line of stdin with one JSON line (default: the timed load). */
  constructor(server = LOAD_SERVER) {
    const { python, env } = readersEnv();
    this.child = spawn(python, ['-u', '-c', server], { env, stdio: 'pipe' });
    this.child.stderr.on('data', (d: Buffer) => process.stderr.write(d));
    this.lines = createInterface({ input: this.child.stdout });
    this.lines.on('line', (line) => this.pending.shift()?.(line));
  }

  /** `DeltaTable(path)` + `file_uris()`, timed inside the Python process. */
  load(path: string): Promise<Sample & { files: number }> {
    return this.ask(path);
  }

  /** Sends one request line and resolves with the server's JSON answer. */
  ask<T>(line: string): Promise<T> {
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`delta-rs process exited (${code})`));
      this.child.once('exit', onExit);
      this.pending.push((line) => {
        this.child.off('exit', onExit);
        resolve(JSON.parse(line));
      });
      this.child.stdin.write(`${line}\n`);
    });
  }

  close(): void {
    this.child.stdin.end();
    this.lines.close();
  }
}
