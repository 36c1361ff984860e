import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { redisUrl } from './redis-env.js';
import { stack } from './support/stack.js';

const main = join(import.meta.dirname, '..', 'src', 'main.ts');
const children: ChildProcess[] = [];
// A test that fails half-way must not leave a committer running (it would keep trying to reach S3 and Redis).
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});

/** Runs the real entry point (through tsx, on the workspace sources). */
function start(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', main], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => {
    stdout += d;
  });
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const logged = (msg: string) =>
    new Promise<void>((resolve) => {
      const check = () => {
        if (stdout.includes(`"msg":"${msg}"`)) resolve();
        else setTimeout(check, 50);
      };
      check();
    });
  return { child, exited, logged, output: () => ({ stdout, stderr }) };
}

describe('committer entry point', () => {
  it('exits 78 (EX_CONFIG) with one line naming the variable on invalid configuration', async () => {
    const p = start({ MINIO_BUCKET: 'lake' });
    expect(await p.exited).toBe(78);
    expect(p.output().stderr).toBe('committer: invalid configuration: REDIS_URL is required but not set\n');
  });

  it('exits 78 without authentication: no token, no scoped tokens, no mutual TLS, no COMMITTER_INSECURE', async () => {
    const p = start({ REDIS_URL: redisUrl(), MINIO_BUCKET: 'lake' });
    expect(await p.exited).toBe(78);
    expect(p.output().stderr).toMatch(
      /^committer: invalid configuration: COMMITTER_TOKEN is required: the committer does not accept anonymous writes/,
    );
  });

  it('stops gracefully on SIGTERM: releases the lease and exits 0, without logging secrets', async () => {
    const token = `tok-${randomUUID()}`;
    const p = start({
      // the real S3 server: the committer probes put-if-absent on it before it contends for the lease
      ...stack().committerEnv,
      REDIS_URL: redisUrl(),
      COMMITTER_TOKEN: token,
      COMMITTER_GRPC_HOST: '127.0.0.1',
      COMMITTER_GRPC_PORT: '0',
      METRICS_PORT: '0',
      COMMITTER_LEASE_KEY: `test:${randomUUID()}`,
    });
    await p.logged('became leader');
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
    const { stdout } = p.output();
    expect(stdout).toContain('"msg":"leadership ended"');
    expect(stdout).toContain('"msg":"stopped"');
    expect(stdout).not.toContain(token);
  });
});

describe('committer entry point, memory', () => {
  it("gives V8's pooled heap pages back every MEMORY_RELEASE_INTERVAL, and says so at debug level", async () => {
    const p = start({
      ...stack().committerEnv,
      REDIS_URL: redisUrl(),
      COMMITTER_TOKEN: `tok-${randomUUID()}`,
      COMMITTER_GRPC_HOST: '127.0.0.1',
      COMMITTER_GRPC_PORT: '0',
      METRICS_PORT: '0',
      COMMITTER_LEASE_KEY: `test:${randomUUID()}`,
      MEMORY_RELEASE_INTERVAL: '100ms',
      LOG_LEVEL: 'debug',
    });
    await p.logged('became leader');
    await p.logged('gave pooled heap pages back');
    const line = p
      .output()
      .stdout.split('\n')
      .find((l) => l.includes('"msg":"gave pooled heap pages back"'));
    const logged = JSON.parse(line ?? '{}') as { seconds?: number; rssBeforeBytes?: number };
    expect(logged.seconds).toBeGreaterThan(0);
    expect(logged.rssBeforeBytes).toBeGreaterThan(0);
    expect(p.output().stdout).not.toContain('MEMORY_RELEASE_INTERVAL is ignored');
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
  });
});
