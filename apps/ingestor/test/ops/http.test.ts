/** The ingestor's metrics and probes on service-kit's ops server: what a scrape and a probe see. */
import { type ProbeAnswer, startOpsServer } from '@delta-writer/service-kit';
import { afterAll, describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/ops/metrics.js';

describe('ops server', async () => {
  const metrics = createMetrics();
  metrics.eventsConsumed.inc({ topic: 't' }, 3);
  let ready: ProbeAnswer = { ok: false, detail: 'joining the consumer group' };
  let healthy = true;
  const server = await startOpsServer({
    port: 0,
    host: '127.0.0.1',
    metrics: metrics.registry,
    probes: { live: () => ({ ok: healthy, detail: healthy ? 'ok' : 'failed' }), ready: () => ready },
  });
  const base = `http://127.0.0.1:${server.port}`;
  afterAll(() => server.close());

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
    // Some CPU on this thread — measured by the thread's own clock, not the wall's: on a loaded machine 30 ms of
    // wall time may hold only a few ms of this thread's CPU.
    const cpu = () => {
      const u = process.threadCpuUsage();
      return u.user + u.system;
    };
    const spin = cpu();
    while (cpu() - spin < 30_000) Math.sqrt(Math.random());
    const second = await (await fetch(`${base}/metrics`)).text();
    expect(cpuOf(first, 'main')).toBeGreaterThan(0);
    expect(cpuOf(second, 'main')).toBeGreaterThan(cpuOf(first, 'main') + 0.01);
    expect(cpuOf(second, 'encoder')).toBe(0.25);
  });

  it('reports readiness and health from the probes', async () => {
    expect((await fetch(`${base}/readyz`)).status).toBe(503);
    expect(await (await fetch(`${base}/readyz`)).text()).toContain('joining the consumer group');
    ready = { ok: true, detail: 'consuming' };
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    healthy = false;
    expect((await fetch(`${base}/healthz`)).status).toBe(503);
    expect((await fetch(`${base}/nope`)).status).toBe(404);
  });
});
