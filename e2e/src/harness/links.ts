/**
 * The network of one pipeline under test, with a fault proxy on every link that carries its traffic: each ingestor
 * reaches Kafka through its own Kafka link (a broker listener that advertises the proxy, fault-stack.ts), every
 * committer replica through a proxy of its own per ingestor, and S3 through a proxy in front of an HTTP
 * {@link S3Front} of its own; each committer reaches S3 the same way and Redis through a proxy. So a fault can hit
 * exactly one pair — one ingestor cut from the committers while it still reaches Kafka, one committer's Redis link
 * slow, the answers of one process's S3 link lost — and healing removes every fault at once.
 */
import type { Pipeline } from './pipeline.js';
import { S3Front } from './s3-front.js';
import type { Endpoints } from './services.js';
import { type Stream, type ToxicSpec, Toxiproxy } from './toxiproxy.js';

/** The peer at the other end of a link, seen from an ingestor or a committer. */
export type Peer = 'kafka' | 'committer' | 's3' | 'redis';

/** Which peers each kind of process talks to (the pairs the proxy sits between). */
export const PEERS: Record<'ingestor' | 'committer', readonly Peer[]> = {
  ingestor: ['kafka', 'committer', 's3'],
  committer: ['s3', 'redis'],
};

const hostPort = (url: string) => {
  const u = new URL(url);
  return `${u.hostname}:${u.port || (u.protocol === 'https:' ? 443 : 80)}`;
};

export class Links {
  readonly toxiproxy: Toxiproxy;
  /** Proxy names per process and peer (several for `committer`: one per replica). */
  private readonly proxies = new Map<string, string[]>();
  private readonly fronts = new Map<string, S3Front>();
  /** Toxics set now: proxy → names, so healing removes exactly them. */
  private readonly active = new Map<string, Set<string>>();
  /** Faults holding each link down now. */
  private readonly downs = new Map<string, number>();
  private counter = 0;

  constructor(
    toxiproxyUrl: string,
    private readonly kafkaLinks: string[],
    private readonly endpoints: Endpoints,
    private readonly pipeline: Pipeline,
  ) {
    this.toxiproxy = new Toxiproxy(toxiproxyUrl);
  }

  private get run(): string {
    return this.pipeline.config.run;
  }

  /**
   * Makes the links of these processes and records, as each one's settings in the pipeline, the proxied addresses
   * it must use. Ingestors are `ingestor-<n>` (n from 1, one Kafka link each); committers are any other id.
   */
  async wire(committers: string[], ingestors: string[]): Promise<void> {
    for (const id of committers) {
      const redis = await this.proxy(id, 'redis', hostPort(this.endpoints.redisUrl));
      this.pipeline.processEnv.set(id, {
        ...this.pipeline.processEnv.get(id),
        REDIS_URL: `redis://${redis}`,
        MINIO_ENDPOINT: `http://${await this.s3Link(id)}`,
      });
    }
    for (const id of ingestors) {
      const n = Number(/^ingestor-(\d+)$/.exec(id)?.[1]);
      const kafka = this.kafkaLinks[n - 1];
      if (!kafka) throw new Error(`${id} has no Kafka link (${this.kafkaLinks.length} links, ingestor-1…)`);
      const linkName = `kafka-link-${n - 1}`;
      await this.toxiproxy.heal(linkName); // a run that died half-way may have left a toxic on it
      this.proxies.set(`${id}>kafka`, [linkName]);
      const addresses: string[] = [];
      for (const c of committers)
        addresses.push(await this.proxy(id, 'committer', await this.pipeline.committerAddress(c), c));
      this.pipeline.processEnv.set(id, {
        ...this.pipeline.processEnv.get(id),
        KAFKA_BOOTSTRAP_SERVERS: kafka,
        COMMITTER_ADDRESSES: addresses.join(','),
        MINIO_ENDPOINT: `http://${await this.s3Link(id)}`,
      });
    }
  }

