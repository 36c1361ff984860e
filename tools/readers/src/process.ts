import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { PACKAGE_DIR, readersEnv } from './env.js';

/** A failure of an independent reader, with what its Python process said. */
export class ReaderError extends Error {
  override name = 'ReaderError';
  constructor(
    message: string,
    /** The Python stderr (for the Spark server: its most recent part). */
    readonly stderr: string,
  ) {
    super(stderr.trim() ? `${message}\n--- python stderr ---\n${stderr.trim()}` : message);
  }
}

export interface RunOptions {
  /** Extra environment for the Python process (e.g. S3 settings); merged over process.env. */
  env?: NodeJS.ProcessEnv;
  /** Kill the process after this long; default 120 s. */
  timeoutMs?: number;
}

/** Runs one of the readers' scripts and parses the one JSON document it prints. */
export function runScript<T>(
  script: string,
  args: string[],
  stdin: string | undefined,
  opts: RunOptions = {},
) {
  return new Promise<T>((resolvePromise, reject) => {
    // Inside the executor, so a missing setup rejects like every other failure.
    const { python, env } = readersEnv({ ...process.env, ...opts.env });
    const child = spawn(python, [join(PACKAGE_DIR, script), ...args], {
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: opts.timeoutMs ?? 120_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', (err) =>
      reject(new ReaderError(`${script}: could not start ${python}: ${err.message}`, stderr)),
    );
    child.on('close', (code, signal) => {
      if (code !== 0) {
        const how = signal ? `was killed by ${signal}` : `exited with ${code}`;
        reject(new ReaderError(`${script} ${args.join(' ')} ${how}`, stderr));
        return;
      }
      try {
        resolvePromise(JSON.parse(stdout) as T);
      } catch {
        reject(new ReaderError(`${script} printed no JSON document: ${stdout.slice(0, 500)}`, stderr));
      }
    });
    child.stdin.end(stdin ?? '');
  });
}
