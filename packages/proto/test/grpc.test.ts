import { readFileSync } from 'node:fs';
import { type AddressInfo, connect, createServer } from 'node:net';
import { join } from 'node:path';
import { credentials, status } from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CommitterUnavailableError,
  createCommitterClient,
  createCommitterServer,
  type HealthCheckResponse,
  HealthClient,
  PROTOCOL_VERSION,
  presentedToken,
  type RetryInfo,
  refuse,
  ServingStatus,
  serverCredentials,
  WriteMode,
} from '../src/index.js';
import {
  echoHandlers,
  RefusalReason,
  type Running,
  sampleCommit,
  standbyHandlers,
  startServer,
} from './helpers.js';

const fast = { initialMs: 1, maxMs: 5 };
const running: Running[] = [];
const clients: { close(): void }[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await Promise.all(running.splice(0).map((r) => r.stop()));
});
async function start(...args: Parameters<typeof startServer>) {
  const r = await startServer(...args);
  running.push(r);
  return r;
}
function client(...args: Parameters<typeof createCommitterClient>) {
  const c = createCommitterClient(...args);
  clients.push(c);
  return c;
}

describe('committer gRPC link (real in-process server)', () => {
  it('commits and reads table state over the wire', async () => {
    const server = await start({ handlers: echoHandlers(), tokens: ['s3cret'] });
    const c = client({ addresses: [server.address], token: 's3cret' });
    const outcome = await c.commit(sampleCommit);
    expect(outcome).toEqual({
      $case: 'ack',
      value: {
        tableVersion: 1,
        duplicate: false,
        committedOffsets: [
          { consumerGroup: 'dw', topic: 'mongodb.shop.orders', partition: 0, lastOffset: 9 },
        ],
      },
    });
    const state = await c.getTableState({ table: sampleCommit.table, consumerGroup: 'dw' });
    expect(state.$case === 'state' && state.value.tableVersion).toBe(1);
  });

  it('refuses calls without the token, or with a wrong one, before any handler runs', async () => {
    const handlers = echoHandlers();
    const server = await start({ handlers, tokens: ['s3cret'] });
    for (const token of [undefined, 'wrong', 's3cret ']) {
      const outcome = await client({ addresses: [server.address], token }).commit(sampleCommit);
      expect(outcome.$case === 'refusal' && outcome.value.reason).toBe(RefusalReason.UNAUTHENTICATED);
      const info = await client({ addresses: [server.address], token }).getServerInfo();
      expect(info.$case).toBe('refusal');
    }
    expect(handlers.calls).toBe(0);
  });

  it('cannot be created without any authentication unless anonymous callers are asked for', () => {
    expect(() => createCommitterServer({ handlers: echoHandlers() })).toThrow(/no authentication configured/);
    expect(() => createCommitterServer({ handlers: echoHandlers(), tokens: [] })).toThrow(
      /no authentication configured/,
    );
    expect(() => createCommitterServer({ handlers: echoHandlers(), allowAnonymous: true })).not.toThrow();
  });

  it('hands the authenticated principal to the handler and counts refused callers', async () => {
    const principals: string[] = [];
    const handlers = echoHandlers();
    const commit = handlers.commit;
    handlers.commit = (request, context) => {
      principals.push(context.principal.id);
      return commit(request, context);
    };
    const refused: string[] = [];
    const server = await start({
      handlers,
      authenticate: (peer) =>
        presentedToken(peer.metadata) === 'team-a-token'
          ? { id: 'token:team-a', tablePrefixes: [] }
          : undefined,
      onUnauthenticated: (method) => refused.push(method),
    });
    expect(
      (await client({ addresses: [server.address], token: 'team-a-token' }).commit(sampleCommit)).$case,
    ).toBe('ack');
    const anonymous = client({ addresses: [server.address] });
    expect(await anonymous.commit(sampleCommit)).toMatchObject({
      $case: 'refusal',
      value: { reason: RefusalReason.UNAUTHENTICATED },
    });
    await anonymous.getTableState({ table: sampleCommit.table, consumerGroup: '' });
    expect(principals).toEqual(['token:team-a']);
    expect(refused).toEqual(['Commit', 'GetTableState']);
  });

  it('accepts any of several tokens (rotation)', async () => {
    const server = await start({ handlers: echoHandlers(), tokens: ['old', 'new'] });
    for (const token of ['old', 'new']) {
      expect((await client({ addresses: [server.address], token }).commit(sampleCommit)).$case).toBe('ack');
    }
  });

  it('refuses an unsupported protocol version and states its range; GetServerInfo still answers', async () => {
    const handlers = echoHandlers();
    const server = await start({
      handlers,
      protocol: { min: PROTOCOL_VERSION + 1, max: PROTOCOL_VERSION + 2 },
    });
    const c = client({ addresses: [server.address], protocolVersion: PROTOCOL_VERSION });
    const outcome = await c.commit(sampleCommit);
    expect(outcome.$case).toBe('refusal');
    if (outcome.$case !== 'refusal') return;
    expect(outcome.value.reason).toBe(RefusalReason.UNSUPPORTED_PROTOCOL_VERSION);
    expect([outcome.value.minProtocolVersion, outcome.value.maxProtocolVersion]).toEqual([
      PROTOCOL_VERSION + 1,
      PROTOCOL_VERSION + 2,
    ]);
    const info = await c.getServerInfo();
    expect(info.$case === 'info' && [info.value.minProtocolVersion, info.value.maxProtocolVersion]).toEqual([
      PROTOCOL_VERSION + 1,
      PROTOCOL_VERSION + 2,
    ]);
    // protocol_version 0 is a request that never set the field.
    const unset = await client({ addresses: [server.address], protocolVersion: 0 }).getTableState({
      table: sampleCommit.table,
      consumerGroup: '',
    });
    expect(unset.$case === 'refusal' && unset.value.reason).toBe(RefusalReason.UNSUPPORTED_PROTOCOL_VERSION);
    expect(handlers.calls).toBe(0);
  });

  it('sends append requests as revision 1 to a revision-1 server; an upsert needs revision 2', async () => {
    const seen: number[] = [];
    const handlers = echoHandlers();
    const commit = handlers.commit.bind(handlers);
    handlers.commit = async (request, context) => {
      seen.push(request.protocolVersion);
      return commit(request, context);
    };
    const server = await start({ handlers, protocol: { min: 1, max: 1 } });
    const c = client({ addresses: [server.address] });
    expect((await c.commit(sampleCommit)).$case).toBe('ack');
    expect((await c.commit(sampleCommit)).$case).toBe('ack'); // remembers the server's revision
    expect(seen).toEqual([1, 1]);
    const upsert = await c.commit({ ...sampleCommit, writeMode: WriteMode.UPSERT });
    expect(upsert.$case === 'refusal' && upsert.value.reason).toBe(
      RefusalReason.UNSUPPORTED_PROTOCOL_VERSION,
    );
    expect(seen).toEqual([1, 1]);
    const state = await c.getTableState({ table: sampleCommit.table, consumerGroup: 'dw' });
    expect(state.$case).toBe('state');
  });

  it('follows a NOT_LEADER hint to a listed leader at once and keeps sending there', async () => {
    const leader = await start({ handlers: echoHandlers('leader') });
    const standbyImpl = standbyHandlers(() => leader.address);
    const standby = await start({ handlers: standbyImpl });
    const other = await start({ handlers: standbyHandlers(() => '') });
    const retries: RetryInfo[] = [];
    const c = client({
      addresses: [standby.address, other.address, leader.address],
      backoff: fast,
      onRetry: (r) => retries.push(r),
    });
    expect((await c.commit(sampleCommit)).$case).toBe('ack');
    // straight from the standby to the hinted leader, not along the list through `other`
    expect(retries).toMatchObject([{ cause: 'NOT_LEADER', nextAddress: leader.address, delayMs: 0 }]);
    expect(c.currentAddress).toBe(leader.address);
    expect((await c.commit(sampleCommit)).$case).toBe('ack');
    expect(standbyImpl.calls).toBe(1);
  });

  it('behind a load-balanced address, an ignored hint makes it reconnect until it reaches the leader', async () => {
    const leader = await start({ handlers: echoHandlers('leader'), tokens: ['s3cret'] });
    const standbyImpl = standbyHandlers(() => leader.address);
    const standby = await start({ handlers: standbyImpl, tokens: ['s3cret'] });
    // a Kubernetes Service: each new TCP connection goes to the next replica, the standby first
    const backends = [standby.address, leader.address];
    let connections = 0;
    const balancer = createServer((socket) => {
      const [host, port] = (backends[connections++ % 2] as string).split(':');
      const upstream = connect(Number(port), host);
      socket.pipe(upstream).pipe(socket);
      socket.on('error', () => upstream.destroy());
      upstream.on('error', () => socket.destroy());
    });
    await new Promise<void>((r) => balancer.listen(0, '127.0.0.1', () => r()));
    try {
      const service = `127.0.0.1:${(balancer.address() as AddressInfo).port}`;
      const retries: RetryInfo[] = [];
      const c = client({
        addresses: [service],
        token: 's3cret',
        backoff: fast,
        onRetry: (r) => retries.push(r),
      });
      expect((await c.commit(sampleCommit)).$case).toBe('ack');
      expect(retries).toMatchObject([
        { cause: 'NOT_LEADER', ignoredHint: leader.address, nextAddress: service },
      ]);
      expect(standbyImpl.calls).toBe(1);
      expect(connections).toBe(2);
    } finally {
      balancer.close();
    }
  });

  it('never sends its token to a hinted address it was not configured with (plaintext)', async () => {
    const seen: (string | undefined)[] = [];
    const rogueHandlers = echoHandlers('rogue');
    const rogue = await start({
      handlers: rogueHandlers,
      allowAnonymous: true,
      authenticate: (peer) => {
        seen.push(presentedToken(peer.metadata));
        return undefined;
      },
    });
    const standby = await start({ handlers: standbyHandlers(() => rogue.address), tokens: ['s3cret'] });
    const leader = await start({ handlers: echoHandlers('leader'), tokens: ['s3cret'] });
    const retries: RetryInfo[] = [];
    const c = client({
      addresses: [standby.address, leader.address],
      token: 's3cret',
      backoff: fast,
      onRetry: (r) => retries.push(r),
    });
    expect((await c.commit(sampleCommit)).$case).toBe('ack');
    expect(await c.getTableState({ table: sampleCommit.table, consumerGroup: '' })).toMatchObject({
      $case: 'state',
    });
    expect(seen).toEqual([]);
    expect(rogueHandlers.calls).toBe(0);
    expect(retries[0]).toMatchObject({
      cause: 'NOT_LEADER',
      ignoredHint: rogue.address,
      nextAddress: leader.address,
    });
    expect(c.currentAddress).toBe(leader.address);
  });

  it('walks the address list past a dead replica (UNAVAILABLE) and a standby without hint', async () => {
    const dead = await start({ handlers: echoHandlers() });
    const deadAddress = dead.address;
    await dead.stop();
    running.splice(running.indexOf(dead), 1);
    const standby = await start({ handlers: standbyHandlers(() => '') });
    const leader = await start({ handlers: echoHandlers('leader') });
    const retries: RetryInfo[] = [];
    const c = client({
      addresses: [deadAddress, standby.address, leader.address],
      backoff: fast,
      attemptTimeoutMs: 2_000,
      onRetry: (r) => retries.push(r),
    });
    expect((await c.commit(sampleCommit)).$case).toBe('ack');
    expect(retries.map((r) => r.cause)).toEqual(['UNAVAILABLE', 'NOT_LEADER']);
    expect(c.currentAddress).toBe(leader.address);
  });

  it('retries RETRY_LATER on the same replica, then hands back the answer', async () => {
    const handlers = echoHandlers();
    let refusals = 2;
    const commit = handlers.commit;
    handlers.commit = async (request, context) =>
      refusals-- > 0
        ? { $case: 'refusal', value: refuse.retryLater('storage hiccup', 1) }
        : commit(request, context);
    const server = await start({ handlers });
    const retries: RetryInfo[] = [];
    const c = client({ addresses: [server.address], backoff: fast, onRetry: (r) => retries.push(r) });
    expect((await c.commit(sampleCommit)).$case).toBe('ack');
    expect(retries.map((r) => [r.cause, r.nextAddress])).toEqual([
      ['RETRY_LATER', server.address],
      ['RETRY_LATER', server.address],
    ]);
  });

  it('returns the last retryable refusal when attempts run out, and non-retryable refusals at once', async () => {
    const standby = await start({ handlers: standbyHandlers(() => '') });
    const c = client({ addresses: [standby.address], backoff: fast, maxAttempts: 3 });
    const outcome = await c.commit(sampleCommit);
    expect(outcome.$case === 'refusal' && outcome.value.reason).toBe(RefusalReason.NOT_LEADER);
    const leader = await start({ handlers: echoHandlers() });
    const invalid = await client({ addresses: [leader.address] }).commit({
      ...sampleCommit,
      table: undefined,
    });
    expect(invalid.$case === 'refusal' && invalid.value.reason).toBe(RefusalReason.INVALID_REQUEST);
  });

  it('turns a handler crash into INTERNAL, not retried', async () => {
    const handlers = echoHandlers();
    handlers.commit = async () => {
      throw new Error('boom');
    };
    const errors: unknown[] = [];
    const server = await start({ handlers, onHandlerError: (e) => errors.push(e) });
    const retries: RetryInfo[] = [];
    const c = client({ addresses: [server.address], onRetry: (r) => retries.push(r) });
    const error = await c.commit(sampleCommit).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CommitterUnavailableError);
    expect((error as CommitterUnavailableError).grpcCode).toBe(status.INTERNAL);
    expect((error as Error).message).not.toContain('boom');
    expect(retries).toEqual([]);
    expect(errors).toHaveLength(1);
  });

  it('gives up with CommitterUnavailableError when nobody answers', async () => {
    const dead = await start({ handlers: echoHandlers() });
    await dead.stop();
    running.splice(running.indexOf(dead), 1);
    const c = client({ addresses: [dead.address], backoff: fast, maxAttempts: 3, attemptTimeoutMs: 1_000 });
    const error = await c.commit(sampleCommit).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CommitterUnavailableError);
    expect((error as CommitterUnavailableError).attempts).toBe(3);
  });

  it('stops retrying when the caller aborts', async () => {
    const standby = await start({ handlers: standbyHandlers(() => '') });
    const controller = new AbortController();
    const c = client({
      addresses: [standby.address],
      backoff: { initialMs: 60_000, maxMs: 60_000 },
      onRetry: () => controller.abort(new Error('partition revoked')),
    });
    await expect(c.commit(sampleCommit, { signal: controller.signal })).rejects.toThrow('partition revoked');
  });

  it('answers the standard health check per service', async () => {
    let leader = false;
    const server = await start({
      handlers: echoHandlers(),
      health: (service) =>
        service === ''
          ? ServingStatus.SERVING
          : service === 'deltawriter.v1.CommitterService'
            ? leader
              ? ServingStatus.SERVING
              : ServingStatus.NOT_SERVING
            : undefined,
    });
    const health = new HealthClient(server.address, credentials.createInsecure());
    clients.push(health);
    const check = (service: string) =>
      new Promise<HealthCheckResponse | number>((resolve) =>
        health.check({ service }, (e, r) => resolve(e ? e.code : r)),
      );
    expect(await check('')).toEqual({ status: ServingStatus.SERVING });
    expect(await check('deltawriter.v1.CommitterService')).toEqual({ status: ServingStatus.NOT_SERVING });
    leader = true;
    expect(await check('deltawriter.v1.CommitterService')).toEqual({ status: ServingStatus.SERVING });
    expect(await check('nope')).toBe(status.NOT_FOUND);
  });
});

