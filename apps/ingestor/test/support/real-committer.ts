/**
 * The real committer (apps/committer, from source) as a child process on the local stack: Redis for its lease and
 * the mirror tables' key index, S3 for the tables. The ingestor's tests never import the committer; they talk to it
 * over gRPC, as in production. Its log is kept in memory and shown when it fails to start.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { repoRoot } from './paths.js';
import type { stackEnv } from './stack.js';

export interface RealCommitter {
  address: string;
  /** The bearer token it requires (a fresh one per process). */
  token: string;
  /** The text of its `/metrics`. */
  metrics(): Promise<string>;
  /** Everything the process wrote so far. */
  output(): string;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

/** `REDIS_URL` of the stack (the environment, else `.data/stack/env`), or one line naming it. */
export function redisUrl(): string {
  const file = join(repoRoot, '.data', 'stack', 'env');
  const url = process.env.REDIS_URL || (existsSync(file) && parseEnv(readFileSync(file, 'utf8')).REDIS_URL);
  if (!url) throw new Error('local stack not available: REDIS_URL is not set (run ./dw stack up)');
  return url;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  server.close();
  return port;
}

export async function startRealCommitter(
  env: ReturnType<typeof stackEnv>,
  o: { basePath: string; leaseKey: string; settings?: Record<string, string> },
): Promise<RealCommitter> {
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const token = `it-${randomUUID()}`;
  const metricsPort = await freePort();
  const child: ChildProcess = spawn(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', join('src', 'main.ts')],
    {
      cwd: join(repoRoot, 'apps', 'committer'),
      env: {
        PATH: process.env.PATH ?? '',
        COMMITTER_ID: `it-${o.leaseKey}`,
        COMMITTER_GRPC_HOST: '127.0.0.1',
        COMMITTER_GRPC_PORT: String(port),
        COMMITTER_ADVERTISED_ADDRESS: address,
        COMMITTER_TOKEN: token,
        REDIS_URL: redisUrl(),
        COMMITTER_LEASE_KEY: o.leaseKey,
        MINIO_ENDPOINT: env.DW_S3_ENDPOINT,
        MINIO_ACCESS_KEY: env.AWS_ACCESS_KEY_ID,
        MINIO_SECRET_KEY: env.AWS_SECRET_ACCESS_KEY,
        MINIO_BUCKET: env.DW_S3_BUCKET,
        MINIO_REGION: env.AWS_REGION,
        DELTA_TABLE_BASE_PATH: o.basePath,
        METRICS_PORT: String(metricsPort),
        LOG_LEVEL: 'info',
        COMMITTER_SHUTDOWN_TIMEOUT_MS: '15000',
        ...o.settings,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  const append = (d: Buffer) => {
    output += d;
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const exit = once(child, 'exit').then(([code]) => code as number | null);
  // A test worker torn down mid-run must not leave a committer behind.
  const orphanGuard = () => child.kill('SIGKILL');
  process.once('exit', orphanGuard);
  void exit.then(() => process.off('exit', orphanGuard));

  // Leading (holding the lease) is what makes it answer commits; a cold tsx start takes a few seconds.
  const deadline = Date.now() + 60_000;
  while (!output.includes('became leader')) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the committer did not become leader:\n${output.slice(-4000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    address,
    token,
    metrics: () => fetch(`http://127.0.0.1:${metricsPort}/metrics`).then((r) => r.text()),
    output: () => output,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      // Never outlive the test run: a committer that does not drain in time is killed.
      const kill = setTimeout(() => child.kill('SIGKILL'), 20_000);
      const code = await exit;
      clearTimeout(kill);
      return code;
    },
  };
}
