/**
 * The ingestor as its users run it: `main.ts` in a child process, configured by environment variables, against the
 * real Kafka and S3 of the local stack and an in-process gRPC committer double. SIGTERM drains and leaves the group;
 * kill -9 mid-flush followed by a new process loses and duplicates nothing; logs never contain secrets.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createHarness, duplicates, type Harness } from '../support/pipeline-harness.js';

const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));
const SECRET = 'very-secret-committer-token-8d1f';

let h: Harness;
beforeAll(async () => {
  h = await createHarness({ orders: 3 }, { tokens: [SECRET] });
});
afterAll(async () => {
  await h?.close();
});

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  server.close();
  return port;
}

interface Child {
  process: ChildProcess;
  output: () => string;
  port: number;
  exit: Promise<number | null>;
}

async function startIngestor(env: Record<string, string> = {}): Promise<Child> {
  const port = await freePort();
  const c = h.config();
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    cwd: fileURLToPath(new URL('../..', import.meta.url)),
    env: {
      PATH: process.env.PATH ?? '',
      KAFKA_BOOTSTRAP_SERVERS: c.kafka.brokers.join(','),
      KAFKA_CONSUMER_GROUP: c.kafka.groupId,
      KAFKA_TOPIC_PATTERN: c.kafka.topicPattern.source.replace(/^\^\(\?:|\)\$$/g, ''),
      KAFKA_DLQ_TOPIC: c.kafka.dlqTopic,
      KAFKA_SESSION_TIMEOUT_MS: '10000',
      MINIO_ENDPOINT: c.s3.endpoint ?? '',
      MINIO_ACCESS_KEY: c.s3.credentials?.accessKeyId ?? '',
      MINIO_SECRET_KEY: c.s3.credentials?.secretAccessKey ?? '',
      MINIO_BUCKET: c.s3.bucket,
      DELTA_TABLE_BASE_PATH: c.delta.basePath,
      COMMITTER_ADDRESSES: c.committer.addresses.join(','),
      COMMITTER_TOKEN: SECRET,
      FLUSH_MAX_ROWS: '50',
      FLUSH_MAX_AGE_MS: '500',
      METRICS_PORT: String(port),
      LOG_LEVEL: 'debug',
      SHUTDOWN_TIMEOUT_MS: '20000',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d) => {
    output += d;
  });
  child.stderr?.on('data', (d) => {
    output += d;
  });
  const exit = once(child, 'exit').then(([code]) => code as number | null);
  return { process: child, output: () => output, port, exit };
}

const http = (port: number, path: string) =>
  fetch(`http://127.0.0.1:${port}${path}`).then(async (r) => ({ status: r.status, body: await r.text() }));

// Real Kafka, S3 and child processes on a shared 2-core machine: waits inside the tests bound each step.
describe('the ingestor process', { timeout: 300_000 }, () => {
  it('refuses an invalid configuration with one line naming the variable, exit code 78', async () => {
    const child = await startIngestor({ METRICS_PORT: 'eighty' });
    expect(await child.exit).toBe(78);
    expect(child.output().trim()).toBe(
      'ingestor: invalid configuration: METRICS_PORT must be a whole number between 1 and 65535 (got "eighty")',
    );
  });

  it('serves probes and metrics, drains on SIGTERM, leaves the group, and never logs a secret', async () => {
    h.committer.requests.length = 0;
    await h.produce('orders', 0, 120);
    // A long flush age: on SIGTERM the buffers still hold records, which the drain must commit.
    const child = await startIngestor({ FLUSH_MAX_AGE_MS: '600000', FLUSH_MAX_ROWS: '1000000' });
    await vi.waitFor(async () => expect((await http(child.port, '/readyz')).status).toBe(200), {
      timeout: 60_000,
      interval: 250,
    });
    expect((await http(child.port, '/healthz')).status).toBe(200);
    await vi.waitFor(
      async () =>
        expect((await http(child.port, '/metrics')).body).toMatch(
          /dw_ingestor_events_consumed_total\{topic="[^"]+"\} 120/,
        ),
      {
        timeout: 60_000,
        interval: 250,
      },
    );
    const metrics = (await http(child.port, '/metrics')).body;
    for (const name of [
      'dw_ingestor_buffered_bytes',
      'dw_ingestor_consumer_lag',
      'dw_ingestor_process_resident_memory_bytes',
    ]) {
      expect(metrics).toContain(name);
    }
    expect(h.committedRows('orders')).toBe(0);

    child.process.kill('SIGTERM');
    expect(await child.exit).toBe(0);
    expect(h.committedRows('orders')).toBe(120);
    const [group] = (await h.admin.describeGroups([h.group])).groups;
    expect(group?.members).toEqual([]);
    expect(child.output()).toContain('stopped');
    expect(child.output()).not.toContain(SECRET);
    expect(child.output()).not.toContain(h.config().s3.credentials?.secretAccessKey);
  });

  it('loses and duplicates nothing when killed with SIGKILL mid-flush', async () => {
    await h.produce('orders', 120, 1620);
    const first = await startIngestor({ FLUSH_MAX_ROWS: '40', FLUSH_MAX_AGE_MS: '200' });
    const before = h.committedRows('orders');
    await vi.waitFor(() => expect(h.committedRows('orders')).toBeGreaterThan(before + 80), {
      timeout: 60_000,
      interval: 20,
    });
    first.process.kill('SIGKILL');
    await first.exit;
    expect(h.committedRows('orders')).toBeLessThan(1620); // killed mid-way
    const second = await startIngestor();
    await vi.waitFor(() => expect(h.committedRows('orders')).toBe(1620), { timeout: 120_000, interval: 250 });
    const rows = await h.rowsInTable('orders');
    expect(duplicates(rows)).toEqual([]);
    expect(rows).toHaveLength(1620);
    second.process.kill('SIGTERM');
    expect(await second.exit).toBe(0);
  });
});
