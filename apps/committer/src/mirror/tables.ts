/**
 * The mirror tables of one committer process: a key index per table (in the lease's Redis, fenced by the lease's
 * term), one lock per table so that a commit, an index sync and a compaction never move the same index at once,
 * and the list of mirror tables Redis knows about, so that a new leader can sync every index when its term starts
 * (instead of on the first commit, which would then pay for a catch-up or a rebuild).
 */
import { Redis } from 'ioredis';
import type { KeyIndex } from './index-store.js';
import { RedisKeyIndex } from './index-store-redis.js';

export interface MirrorTablesOptions {
  readonly redisUrl: string;
  /** The lease's key prefix (`COMMITTER_LEASE_KEY`): indexes live under `<prefix>:mirror:{<table path>}:…`. */
  readonly prefix: string;
  /** Per-command timeout (ms); a Redis that does not answer fails the commit (RETRY_LATER), never hangs it. */
  readonly commandTimeoutMs?: number;
}

export class MirrorTables {
  private readonly redis: Redis;
  private readonly indexes = new Map<string, KeyIndex>();
  private readonly locks = new Map<string, Promise<unknown>>();

  constructor(private readonly options: MirrorTablesOptions) {
    this.redis = new Redis(options.redisUrl, {
      commandTimeout: options.commandTimeoutMs ?? 30_000,
      maxRetriesPerRequest: 2,
      lazyConnect: true,
    });
    this.redis.on('error', () => {}); // surfaced by the commands that fail
  }

  /** The key index of the table at `tablePath` (bucket-relative, e.g. `delta/shop/orders`). */
  index(tablePath: string): KeyIndex {
    let index = this.indexes.get(tablePath);
    if (!index) {
      index = new RedisKeyIndex({
        redis: this.redis,
        prefix: this.options.prefix,
        table: tablePath,
        leaseKey: `${this.options.prefix}:lease`,
      });
      this.indexes.set(tablePath, index);
    }
    return index;
  }

  /** Runs `fn` alone for this table (commits, syncs and compactions of one table queue up behind each other). */
  async exclusive<T>(tablePath: string, fn: () => Promise<T>): Promise<T> {
    const before = this.locks.get(tablePath) ?? Promise.resolve();
    const run = before.then(fn, fn);
    const tail = run.catch(() => undefined);
    this.locks.set(tablePath, tail);
    try {
      return await run;
    } finally {
      if (this.locks.get(tablePath) === tail) this.locks.delete(tablePath);
    }
  }

  /** Table paths that have an index in Redis (the mirror tables some leader committed to). */
  async known(): Promise<string[]> {
    const pattern = `${this.options.prefix}:mirror:{*}:meta`;
    const head = `${this.options.prefix}:mirror:{`;
    const tables = new Set<string>();
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      for (const k of keys) tables.add(k.slice(head.length, -'}:meta'.length));
    } while (cursor !== '0');
    return [...tables].sort();
  }

  close(): void {
    this.redis.disconnect();
  }
}
