/**
 * A small client for Toxiproxy's HTTP API (v2.5.0, built by deploy/local/stack): proxies are TCP pass-throughs the
 * harness puts between two processes, and toxics are the faults on them — latency, bandwidth, resets, a link that
 * swallows everything (timeout), each on one direction or both. Every call is checked: a toxic that was not set
 * would make a run test nothing while looking green.
 */

export type Stream = 'upstream' | 'downstream';

/** The toxics of Toxiproxy 2.5.0 this harness uses, with their attributes (README of the version). */
export type ToxicSpec =
  | { type: 'latency'; attributes: { latency: number; jitter: number } }
  | { type: 'bandwidth'; attributes: { rate: number } }
  | { type: 'reset_peer'; attributes: { timeout: number } }
  | { type: 'timeout'; attributes: { timeout: number } }
  | { type: 'limit_data'; attributes: { bytes: number } }
  | { type: 'slow_close'; attributes: { delay: number } };

export interface Toxic {
  name: string;
  stream: Stream;
  toxicity: number;
  spec: ToxicSpec;
}

export interface ProxyInfo {
  name: string;
  listen: string;
  upstream: string;
  enabled: boolean;
}

export class ToxiproxyError extends Error {
  override readonly name = 'ToxiproxyError';
}

export class Toxiproxy {
  constructor(readonly url: string) {}

  async version(): Promise<string> {
    const res = await this.request('GET', '/version');
    return res.trim();
  }

  /** Creates a proxy listening on `listen` (`127.0.0.1:0`: a free port) in front of `upstream`. */
  async createProxy(name: string, upstream: string, listen = '127.0.0.1:0'): Promise<ProxyInfo> {
    return JSON.parse(
      await this.request('POST', '/proxies', { name, listen, upstream, enabled: true }),
    ) as ProxyInfo;
  }

  async proxy(name: string): Promise<ProxyInfo> {
    return JSON.parse(await this.request('GET', `/proxies/${encodeURIComponent(name)}`)) as ProxyInfo;
  }

  async proxies(): Promise<Map<string, ProxyInfo>> {
    const all = JSON.parse(await this.request('GET', '/proxies')) as Record<string, ProxyInfo>;
    return new Map(Object.entries(all));
  }

  /** Disabled: the proxy closes every connection and stops listening (connection refused); enabled: back. */
  async setEnabled(name: string, enabled: boolean): Promise<void> {
    await this.request('POST', `/proxies/${encodeURIComponent(name)}`, { enabled });
  }

  async deleteProxy(name: string): Promise<void> {
    await this.request('DELETE', `/proxies/${encodeURIComponent(name)}`, undefined, [204, 404]);
  }

  async addToxic(proxy: string, toxic: Toxic): Promise<void> {
    await this.request('POST', `/proxies/${encodeURIComponent(proxy)}/toxics`, {
      name: toxic.name,
      type: toxic.spec.type,
      stream: toxic.stream,
      toxicity: toxic.toxicity,
      attributes: toxic.spec.attributes,
    });
  }

  async removeToxic(proxy: string, name: string): Promise<void> {
    await this.request(
      'DELETE',
      `/proxies/${encodeURIComponent(proxy)}/toxics/${encodeURIComponent(name)}`,
      undefined,
      [204, 404],
    );
  }

  async toxics(proxy: string): Promise<{ name: string; type: string; stream: Stream }[]> {
    return JSON.parse(await this.request('GET', `/proxies/${encodeURIComponent(proxy)}/toxics`)) as {
      name: string;
      type: string;
      stream: Stream;
    }[];
  }

  /** Every toxic of one proxy removed and the proxy enabled: the link is healthy again. */
  async heal(proxy: string): Promise<void> {
    for (const t of await this.toxics(proxy)) await this.removeToxic(proxy, t.name);
    await this.setEnabled(proxy, true);
  }

  private async request(method: string, path: string, body?: unknown, ok = [200, 201, 204]): Promise<string> {
    let res: Response;
    try {
      res = await fetch(`${this.url}${path}`, {
        method,
        ...(body !== undefined && {
          body: JSON.stringify(body),
          headers: { 'content-type': 'application/json' },
        }),
        signal: AbortSignal.timeout(10_000),
      });
    } catch (err) {
      throw new ToxiproxyError(
        `toxiproxy at ${this.url} did not answer ${method} ${path}: ${(err as Error).message} (is it up? ./dw stack up toxiproxy)`,
      );
    }
    const text = await res.text();
    if (!ok.includes(res.status))
      throw new ToxiproxyError(`toxiproxy ${method} ${path} answered ${res.status}: ${text.slice(0, 300)}`);
    return text;
  }
}
