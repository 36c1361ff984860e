/**
 * The Redis key index against the local stack's Redis (REDIS_URL): versioned moves, fencing by the lease term,
 * chunked writes that a crash can interrupt, rebuild, tombstones; and the same contract as the in-memory index
 * under random sequences of operations.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  IndexFencedError,
  type IndexMove,
  IndexVersionError,
  type KeyIndex,
  MemoryKeyIndex,
} from '../../src/mirror/index-store.js';
import { RedisKeyIndex } from '../../src/mirror/index-store-redis.js';
import type { IndexEntry } from '../../src/mirror/plan.js';
import { connect } from '../redis-env.js';

let redis: Redis;
beforeAll(() => {
  redis = connect();
});
afterAll(async () => {
  await redis?.quit();
});

const entry = (file: string, row: number, seq: string, deleted = false, at = 1): IndexEntry => ({
  file,
  row,
  version: { seq, partition: 3, offset: 1234567890123 },
  deleted,
  at,
});

/** A fresh index whose lease is held by `term`. */
async function fresh(term = 1, chunkSize?: number) {
  const prefix = `test:${randomUUID()}`;
  const leaseKey = `${prefix}:lease`;
  await redis.hset(leaseKey, 'owner', 'me', 'term', term);
  const index = new RedisKeyIndex({
    redis,
    prefix,
    table: 's3://lake/delta/db/coll',
    leaseKey,
    ...(chunkSize ? { chunkSize } : {}),
  });
  return { index, leaseKey, prefix };
}

async function all(index: KeyIndex): Promise<Map<string, IndexEntry>> {
  const out = new Map<string, IndexEntry>();
  for await (const [k, e] of index.entries()) out.set(k, e);
  return out;
}

const move = (from: number, to: number, term = 1, tableId = 't1'): IndexMove => ({ tableId, from, to, term });

