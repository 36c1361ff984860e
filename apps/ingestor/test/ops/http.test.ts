import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { startOpsServer } from '../../src/ops/http.js';
import { createMetrics } from '../../src/ops/metrics.js';

describe('ops server', async () => {
  const metrics = createMetrics();
  metrics.eventsConsumed.inc({ topic: 't' }, 3);
  let ready = { ready: false, reason: 'joining the consumer group' };
  let healthy = true;
  const server = await startOpsServer(
    0,
    metrics.registry,
    { healthy: () => healthy, ready: () => ready },
    '127.0.0.1',
  );
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('serves Prometheus metrics', async () => {
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('dw_ingestor_events_consumed_total{topic="t"} 3');
  });

  it('counts the event loop thread CPU time at each scrape, and the encoder threads as they report', async () => {
    metrics.threadCpu.inc({ thread: 'encoder' }, 0.25);
    const cpuOf = (text: string, thread: string) =>
      Number(
        /dw_ingestor_thread_cpu_seconds_total\{thread="(\w+)"\} ([\d.e-]+)/g
          .exec(text.split('\n').find((l) => l.includes(`thread="${thread}"`)) ?? '')
          ?.at(2),
      );
    const first = await (await fetch(`${base}/metrics`)).text();
    const spin = Date.now();
    while (Date.now() - spin < 30) Math.sqrt(Math.random()); // some CPU on this thread
    const second = await (await fetch(`${base}/metrics`)).text();
    expect(cpuOf(first, 'main')).toBeGreaterThan(0);
    expect(cpuOf(second, 'main')).toBeGreaterThan(cpuOf(first, 'main') + 0.01);
    expect(cpuOf(second, 'encoder')).toBe(0.25);
  });

  it('reports readiness and health from the probes', async () => {
    expect((await fetch(`${base}/readyz`)).status).toBe(503);
    expect(await (await fetch(`${base}/readyz`)).text()).toContain('joining the consumer group');
    ready = { ready: true, reason: '' };
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    healthy = false;
    expect((await fetch(`${base}/healthz`)).status).toBe(503);
    expect((await fetch(`${base}/nope`)).status).toBe(404);
  });
});
