/**
 * One service process of the pipeline (a committer or an ingestor), started from its built entry point with its
 * own environment. Output goes to a log file (kept after the run, for post-mortems) and its JSON log lines are
 * parsed, so tests can wait for a message or react to one the moment it is logged.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface LogLine {
  readonly msg?: string;
  readonly level?: number;
  readonly time?: number;
  readonly [key: string]: unknown;
}

export type LineMatch = string | ((line: LogLine) => boolean);

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

const KEPT_LINES = 20_000;
const live = new Set<ChildProcess>();
// A test process that dies must not leave services running that keep committing into the next run's tables.
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

export class ManagedProcess {
  readonly lines: LogLine[] = [];
  readonly exited: Promise<Exit>;
  readonly startedAt = Date.now();
  private readonly child: ChildProcess;
  private readonly listeners = new Set<(line: LogLine) => void>();
  private exit: Exit | undefined;

  constructor(
    readonly name: string,
    entry: string,
    env: Record<string, string>,
    readonly dir: string,
  ) {
    const log = createWriteStream(this.logFile, { flags: 'a' });
    this.child = spawn(process.execPath, [entry], {
      cwd: dir, // never the repo root: the ingestor reads a `.env` from its working directory
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    live.add(this.child);
    let partial = '';
    this.child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      log.write(chunk);
      partial += chunk;
      for (let nl = partial.indexOf('\n'); nl >= 0; nl = partial.indexOf('\n')) {
        this.onLine(partial.slice(0, nl));
        partial = partial.slice(nl + 1);
      }
    });
    this.child.stderr?.setEncoding('utf8').on('data', (chunk: string) => log.write(chunk));
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        live.delete(this.child);
        this.exit = { code, signal };
        log.end(`\n==== e2e: ${this.name} exited (code ${code}, signal ${signal})\n`);
        resolve(this.exit);
      });
    });
  }

  get logFile(): string {
    return join(this.dir, `${this.name}.log`);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.exit === undefined;
  }

  /** The first log line that matches, already logged or to come; rejects on timeout or if the process exits. */
  waitFor(match: LineMatch, timeoutMs = 90_000): Promise<LogLine> {
    const test = typeof match === 'string' ? (l: LogLine) => l.msg === match : match;
    const found = this.lines.find(test);
    if (found) return Promise.resolve(found);
    const what = typeof match === 'string' ? `'${match}'` : 'the expected line';
    return new Promise((resolve, reject) => {
      const done = (fn: () => void) => {
        clearTimeout(timer);
        this.listeners.delete(listener);
        fn();
      };
      const listener = (line: LogLine) => {
        if (test(line)) done(() => resolve(line));
      };
      const timer = setTimeout(
        () =>
          done(() =>
            reject(new Error(`${this.name} did not log ${what} within ${timeoutMs} ms; ${this.tail()}`)),
          ),
        timeoutMs,
      );
      this.listeners.add(listener);
      void this.exited.then((e) =>
        done(() =>
          reject(
            new Error(`${this.name} exited (${e.code ?? e.signal}) before logging ${what}; ${this.tail()}`),
          ),
        ),
      );
    });
  }

  /** Calls `fn` for every line from now on; returns the unsubscribe function. */
  onEachLine(fn: (line: LogLine) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** kill -9: no cleanup of any kind runs in the process. */
  kill(): Promise<Exit> {
    if (this.running) this.child.kill('SIGKILL');
    return this.exited;
  }

  /** SIGSTOP: the process freezes (a long GC pause, a throttled container) until {@link cont}. */
  freeze(): void {
    if (this.running) this.child.kill('SIGSTOP');
  }

  /** SIGCONT after {@link freeze}; harmless on a process that runs. */
  cont(): void {
    if (this.running) this.child.kill('SIGCONT');
  }

  /** SIGTERM (graceful stop), then SIGKILL if the process has not exited after `graceMs`. */
  async stop(graceMs = 40_000): Promise<Exit> {
    if (!this.running) return this.exited;
    this.child.kill('SIGTERM');
    this.child.kill('SIGCONT'); // a frozen process would hold the SIGTERM until SIGKILL
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    const exit = await this.exited;
    clearTimeout(timer);
    return exit;
  }

  /** Resident memory of the process now, from /proc (Linux); undefined once it has exited. */
  rssBytes(): number | undefined {
    if (!this.running || this.pid === undefined) return undefined;
    try {
      const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
      const kb = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
      return kb === undefined ? undefined : Number(kb) * 1024;
    } catch {
      return undefined;
    }
  }

  /** The last lines of the log file, for error messages. */
  tail(lines = 15): string {
    let text = '';
    try {
      text = readFileSync(this.logFile, 'utf8');
    } catch {
      return `no log at ${this.logFile}`;
    }
    return `log ${this.logFile} ends with:\n${text.trimEnd().split('\n').slice(-lines).join('\n')}`;
  }

  private onLine(text: string): void {
    if (!text.startsWith('{')) return;
    let line: LogLine;
    try {
      line = JSON.parse(text) as LogLine;
    } catch {
      return;
    }
    this.lines.push(line);
    if (this.lines.length > KEPT_LINES) this.lines.splice(0, this.lines.length - KEPT_LINES);
    for (const listener of [...this.listeners]) listener(line);
  }
}
