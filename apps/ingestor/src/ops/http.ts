/** `/metrics`, `/healthz` (the process is alive and not failed) and `/readyz` (consuming normally) on one port. */
import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';

export interface Probes {
  healthy(): boolean;
  ready(): { ready: boolean; reason?: string };
}

export function startOpsServer(
  port: number,
  registry: Registry,
  probes: Probes,
  host = '0.0.0.0',
): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET') {
      res.writeHead(405).end();
      return;
    }
    if (path === '/metrics') {
      registry.metrics().then(
        (body) => res.writeHead(200, { 'content-type': registry.contentType }).end(body),
        (err: Error) => res.writeHead(500).end(err.message),
      );
      return;
    }
    if (path === '/healthz') {
      const ok = probes.healthy();
      res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' }).end(ok ? 'ok\n' : 'failed\n');
      return;
    }
    if (path === '/readyz') {
      const r = probes.ready();
      res
        .writeHead(r.ready ? 200 : 503, { 'content-type': 'text/plain' })
        .end(r.ready ? 'ready\n' : `not ready: ${r.reason}\n`);
      return;
    }
    res.writeHead(404).end();
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}
