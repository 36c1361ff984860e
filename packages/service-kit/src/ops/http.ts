/**
 * The operations endpoint of a service, on one port: `/healthz` (the process works; a failing answer makes the
 * orchestrator restart it), `/readyz` (send it traffic: for the committer, only the leader; for an ingestor, a member
 * that consumes normally) and `/metrics` (Prometheus). Both probes answer a short text saying why, so `curl` and the
 * Kubernetes events show it.
 */
import { createServer, type Server } from 'node:http';

/** A probe's answer: `ok` decides the status (200 or 503), `detail` is the body ("leader term 7", "joining …"). */
export interface ProbeAnswer {
  readonly ok: boolean;
  readonly detail: string;
}

export interface Probes {
  /** The process works (and is not failed for good). */
  live(): ProbeAnswer;
  /** The process should receive traffic now. */
  ready(): ProbeAnswer;
}

/** Where `/metrics` comes from: a prom-client `Registry` is one. */
export interface MetricsSource {
  metrics(): Promise<string>;
  readonly contentType: string;
}

export interface OpsServerOptions {
  readonly port: number;
  /** Default `0.0.0.0`. */
  readonly host?: string;
  readonly metrics: MetricsSource;
  readonly probes: Probes;
}

export interface OpsServer {
  /** The port it listens on (the one asked for, or the one chosen for port 0). */
  readonly port: number;
  close(): Promise<void>;
}

export function createOpsServer(metrics: MetricsSource, probes: Probes): Server {
  return createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const send = (code: number, body: string, type = 'text/plain; charset=utf-8') => {
      res.writeHead(code, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    const answer = (probe: ProbeAnswer) => send(probe.ok ? 200 : 503, `${probe.detail}\n`);
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'method not allowed\n');
    if (path === '/healthz') return answer(probes.live());
    if (path === '/readyz') return answer(probes.ready());
    if (path === '/metrics') {
      metrics.metrics().then(
        (text) => send(200, text, metrics.contentType),
        (error: unknown) => send(500, `metrics failed: ${(error as Error).message}\n`),
      );
      return;
    }
    send(404, 'not found\n');
  });
}

/** Starts the server; resolves once it listens. */
export function startOpsServer(options: OpsServerOptions): Promise<OpsServer> {
  const server = createOpsServer(options.metrics, options.probes);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '0.0.0.0', () => {
      server.off('error', reject);
      const address = server.address();
      resolve({
        port: typeof address === 'object' && address ? address.port : options.port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
