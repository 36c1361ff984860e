/**
 * The operations endpoint: `/healthz` (the process serves), `/readyz` (200 only on the leader, so a Kubernetes
 * Service or a load balancer sends ingestors to the replica that commits; standbys stay alive but unready) and
 * `/metrics`.
 */
import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';

export interface OpsState {
  /** False once shutdown began, or when the replica refuses to lead for good (its store lacks put-if-absent). */
  live(): boolean;
  /** Ready to commit: leader and not shutting down. */
  ready(): boolean;
  /** Short text for /readyz, e.g. "leader term 7" or "standby (leader at x:50051)". */
  describe(): string;
}

export function createOpsServer(registry: Registry, state: OpsState): Server {
  return createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const send = (code: number, body: string, type = 'text/plain; charset=utf-8') => {
      res.writeHead(code, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'method not allowed\n');
    if (path === '/healthz') return state.live() ? send(200, 'ok\n') : send(503, `${state.describe()}\n`);
    if (path === '/readyz') return send(state.ready() ? 200 : 503, `${state.describe()}\n`);
    if (path === '/metrics') {
      registry.metrics().then(
        (text) => send(200, text, registry.contentType),
        (error: unknown) => send(500, `metrics failed: ${(error as Error).message}\n`),
      );
      return;
    }
    send(404, 'not found\n');
  });
}

export function listenHttp(server: Server, port: number, host = '0.0.0.0'): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

export function closeHttp(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
