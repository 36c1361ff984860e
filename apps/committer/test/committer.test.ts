import { randomUUID } from 'node:crypto';
import { type AddressInfo, createServer } from 'node:net';
import { createCommitterClient, RefusalReason } from '@delta-writer/proto';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { type RunningCommitter, type StorageChecks, startCommitter } from '../src/app.js';
import { loadConfig } from '../src/config/load.js';
import { MemoryTables, manifest } from './memory-table.js';
import { redisUrl } from './redis-env.js';

const TOKEN = 'test-token-0123456789';
const running: RunningCommitter[] = [];
const clients: { close(): void }[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await Promise.all(running.splice(0).map((r) => r.stop()));
});

/** A port free right now (the advertised address must name the real port, so port 0 will not do). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

async function committer(
  prefix: string,
  tables: MemoryTables,
  extra: Record<string, string> = {},
  storageChecks?: StorageChecks,
) {
  const port = await freePort();
  const config = loadConfig({
    REDIS_URL: redisUrl(),
    MINIO_BUCKET: 'lake',
    COMMITTER_TOKEN: TOKEN,
    COMMITTER_GRPC_HOST: '127.0.0.1',
    COMMITTER_GRPC_PORT: String(port),
    COMMITTER_ADVERTISED_ADDRESS: `127.0.0.1:${port}`,
    METRICS_PORT: '0',
    COMMITTER_LEASE_KEY: prefix,
    COMMITTER_LEASE_TTL_MS: '1500',
    COMMITTER_LEASE_RENEW_INTERVAL_MS: '300',
    COMMITTER_LEASE_RETRY_INTERVAL_MS: '100',
    COMMITTER_GROUP_COMMIT_MAX_WAIT_MS: '20',
    ...extra,
  });
  const c = await startCommitter(config, {
    tableCommitter: tables,
    logger: pino({ level: 'silent' }),
    ...(storageChecks ? { storageChecks } : {}),
  });
  running.push(c);
  return c;
}

const acquired = (c: RunningCommitter) =>
  c.lease.isLeader ? Promise.resolve() : new Promise<void>((r) => c.lease.once('acquired', () => r()));

async function http(port: number, path: string) {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: res.status, body: await res.text() };
}

describe('committer process (in-process, real gRPC and real Redis)', () => {
  it('commits through the leader, is idempotent, and refuses callers without the token', async () => {
    const tables = new MemoryTables();
    const c = await committer(`test:${randomUUID()}`, tables);
    await acquired(c);
    const client = createCommitterClient({ addresses: [`127.0.0.1:${c.grpcPort}`], token: TOKEN });
    clients.push(client);
    const m = manifest(0, 0, 9);
    const [first, concurrentRetry] = await Promise.all([client.commit(m), client.commit(m)]);
    expect(first).toMatchObject({ $case: 'ack', value: { tableVersion: 0, duplicate: false } });
    expect(concurrentRetry).toEqual(first); // shared the queued manifest's answer
    expect(await client.commit(m)).toMatchObject({ $case: 'ack', value: { duplicate: true } });
    expect(tables.files('s3://lake/delta/shop/orders')).toHaveLength(1);

    const anonymous = createCommitterClient({ addresses: [`127.0.0.1:${c.grpcPort}`] });
    clients.push(anonymous);
    const refused = await anonymous.commit(manifest(0, 10, 19));
    expect(refused.$case === 'refusal' && refused.value.reason).toBe(RefusalReason.UNAUTHENTICATED);
    expect(tables.files('s3://lake/delta/shop/orders')).toHaveLength(1);

    const state = await client.getTableState({ table: m.table, consumerGroup: 'dw' });
    expect(state).toMatchObject({
      $case: 'state',
      value: {
        exists: true,
        committedOffsets: [{ topic: 'mongodb.shop.orders', partition: 0, lastOffset: 9 }],
      },
    });
  });

  it('scopes a token to its table prefixes: PERMISSION_DENIED elsewhere, counted, nothing written', async () => {
    const tables = new MemoryTables();
    const teamA = 'team-a-token-0123456789';
    const c = await committer(`test:${randomUUID()}`, tables, {
      COMMITTER_TOKENS: JSON.stringify({ [teamA]: ['s3://lake/delta/shop/'] }),
    });
    await acquired(c);
    const client = createCommitterClient({ addresses: [`127.0.0.1:${c.grpcPort}`], token: teamA });
    clients.push(client);
    expect((await client.commit(manifest(0, 0, 9))).$case).toBe('ack'); // s3://lake/delta/shop/orders
    for (const tableUri of [
      's3://lake/delta/crm/users',
      's3://lake/delta/shopping/carts',
      's3://lake/delta/sho/p',
    ]) {
      const outcome = await client.commit(manifest(0, 0, 9, { table: { routingKey: 'x', tableUri } }));
      expect(outcome).toMatchObject({
        $case: 'refusal',
        value: {
          reason: RefusalReason.PERMISSION_DENIED,
          message: expect.stringMatching(/^credential token:[0-9a-f]{8} may not touch/),
        },
      });
      expect(tables.files(tableUri)).toHaveLength(0);
      const state = await client.getTableState({ table: { routingKey: 'x', tableUri }, consumerGroup: '' });
      expect(state).toMatchObject({ $case: 'refusal', value: { reason: RefusalReason.PERMISSION_DENIED } });
    }
    // the full token still reaches every table
    const admin = createCommitterClient({ addresses: [`127.0.0.1:${c.grpcPort}`], token: TOKEN });
    clients.push(admin);
    const crm = manifest(0, 0, 9, {
      table: { routingKey: 'crm.users', tableUri: 's3://lake/delta/crm/users' },
    });
    expect((await admin.commit(crm)).$case).toBe('ack');
    const metrics = (await http(c.httpPort, '/metrics')).body;
    expect(metrics).toContain(
      'deltawriter_committer_auth_refusals_total{reason="permission_denied",method="Commit"} 3',
    );
    expect(metrics).toContain(
      'deltawriter_committer_auth_refusals_total{reason="permission_denied",method="GetTableState"} 3',
    );
    const anonymous = createCommitterClient({ addresses: [`127.0.0.1:${c.grpcPort}`] });
    clients.push(anonymous);
    await anonymous.commit(manifest(0, 10, 19));
    expect((await http(c.httpPort, '/metrics')).body).toContain(
      'deltawriter_committer_auth_refusals_total{reason="unauthenticated",method="Commit"} 1',
    );
  });

  it('serves anonymous callers only with COMMITTER_INSECURE=true, and shows it on /metrics', async () => {
    const tables = new MemoryTables();
    const c = await committer(`test:${randomUUID()}`, tables, {
      COMMITTER_TOKEN: '',
      COMMITTER_INSECURE: 'true',
    });
    await acquired(c);
    const anonymous = createCommitterClient({ addresses: [`127.0.0.1:${c.grpcPort}`] });
    clients.push(anonymous);
    expect((await anonymous.commit(manifest(0, 0, 9))).$case).toBe('ack');
    expect((await http(c.httpPort, '/metrics')).body).toContain('deltawriter_committer_insecure 1');
  });

  it('answers a manifest whose files fail their storage check on its own; the rest of its batch commits', async () => {
    const tables = new MemoryTables();
    let probes = 0;
    const checks: StorageChecks = {
      // our own interface: a store where paths with "phantom" are missing, checked slower than the group commit wait
      verifyFiles: async (_table, files) => {
        await new Promise((r) => setTimeout(r, 30));
        const bad = files.findIndex((f) => f.path.includes('phantom'));
        return bad < 0 ? undefined : `files[${bad}].path '${files[bad]?.path}' does not exist in storage`;
      },
      probePutIfAbsent: async () => {
        probes++;
        return { ok: true, key: 'probe' };
      },
    };
    const c = await committer(
      `test:${randomUUID()}`,
      tables,
      { COMMITTER_GROUP_COMMIT_MAX_WAIT_MS: '200' },
      checks,
    );
    await acquired(c);
    expect(probes).toBe(2); // at start-up and when the lease was acquired
    const client = createCommitterClient({ addresses: [`127.0.0.1:${c.grpcPort}`], token: TOKEN });
    clients.push(client);
    const good = manifest(0, 0, 9);
    const phantom = manifest(1, 0, 9);
    const file = phantom.files[0] as NonNullable<(typeof phantom.files)[0]>;
    phantom.files = [{ ...file, path: 'part-phantom.parquet' }];
    const [a, b] = await Promise.all([client.commit(good), client.commit(phantom)]);
    expect(a).toMatchObject({ $case: 'ack', value: { duplicate: false } });
    expect(b).toMatchObject({
      $case: 'refusal',
      value: {
        reason: RefusalReason.INVALID_REQUEST,
        message: expect.stringMatching(/does not exist in storage/),
      },
    });
    expect(tables.files('s3://lake/delta/shop/orders')).toEqual([good.files[0]?.path]);
  });

  it('refuses a table outside the configured root', async () => {
    const c = await committer(`test:${randomUUID()}`, new MemoryTables());
    await acquired(c);
    const client = createCommitterClient({ addresses: [`127.0.0.1:${c.grpcPort}`], token: TOKEN });
    clients.push(client);
    const outcome = await client.commit(
      manifest(0, 0, 1, { table: { routingKey: 'x', tableUri: 's3://other-bucket/delta/x' } }),
    );
    expect(outcome.$case === 'refusal' && outcome.value.reason).toBe(RefusalReason.INVALID_REQUEST);
  });

  it('fails over: the standby is unready, redirects, and takes over when the leader stops', async () => {
    const prefix = `test:${randomUUID()}`;
    const tables = new MemoryTables();
    const a = await committer(prefix, tables);
    await acquired(a);
    const b = await committer(prefix, tables);
    const addresses = [`127.0.0.1:${b.grpcPort}`, `127.0.0.1:${a.grpcPort}`];

    expect((await http(a.httpPort, '/readyz')).status).toBe(200);
    expect(await http(b.httpPort, '/readyz')).toEqual({ status: 503, body: 'standby\n' });
    expect((await http(b.httpPort, '/healthz')).status).toBe(200);
    const metrics = (await http(a.httpPort, '/metrics')).body;
    for (const name of [
      'deltawriter_committer_lease_leader 1',
      'deltawriter_committer_commits_total',
      'deltawriter_committer_commit_duration_seconds',
    ]) {
      expect(metrics).toContain(name);
    }

    const client = createCommitterClient({
      addresses,
      token: TOKEN,
      backoff: { initialMs: 20, maxMs: 200 },
      maxAttempts: 50,
    });
    clients.push(client);
    expect((await client.commit(manifest(0, 0, 9))).$case).toBe('ack');
    expect(client.currentAddress).toBe(addresses[1]);

    const takeover = acquired(b);
    running.splice(running.indexOf(a), 1);
    await a.stop();
    await takeover;
    expect((await http(b.httpPort, '/readyz')).status).toBe(200);
    const after = await client.commit(manifest(0, 10, 19));
    expect(after).toMatchObject({ $case: 'ack', value: { tableVersion: 1 } });
    expect(client.currentAddress).toBe(addresses[0]);
    expect(tables.tables.get('s3://lake/delta/shop/orders')?.commits.map((x) => x.term)).toEqual([
      expect.any(Number),
      expect.any(Number),
    ]);
    const [t1, t2] = tables.tables.get('s3://lake/delta/shop/orders')?.commits.map((x) => x.term) ?? [];
    expect(t2).toBeGreaterThan(t1 as number);
  });
});
