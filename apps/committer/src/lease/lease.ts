/**
 * Leadership through a Redis lease with a fencing token.
 *
 * One process holds the lease (`<prefix>:lease`, with a TTL) and renews it; the others retry to take it. Each new
 * holder gets a strictly larger term (the fencing token). The holder considers itself leader only until
 * `last successful renewal start + TTL − safety margin`, i.e. strictly before Redis can expire the key and a standby
 * can take over, so two processes never both believe they lead as long as their clocks run at similar rates. When
 * leadership ends (renewal refused, renewals failing past that deadline, stop), `lost` fires and the term's
 * AbortSignal aborts, so in-flight commits stop before writing. Correctness of the table does not rest on this:
 * Delta's put-if-absent commit makes double commits impossible even with two leaders; the lease keeps them rare.
 */
import { EventEmitter } from 'node:events';
import { Redis, type RedisOptions } from 'ioredis';
import { ACQUIRE, RELEASE, RENEW } from './scripts.js';

export interface LeaseOptions {
  readonly redis: Redis;
  readonly keyPrefix: string;
  /** Unique per process. */
  readonly owner: string;
  /** Where ingestors reach this replica (`host:port`), published to standbys for redirects. */
  readonly address: string;
  readonly ttlMs: number;
  readonly renewIntervalMs: number;
  readonly retryIntervalMs: number;
  /** Leadership ends locally this long before the key can expire in Redis. Default: a tenth of the TTL. */
  readonly safetyMarginMs?: number;
}

export interface LeaseHolder {
  readonly owner: string;
  readonly term: number;
  readonly address: string;
}

export interface Leadership {
  readonly term: number;
  /** Aborted when this term's leadership ends; pass it to every commit of the term. */
  readonly signal: AbortSignal;
}

export type LostReason = 'taken-over' | 'renewal-failed' | 'stopped';

interface LeaseEvents {
  acquired: [leadership: Leadership];
  renewed: [term: number];
  lost: [info: { term: number; reason: LostReason }];
  /** A Redis call failed (logged by the owner; the lease keeps trying). */
  error: [error: Error];
}

/** Redis connection settings for the lease: fail fast instead of queueing commands while disconnected. */
export function leaseRedisOptions(commandTimeoutMs: number): RedisOptions {
  return {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: commandTimeoutMs,
    connectTimeout: commandTimeoutMs,
    retryStrategy: (times) => Math.min(times * 100, 1_000),
    lazyConnect: false,
  };
}

export class Lease extends EventEmitter<LeaseEvents> {
  private readonly leaseKey: string;
  private readonly termKey: string;
  private readonly margin: number;
  private current?: {
    term: number;
    validUntil: number;
    controller: AbortController;
    expiry?: NodeJS.Timeout;
  };
  /** Highest term ever seen, the floor for the next acquire. */
  private highestTerm = 0;
  private running = false;
  private wake?: () => void;
  private loop?: Promise<void>;

  constructor(private readonly options: LeaseOptions) {
    super();
    this.leaseKey = `${options.keyPrefix}:lease`;
    this.termKey = `${options.keyPrefix}:term`;
    this.margin = options.safetyMarginMs ?? Math.ceil(options.ttlMs / 10);
  }

  /** The current leadership, or undefined on a standby (or after the local deadline passed). */
  get leadership(): Leadership | undefined {
    const c = this.current;
    return c && Date.now() < c.validUntil ? { term: c.term, signal: c.controller.signal } : undefined;
  }

  get isLeader(): boolean {
    return this.leadership !== undefined;
  }

  /** Starts trying to acquire and then renewing, until stop(). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Stops the loop and releases the lease if held, so a standby takes over at once. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.wake?.();
    await this.loop;
    const held = this.current;
    if (held) {
      this.lose('stopped');
      try {
        await this.options.redis.eval(RELEASE, 2, this.leaseKey, this.termKey, this.options.owner, held.term);
      } catch (error) {
        this.emit('error', error as Error); // it expires on its own
      }
    }
  }

  /** Who holds the lease according to Redis (for NOT_LEADER hints), or undefined. */
  async holder(): Promise<LeaseHolder | undefined> {
    const h = await this.options.redis.hgetall(this.leaseKey);
    if (!h.owner || !h.term) return undefined;
    const term = Number(h.term);
    this.highestTerm = Math.max(this.highestTerm, term);
    return { owner: h.owner, term, address: h.address ?? '' };
  }

  private async run(): Promise<void> {
    while (this.running) {
      const startedAt = Date.now();
      try {
        // While disconnected there is nothing to try: a leader's term ends at its deadline (the expiry timer).
        if (this.options.redis.status === 'ready') {
          if (this.current) await this.renew(startedAt);
          else await this.acquire(startedAt);
        }
      } catch (error) {
        // Redis unreachable or slow: a leader keeps its term until the local deadline (the expiry timer ends it).
        this.emit('error', error as Error);
      }
      if (!this.running) break;
      await this.sleep(this.current ? this.options.renewIntervalMs : this.options.retryIntervalMs);
    }
  }

  private async acquire(startedAt: number): Promise<void> {
    const o = this.options;
    const [taken, term] = (await o.redis.eval(
      ACQUIRE,
      2,
      this.leaseKey,
      this.termKey,
      o.owner,
      o.address,
      o.ttlMs,
      this.highestTerm,
    )) as [number, number];
    this.highestTerm = Math.max(this.highestTerm, term);
    if (taken !== 1) return;
    if (!this.running) {
      // stop() came while acquiring: hand the lease straight back instead of making a standby wait for the TTL.
      await o.redis.eval(RELEASE, 2, this.leaseKey, this.termKey, o.owner, term);
      return;
    }
    const controller = new AbortController();
    this.current = { term, validUntil: 0, controller };
    this.extend(startedAt);
    this.emit('acquired', { term, signal: controller.signal });
  }

  private async renew(startedAt: number): Promise<void> {
    const o = this.options;
    const term = this.current?.term ?? 0;
    const renewed = await o.redis.eval(RENEW, 2, this.leaseKey, this.termKey, o.owner, term, o.ttlMs);
    if (this.current?.term !== term) return; // lost meanwhile (deadline passed)
    if (renewed === 1) {
      this.extend(startedAt);
      this.emit('renewed', term);
    } else {
      this.lose('taken-over');
    }
  }

  /** Moves the local deadline to `startedAt + TTL − margin`: the key was extended no earlier than startedAt. */
  private extend(startedAt: number): void {
    const c = this.current;
    if (!c) return;
    c.validUntil = startedAt + this.options.ttlMs - this.margin;
    clearTimeout(c.expiry);
    c.expiry = setTimeout(() => this.lose('renewal-failed'), Math.max(0, c.validUntil - Date.now()));
    c.expiry.unref();
  }

  private lose(reason: LostReason): void {
    const c = this.current;
    if (!c) return;
    this.current = undefined;
    clearTimeout(c.expiry);
    c.controller.abort(new LeadershipLostError(c.term, reason));
    this.emit('lost', { term: c.term, reason });
    this.wake?.();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}

export class LeadershipLostError extends Error {
  override readonly name = 'LeadershipLostError';
  constructor(
    readonly term: number,
    readonly reason: LostReason,
  ) {
    super(`leadership term ${term} ended (${reason})`);
  }
}

export { Redis };
