/**
 * A conditional PUT whose response is lost is ambiguous: the object may have been written. These tests put
 * a fault-injecting proxy (on 127.0.0.1) in front of the local stack's S3 server that forwards a request and
 * then drops the connection instead of returning the answer, and check that `putIfAbsent` resolves the
 * ambiguity by the object's bytes instead of mistaking its own success for a lost race.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { S3Storage } from '../src/storage/s3.js';

function env(name: string): string {
  const v = process.env[name];
  if (!v)
    throw new Error(`${name} is not set: start the local stack (./dw stack up) and load .data/stack/env`);
  return v;
}

interface Proxy {
  endpoint: string;
  /** Drop the response of the next `n` PUTs (after the upstream handled them). */
  dropPutResponses(n: number): void;
  close(): Promise<void>;
}

async function startProxy(upstream: string): Promise<Proxy> {
  const target = new URL(upstream);
  let drop = 0;
  const server = http.createServer((req, res) => {
    const fwd = http.request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (up) => {
        if (req.method === 'PUT' && drop > 0) {
          drop--;
          up.resume();
          up.on('end', () => req.socket.destroy()); // the write happened; the client never hears about it
          return;
        }
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    fwd.on('error', () => res.destroy());
    req.pipe(fwd);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    dropPutResponses: (n) => {
      drop = n;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

let proxy: Proxy | undefined;
afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
});

function storage(endpoint: string, prefix: string): S3Storage {
  return new S3Storage({
    bucket: env('DW_S3_BUCKET'),
    prefix,
    clientConfig: { endpoint, region: env('AWS_REGION'), forcePathStyle: true, maxAttempts: 1 },
    retry: { baseDelayMs: 5, maxDelayMs: 20 },
  });
}

const bytes = (s: string) => new TextEncoder().encode(s);

describe('S3Storage with lost responses', () => {
  it('reports success when its own first attempt wrote the object but the answer was lost', async () => {
    proxy = await startProxy(env('DW_S3_ENDPOINT'));
    const prefix = `delta-log-test/${randomUUID()}`;
    const s = storage(proxy.endpoint, prefix);
    proxy.dropPutResponses(1);
    expect(await s.putIfAbsent('_delta_log/00000000000000000001.json', bytes('mine'))).toBe(true);
    expect(new TextDecoder().decode(await s.get('_delta_log/00000000000000000001.json'))).toBe('mine');
  });

  it('still reports a lost race when another writer had created the object', async () => {
    proxy = await startProxy(env('DW_S3_ENDPOINT'));
    const prefix = `delta-log-test/${randomUUID()}`;
    const direct = storage(env('DW_S3_ENDPOINT'), prefix);
    expect(await direct.putIfAbsent('_delta_log/00000000000000000001.json', bytes('theirs'))).toBe(true);
    const s = storage(proxy.endpoint, prefix);
    proxy.dropPutResponses(1);
    expect(await s.putIfAbsent('_delta_log/00000000000000000001.json', bytes('mine'))).toBe(false);
    expect(new TextDecoder().decode(await s.get('_delta_log/00000000000000000001.json'))).toBe('theirs');
  });
});