describe('TLS', () => {
  const pem = (name: string) => readFileSync(join(import.meta.dirname, 'fixtures', 'tls', name));
  const serverTls = { certPem: pem('server.pem'), keyPem: pem('server.key'), clientCaPem: pem('ca.pem') };

  it('talks over mutual TLS with a client certificate signed by the configured CA', async () => {
    const server = await start({ handlers: echoHandlers(), tokens: ['t'] }, serverCredentials(serverTls));
    const c = client({
      addresses: [server.address.replace('127.0.0.1', 'localhost')],
      token: 't',
      tls: { caPem: pem('ca.pem'), certPem: pem('client.pem'), keyPem: pem('client.key') },
    });
    expect((await c.commit(sampleCommit)).$case).toBe('ack');
  });

  it('authenticates a caller by its verified client certificate', async () => {
    const principals: (string | undefined)[] = [];
    const handlers = echoHandlers();
    const commit = handlers.commit;
    handlers.commit = (request, context) => {
      principals.push(context.principal.id);
      return commit(request, context);
    };
    const server = await start(
      {
        handlers,
        authenticate: (peer) =>
          peer.certificate?.commonName === 'test-ingestor' ? { id: 'cert:test-ingestor' } : undefined,
      },
      serverCredentials(serverTls),
    );
    const c = client({
      addresses: [server.address.replace('127.0.0.1', 'localhost')],
      tls: { caPem: pem('ca.pem'), certPem: pem('client.pem'), keyPem: pem('client.key') },
    });
    expect((await c.commit(sampleCommit)).$case).toBe('ack');
    expect(principals).toEqual(['cert:test-ingestor']);
  });

  it('follows a NOT_LEADER hint to an unlisted address over TLS (the certificate identifies the committer)', async () => {
    const tls = serverCredentials({ ...serverTls, clientCaPem: undefined });
    const leader = await start({ handlers: echoHandlers('leader'), tokens: ['t'] }, tls);
    const leaderAddress = leader.address.replace('127.0.0.1', 'localhost');
    const standby = await start({ handlers: standbyHandlers(() => leaderAddress), tokens: ['t'] }, tls);
    const retries: RetryInfo[] = [];
    const c = client({
      addresses: [standby.address.replace('127.0.0.1', 'localhost')],
      token: 't',
      tls: { caPem: pem('ca.pem') },
      backoff: fast,
      onRetry: (r) => retries.push(r),
    });
    expect((await c.commit(sampleCommit)).$case).toBe('ack');
    expect(retries).toMatchObject([{ cause: 'NOT_LEADER', nextAddress: leaderAddress }]);
  });

  it('rejects a client without a certificate when mTLS is on', async () => {
    const server = await start({ handlers: echoHandlers() }, serverCredentials(serverTls));
    const c = client({
      addresses: [server.address.replace('127.0.0.1', 'localhost')],
      tls: { caPem: pem('ca.pem') },
      maxAttempts: 2,
      backoff: fast,
      attemptTimeoutMs: 2_000,
    });
    await expect(c.commit(sampleCommit)).rejects.toBeInstanceOf(CommitterUnavailableError);
  });

  it('rejects a plaintext client on a TLS server', async () => {
    const server = await start(
      { handlers: echoHandlers() },
      serverCredentials({ ...serverTls, clientCaPem: undefined }),
    );
    const c = client({ addresses: [server.address], maxAttempts: 2, backoff: fast, attemptTimeoutMs: 2_000 });
    await expect(c.commit(sampleCommit)).rejects.toBeInstanceOf(CommitterUnavailableError);
  });
});
