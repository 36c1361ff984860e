/**
 * Real committer processes for failover tests: the entry point (src/main.ts, or the fault-injecting
 * faulty-committer.ts around the same process code) runs through tsx on the workspace sources.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { type AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';
import { stack } from './stack.js';

export const TOKEN = 'failover-test-token-0123456789';
const MAIN = join(import.meta.dirname, '..', '..', 'src', 'main.ts');
export const FAULTY = join(import.meta.dirname, 'faulty-committer.ts');

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

export interface LogLine {
  readonly msg: string;
  readonly [key: string]: unknown;
}

export interface CommitterProcess {
  readonly name: string;
  readonly address: string;
  readonly child: ChildProcess;
  readonly lines: LogLine[];
  /** Resolves with the first log line with this message (already logged or to come). */
  waitFor(msg: string, timeoutMs?: number): Promise<LogLine>;
  readonly exited: Promise<number | null>;
  stderr(): string;
}

export async function startCommitterProcess(
  name: string,
  env: Record<string, string>,
  entry: string = MAIN,
): Promise<CommitterProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', entry], {
    env: {
      PATH: process.env.PATH ?? '',
      ...stack().committerEnv,
      COMMITTER_ID: name,
      COMMITTER_TOKEN: TOKEN,
      COMMITTER_GRPC_HOST: '127.0.0.1',
      COMMITTER_GRPC_PORT: String(port),
      COMMITTER_ADVERTISED_ADDRESS: `127.0.0.1:${port}`,
      METRICS_PORT: '0',
      COMMITTER_GROUP_COMMIT_MAX_WAIT_MS: '20',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: LogLine[] = [];
  const waiters: { msg: string; resolve: (l: LogLine) => void }[] = [];
  let buffered = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
      const text = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      let line: LogLine;
      try {
        line = JSON.parse(text) as LogLine;
      } catch {
        continue;
      }
      lines.push(line);
      for (const w of waiters.filter((x) => x.msg === line.msg)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(line);
      }
    }
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-20_000);
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    name,
    address: `127.0.0.1:${port}`,
    child,
    lines,
    exited,
    stderr: () => stderr,
    waitFor(msg, timeoutMs = 60_000) {
      const found = lines.find((l) => l.msg === msg);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`${name} did not log '${msg}' within ${timeoutMs} ms; stderr: ${stderr}`)),
          timeoutMs,
        );
        waiters.push({
          msg,
          resolve: (l) => {
            clearTimeout(timer);
            resolve(l);
          },
        });
      });
    },
  };
}

/** Lease settings that make failover quick in tests (the defaults take up to 11 s). */
export function fastLease(prefix = `test:${randomUUID()}`): Record<string, string> {
  return {
    COMMITTER_LEASE_KEY: prefix,
    COMMITTER_LEASE_TTL_MS: '3000',
    COMMITTER_LEASE_RENEW_INTERVAL_MS: '1000',
    COMMITTER_LEASE_RETRY_INTERVAL_MS: '300',
  };
}

export async function killAll(processes: readonly CommitterProcess[]): Promise<void> {
  for (const p of processes)
    if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  await Promise.all(processes.map((p) => p.exited));
}
