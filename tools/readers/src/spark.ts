import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { PACKAGE_DIR, readersEnv } from './env.js';
import { ReaderError } from './process.js';
import type { ReadResult, SqlResult, WriteResult, WriteSpec } from './types.js';

export interface SparkOptions {
  /**
   * Extra environment for the server: DW_S3_ENDPOINT and AWS_* are read once, when Spark starts;
   * DW_SPARK_WARMUP=0 skips the warm-up write and read that makes the first request as fast as the rest.
   */
  env?: NodeJS.ProcessEnv;
  /** How long Spark may take to start; default 240 s (30-60 s is usual on 2 cores). */
  startTimeoutMs?: number;
}

/** One long-lived Spark + Delta session (spark_server.py); requests run one at a time, in order. */
export interface SparkSession {
  /** Milliseconds until the server was ready: session start plus one warm-up write and read. */
  readonly startupMs: number;
  /** Milliseconds the Spark session alone took to start. */
  readonly sessionMs: number;
  readonly sparkVersion: string;
  read(uri: string, opts?: { version?: number }): Promise<ReadResult>;
  write(uri: string, spec: WriteSpec): Promise<WriteResult>;
  /** Any Spark SQL, e.g. "SELECT count(*) AS n FROM delta.`/path`"; rows in the DW encoding. */
  sql(query: string): Promise<SqlResult>;
  /** What the session holds between requests (it forgets each request's tables once it answered). */
  cached(): Promise<{ persistentRdds: number }>;
  /** Stops Spark and waits for the process to end. */
  close(): Promise<void>;
}

interface Pending {
  resolve: (result: unknown) => void;
  reject: (err: Error) => void;
  what: string;
}

type ServerLine =
  | { ready: true; startupMs: number; sessionMs: number; sparkVersion: string }
  | { ready: false; error: string; traceback: string }
  | { id: number; ok: true; result: unknown }
  | { id: number | null; ok: false; error: string; traceback: string };

const STDERR_KEPT = 64 * 1024;

export async function startSpark(opts: SparkOptions = {}): Promise<SparkSession> {
  const { python, env } = readersEnv({ ...process.env, ...opts.env });
  const child = spawn(python, [join(PACKAGE_DIR, 'spark_server.py')], {
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_KEPT);
  });
  const pending = new Map<number, Pending>();
  let nextId = 1;
  let exited: string | undefined;
  let onReady: ((line: ServerLine) => void) | undefined;
  const failAll = (why: string) => {
    for (const p of pending.values())
      p.reject(new ReaderError(`Spark server ${why} during ${p.what}`, stderr));
    pending.clear();
  };

  createInterface({ input: child.stdout }).on('line', (text) => {
    let line: ServerLine;
    try {
      line = JSON.parse(text) as ServerLine;
    } catch {
      stderr = `${stderr}\n[stdout, not protocol] ${text}`.slice(-STDERR_KEPT);
      return;
    }
    if ('ready' in line) {
      onReady?.(line);
      return;
    }
    const waiter = line.id === null ? undefined : pending.get(line.id);
    if (!waiter || line.id === null) return;
    pending.delete(line.id);
    if (line.ok) waiter.resolve(line.result);
    else
      waiter.reject(
        new ReaderError(`Spark ${waiter.what} failed: ${line.error}`, `${line.traceback}\n${stderr}`),
      );
  });

  const ready = new Promise<{ startupMs: number; sessionMs: number; sparkVersion: string }>(
    (resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new ReaderError(`Spark did not start within ${opts.startTimeoutMs ?? 240_000} ms`, stderr));
      }, opts.startTimeoutMs ?? 240_000);
      onReady = (line) => {
        clearTimeout(timer);
        if ('ready' in line && line.ready) resolve(line);
        else if ('ready' in line) reject(new ReaderError(`Spark did not start: ${line.error}`, stderr));
      };
      child.on('exit', (code, signal) => {
        exited = signal ? `was killed by ${signal}` : `exited with ${code}`;
        clearTimeout(timer);
        reject(new ReaderError(`Spark server ${exited} before it was ready`, stderr));
        failAll(exited);
      });
      child.on('error', (err) => {
        clearTimeout(timer);
        reject(new ReaderError(`could not start ${python}: ${err.message}`, stderr));
      });
    },
  );
  const { startupMs, sessionMs, sparkVersion } = await ready;

  const request = <T>(what: string, body: Record<string, unknown>) =>
    new Promise<T>((resolve, reject) => {
      if (exited) {
        reject(new ReaderError(`Spark server ${exited}; cannot run ${what}`, stderr));
        return;
      }
      const id = nextId++;
      pending.set(id, { resolve: resolve as (r: unknown) => void, reject, what });
      child.stdin.write(`${JSON.stringify({ id, ...body })}\n`);
    });

  return {
    startupMs,
    sessionMs,
    sparkVersion,
    read: (uri, readOpts = {}) =>
      request<ReadResult>(`read ${uri}`, { op: 'read', uri, version: readOpts.version ?? null }),
    write: (uri, spec) => request<WriteResult>(`write ${uri}`, { op: 'write', uri, spec }),
    sql: (query) => request<SqlResult>(`sql ${query}`, { op: 'sql', query }),
    cached: () => request<{ persistentRdds: number }>('cached', { op: 'cached' }),
    close: () => stop(child, () => exited),
  };
}

/** End of stdin tells the server to stop Spark; a server that does not stop within 60 s is killed. */
function stop(child: ChildProcessWithoutNullStreams, exited: () => string | undefined): Promise<void> {
  if (exited()) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.stdin.end();
  });
}
