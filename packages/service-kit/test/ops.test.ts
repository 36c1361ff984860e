/** The ops server: probes decide /healthz and /readyz with a reason, /metrics serves the registry, GET/HEAD only. */
import { Registry } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import { type ProbeAnswer, startOpsServer } from '../src/index.js';

describe('ops server', async () => {
  const registry = new Registry();
  registry.registerMetric(
    new (await import('prom-client')).Counter({ name: 'test_things_total', help: 'things', registers: [] }),
  );
  let live: ProbeAnswer = { ok: true, detail: 'ok' };
  let ready: ProbeAnswer = { ok: false, detail: 'standby (leader at x:50051)' };
  const server = await startOpsServer({
    port: 0,
    host: '127.0.0.1',
    metrics: registry,
    probes: { live: () => live, ready: () => ready },
  });
  const base = `http://127.0.0.1:${server.port}`;
  afterAll(() => server.close());
  const get = async (path: string, method = 'GET') => {
    const res = await fetch(`${base}${path}`, { method });
    return { status: res.status, body: await res.text(), type: res.headers.get('content-type') };
  };

  it('answers the probes with their status and reason', async () => {
    expect(await get('/readyz')).toMatchObject({ status: 503, body: 'standby (leader at x:50051)\n' });
    ready = { ok: true, detail: 'leader term 7' };
    expect(await get('/readyz')).toMatchObject({ status: 200, body: 'leader term 7\n' });
    expect(await get('/healthz')).toMatchObject({ status: 200, body: 'ok\n' });
    live = { ok: false, detail: 'refusing to lead: no put-if-absent' };
    expect(await get('/healthz')).toMatchObject({
      status: 503,
      body: 'refusing to lead: no put-if-absent\n',
    });
    expect((await get('/healthz', 'HEAD')).status).toBe(503);
  });

  it('serves the metrics in the registry’s content type', async () => {
    const res = await get('/metrics');
    expect(res.status).toBe(200);
    expect(res.body).toContain('test_things_total 0');
    expect(res.type).toBe(registry.contentType);
  });

  it('refuses other methods and paths', async () => {
    expect((await get('/healthz', 'POST')).status).toBe(405);
    expect((await get('/nope')).status).toBe(404);
  });
});