describe('RedisKeyIndex (real Redis at REDIS_URL)', () => {
  it('stores entries with long paths and odd keys, moves versions, and looks them up', async () => {
    const { index } = await fresh();
    expect(await index.state()).toBeUndefined();
    const path = `part=a%20b/part-00000-${randomUUID()}-c000.zstd.parquet`;
    const keys = ['{"$oid":"68121c000000000000000001"}', '{"$numberLong":"7"}', 'ü|with|bars'];
    await index.apply(
      {
        set: new Map([
          [keys[0] as string, entry(path, 0, '1700000000000.1')],
          [keys[1] as string, entry(path, 1, '1700000000000.2', true, 99)],
        ]),
      },
      move(-1, 0),
    );
    await index.apply({ set: new Map([[keys[2] as string, entry('other.parquet', 5, '9')]]) }, move(0, 1));
    expect(await index.state()).toEqual({ tableId: 't1', version: 1, term: 1, pending: false });
    expect(await index.lookup([...keys, 'missing'])).toEqual(
      new Map([
        [keys[0], entry(path, 0, '1700000000000.1')],
        [keys[1], entry(path, 1, '1700000000000.2', true, 99)],
        [keys[2], entry('other.parquet', 5, '9')],
      ]),
    );
    expect(await index.expiredTombstones(100, 10)).toEqual([keys[1]]);
    expect(await index.expiredTombstones(98, 10)).toEqual([]);
    // a key that comes back to life leaves the tombstone set; a removed key is gone
    await index.apply(
      { set: new Map([[keys[1] as string, entry(path, 2, '1700000000001.0')]]), remove: [keys[0] as string] },
      move(1, 2),
    );
    expect(await index.expiredTombstones(1e15, 10)).toEqual([]);
    expect([...(await all(index)).keys()].sort()).toEqual([keys[1], keys[2]].sort());
  });

  it('refuses a move from the wrong version, or onto another table', async () => {
    const { index } = await fresh();
    await index.apply({ set: new Map() }, move(-1, 4));
    await expect(index.apply({ set: new Map() }, move(3, 5))).rejects.toBeInstanceOf(IndexVersionError);
    await expect(index.apply({ set: new Map() }, move(4, 5, 1, 'recreated'))).rejects.toThrow(
      /belongs to table t1/,
    );
    const err = await index.apply({ set: new Map() }, move(5, 6)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IndexVersionError);
    expect((err as IndexVersionError).actual?.version).toBe(4);
  });

  it('fences writes: only the lease term may write, and never below the last writer', async () => {
    const { index, leaseKey } = await fresh(2);
    await expect(index.apply({ set: new Map() }, move(-1, 0, 1))).rejects.toBeInstanceOf(IndexFencedError);
    await index.apply({ set: new Map([['k', entry('f', 0, '1')]]) }, move(-1, 0, 2));
    // a new leader (term 3); the deposed one (term 2) can no longer write, even to "catch up"
    await redis.hset(leaseKey, 'term', 3);
    await expect(
      index.apply({ set: new Map([['k', entry('g', 0, '2')]]) }, move(0, 1, 2)),
    ).rejects.toBeInstanceOf(IndexFencedError);
    await expect(index.replaceAll([], { tableId: 't1', to: 9, term: 2 })).rejects.toBeInstanceOf(
      IndexFencedError,
    );
    await index.apply({ set: new Map() }, move(0, 1, 3));
    // a lease key that lost its data cannot let an old term back in
    await redis.hset(leaseKey, 'term', 2);
    await expect(index.apply({ set: new Map() }, move(1, 2, 2))).rejects.toThrow(/written by term 3/);
    expect((await index.lookup(['k'])).get('k')?.file).toBe('f');
  });

  it('applies large deltas in chunks; an interrupted move stays pending and can be redone', async () => {
    const { index, prefix } = await fresh(1, 100);
    const big = new Map(
      Array.from({ length: 1050 }, (_, i) => [`key${i}`, entry(`f${i % 7}.parquet`, i, String(i))]),
    );
    await index.apply({ set: big }, move(-1, 0));
    expect(await all(index)).toEqual(big);
    // Simulate a crash after the first chunk of the next move: the version stays, `pending` says so.
    await redis.hset(`${prefix}:mirror:{s3://lake/delta/db/coll}:meta`, 'pending', 1);
    expect(await index.state()).toMatchObject({ version: 0, pending: true });
    await index.apply({ set: new Map([['key1', entry('new.parquet', 0, '5000')]]) }, move(0, 1));
    expect(await index.state()).toEqual({ tableId: 't1', version: 1, term: 1, pending: false });
  });

  it('writes a chunk of thousands of entries, tombstones and removals at once (commands in slices)', async () => {
    const { index } = await fresh(); // default chunk: 2000 entries per script, more than one command slice
    const first = new Map(
      Array.from({ length: 2000 }, (_, i) => [
        `k${i}`,
        entry(`f${i % 3}.parquet`, i, String(i), i % 2 === 0, i),
      ]),
    );
    await index.apply({ set: first }, move(-1, 0));
    expect(await all(index)).toEqual(first);
    expect((await index.expiredTombstones(1e15, 5000)).length).toBe(1000);
    // revive 600 tombstones, tombstone 700 live keys, remove 1300 others
    const next = new Map<string, IndexEntry>();
    for (let i = 0; i < 1200; i += 2) next.set(`k${i}`, entry('g.parquet', i, String(5000 + i)));
    for (let i = 1; i < 1400; i += 2) next.set(`k${i}`, entry('g.parquet', i, String(5000 + i), true, 7));
    const remove = Array.from({ length: 1300 }, (_, i) => `k${700 + i}`).filter((k) => !next.has(k));
    await index.apply({ set: next, remove }, move(0, 1));
    const want = new Map(first);
    for (const [k, e] of next) want.set(k, e);
    for (const k of remove) want.delete(k);
    expect(await all(index)).toEqual(want);
    const tombs = [...want].filter(([, e]) => e.deleted).map(([k]) => k);
    expect((await index.expiredTombstones(1e15, 5000)).sort()).toEqual(tombs.sort());
  });

  it('replaces everything on a rebuild', async () => {
    const { index } = await fresh();
    await index.apply({ set: new Map([['old', entry('f', 0, '1', true)]]) }, move(-1, 0));
    await index.replaceAll(
      [
        ['a', entry('g', 0, '2')],
        ['b', entry('g', 1, '2', true, 5)],
      ],
      { tableId: 't2', to: 12, term: 1 },
    );
    expect(await index.state()).toEqual({ tableId: 't2', version: 12, term: 1, pending: false });
    expect([...(await all(index)).keys()].sort()).toEqual(['a', 'b']);
    expect(await index.expiredTombstones(10, 10)).toEqual(['b']);
  });

  it('behaves like the in-memory index under random operations', async () => {
    const op = fc.oneof(
      fc.record({
        kind: fc.constant('apply' as const),
        set: fc.array(
          fc.tuple(fc.integer({ min: 0, max: 30 }), fc.integer({ min: 0, max: 4 }), fc.boolean()),
          {
            maxLength: 20,
          },
        ),
        remove: fc.array(fc.integer({ min: 0, max: 30 }), { maxLength: 5 }),
        from: fc.integer({ min: -1, max: 2 }),
      }),
      fc.record({ kind: fc.constant('lookup' as const), keys: fc.array(fc.integer({ min: 0, max: 35 })) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 15 }), async (ops) => {
        const { index: red } = await fresh(1, 7);
        const mem = new MemoryKeyIndex();
        let version = -1;
        for (const o of ops) {
          if (o.kind === 'lookup') {
            const keys = o.keys.map((k) => `k${k}`);
            expect(await red.lookup(keys)).toEqual(await mem.lookup(keys));
            continue;
          }
          const set = new Map(o.set.map(([k, f, d]) => [`k${k}`, entry(`file${f}`, k, String(k), d, f)]));
          const remove = o.remove.map((k) => `k${k}`).filter((k) => !set.has(k));
          // mostly the right version, sometimes a wrong one (both must refuse it alike)
          const from = o.from === 2 ? version : o.from;
          const m = move(from, from + 1);
          const a = await red.apply({ set, remove }, m).then(
            () => 'ok',
            (e: Error) => e.name,
          );
          const b = await mem.apply({ set, remove }, m).then(
            () => 'ok',
            (e: Error) => e.name,
          );
          expect(a).toBe(b);
          if (a === 'ok') version = from + 1;
        }
        expect(await all(red)).toEqual(await all(mem));
        expect((await red.state())?.version ?? -1).toBe(version);
      }),
      { numRuns: 40 },
    );
  });
});