  /** A process's S3 front (to inject HTTP answers: errors, slow answers). */
  front(process: string): S3Front {
    const f = this.fronts.get(process);
    if (!f) throw new Error(`${process} has no S3 front`);
    return f;
  }

  /** Whether `process` has a link to `peer`. */
  has(process: string, peer: Peer): boolean {
    return this.proxies.has(`${process}>${peer}`);
  }

  /**
   * Sets a toxic on the link from `process` to `peer`, on the given directions (`upstream`: what the process sends,
   * `downstream`: what it receives); returns a function that removes it.
   */
  async add(
    process: string,
    peer: Peer,
    spec: ToxicSpec,
    streams: readonly Stream[] = ['upstream', 'downstream'],
    toxicity = 1,
  ): Promise<() => Promise<void>> {
    const names = this.proxies.get(`${process}>${peer}`);
    if (!names) throw new Error(`${process} has no link to ${peer}`);
    const set: [string, string][] = [];
    for (const proxy of names) {
      for (const stream of streams) {
        const name = `${spec.type}-${stream}-${++this.counter}`;
        await this.toxiproxy.addToxic(proxy, { name, stream, toxicity, spec });
        set.push([proxy, name]);
        const active = this.active.get(proxy) ?? new Set();
        active.add(name);
        this.active.set(proxy, active);
      }
    }
    return async () => {
      for (const [proxy, name] of set) {
        if (!this.active.get(proxy)?.delete(name)) continue;
        await this.toxiproxy.removeToxic(proxy, name);
      }
    };
  }

  /**
   * Takes a link down (connections closed, new ones refused) or up again; downs are counted, so of two overlapping
   * faults on one link the first to end does not bring it up under the other.
   */
  async setDown(process: string, peer: Peer, down: boolean): Promise<void> {
    const key = `${process}>${peer}`;
    const names = this.proxies.get(key);
    if (!names) throw new Error(`${process} has no link to ${peer}`);
    const count = Math.max(0, (this.downs.get(key) ?? 0) + (down ? 1 : -1));
    this.downs.set(key, count);
    if (down ? count > 1 : count > 0) return;
    for (const proxy of names) await this.toxiproxy.setEnabled(proxy, !down);
  }

  /** Every link healthy again: toxics removed, proxies enabled, S3 fronts passing everything. */
  async healAll(): Promise<void> {
    for (const names of this.proxies.values()) for (const proxy of names) await this.toxiproxy.heal(proxy);
    this.active.clear();
    this.downs.clear();
    for (const f of this.fronts.values()) f.faults = {};
  }

  /** Removes the run's proxies (the Kafka links stay, healed) and closes the S3 fronts. */
  async close(): Promise<void> {
    await this.healAll().catch(() => undefined);
    for (const [key, names] of this.proxies) {
      if (key.endsWith('>kafka')) continue;
      for (const proxy of names) await this.toxiproxy.deleteProxy(proxy).catch(() => undefined);
    }
    this.proxies.clear();
    await Promise.all([...this.fronts.values()].map((f) => f.close()));
    this.fronts.clear();
  }

  private async s3Link(process: string): Promise<string> {
    const front = await S3Front.start(this.endpoints.s3.endpoint, this.endpoints.s3, 'pass');
    this.fronts.set(process, front);
    return this.proxy(process, 's3', hostPort(front.endpoint));
  }

  /** A proxy named `<run>.<process>.<peer>[.<replica>]`; returns the address it listens on. */
  private async proxy(process: string, peer: Peer, upstream: string, replica?: string): Promise<string> {
    const name = [this.run, process, peer, replica].filter(Boolean).join('.');
    const info = await this.toxiproxy.createProxy(name, upstream);
    const key = `${process}>${peer}`;
    this.proxies.set(key, [...(this.proxies.get(key) ?? []), name]);
    return info.listen;
  }
}
