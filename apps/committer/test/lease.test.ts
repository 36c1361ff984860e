import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { Lease, type LeaseOptions, leaseRedisOptions } from '../src/lease/lease.js';
import { connect } from './redis-env.js';

// Short durations keep the suite quick; the behaviour under test does not depend on them.
const timing = { ttlMs: 1_000, renewIntervalMs: 200, retryIntervalMs: 50 };
const cleanup: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

function redis(): Redis {
  const r = connect(leaseRedisOptions(500));
  r.on('error', () => {}); // connection errors surface through the lease's own 'error' events
  cleanup.push(() => r.disconnect());
  return r;
}

/** A plain connection (with the offline queue) for the test's own changes to Redis. */
function admin(): Redis {
  const r = connect();
  cleanup.push(() => r.disconnect());
  return r;
}

function contender(prefix: string, name: string, overrides: Partial<LeaseOptions> = {}) {
  const lease = new Lease({
    redis: redis(),
    keyPrefix: prefix,
    owner: `${name}/${randomUUID()}`,
    address: `${name}:50051`,
    ...timing,
    ...overrides,
  });
  lease.on('error', () => {});
  const events: string[] = [];
  lease.on('acquired', ({ term }) => events.push(`acquired ${term}`));
  lease.on('lost', ({ term, reason }) => events.push(`lost ${term} ${reason}`));
  cleanup.push(() => lease.stop());
  return { lease, events };
}

// Not events.once: it rejects on 'error', and Redis errors are expected here (the lease rides them out).
const next = <E extends 'acquired' | 'lost' | 'renewed'>(lease: Lease, event: E) =>
  new Promise<Parameters<Parameters<Lease['once']>[1]>[0]>((resolve) => lease.once(event, resolve as never));
const acquired = (lease: Lease) => next(lease, 'acquired') as Promise<{ term: number; signal: AbortSignal }>;
const lost = (lease: Lease) => next(lease, 'lost') as Promise<{ term: number; reason: string }>;

describe('Redis lease (real Redis at REDIS_URL)', () => {
  it('lets exactly one of two contenders lead, and publishes its address', async () => {
    const prefix = `test:${randomUUID()}`;
    const a = contender(prefix, 'a');
    const b = contender(prefix, 'b');
    const first = Promise.race([acquired(a.lease).then(() => a), acquired(b.lease).then(() => b)]);
    a.lease.start();
    b.lease.start();
    const winner = await first;
    const loser = winner === a ? b : a;
    // Let the standby try several times: it must stay a standby.
    await new Promise((r) => setTimeout(r, timing.retryIntervalMs * 5));
    expect(winner.lease.isLeader).toBe(true);
    expect(loser.lease.isLeader).toBe(false);
    expect(loser.events).toEqual([]);
    const holder = await loser.lease.holder();
    expect(holder?.address).toBe(winner === a ? 'a:50051' : 'b:50051');
    expect(holder?.term).toBe(winner.lease.leadership?.term);
  });

  it('hands over at once on stop (release), with a larger fencing token', async () => {
    const prefix = `test:${randomUUID()}`;
    const a = contender(prefix, 'a');
    a.lease.start();
    const { term: t1 } = await acquired(a.lease);
    const b = contender(prefix, 'b', { retryIntervalMs: 20 });
    b.lease.start();
    const next = acquired(b.lease);
    const aLost = lost(a.lease);
    await a.lease.stop();
    expect(await aLost).toMatchObject({ term: t1, reason: 'stopped' });
    expect((await next).term).toBeGreaterThan(t1);
  });

  it('takes over after the leader dies, only after the dead leader stopped believing it leads', async () => {
    const prefix = `test:${randomUUID()}`;
    const connection = redis();
    const a = contender(prefix, 'a', { redis: connection });
    a.lease.start();
    const leadership = await acquired(a.lease);
    const b = contender(prefix, 'b');
    b.lease.start();
    const aLost = lost(a.lease).then((l) => ({ ...l, at: Date.now() }));
    const bAcquired = acquired(b.lease).then((l) => ({ ...l, at: Date.now() }));
    // The leader's process is gone as far as Redis is concerned: no more renewals reach it.
    connection.disconnect();
    const [l, acq] = await Promise.all([aLost, bAcquired]);
    expect(l).toMatchObject({ term: leadership.term, reason: 'renewal-failed' });
    expect(leadership.signal.aborted).toBe(true);
    expect(acq.term).toBeGreaterThan(leadership.term);
    expect(l.at).toBeLessThanOrEqual(acq.at);
  });

  it('ends leadership at once when the lease was taken over behind its back', async () => {
    const prefix = `test:${randomUUID()}`;
    const a = contender(prefix, 'a');
    a.lease.start();
    const { term, signal } = await acquired(a.lease);
    // Someone else holds the key now (as after an expiry during a long pause of the leader).
    const r = admin();
    await r.hset(`${prefix}:lease`, 'owner', 'intruder', 'term', term + 1, 'address', 'x:1');
    expect(await lost(a.lease)).toEqual({ term, reason: 'taken-over' });
    expect(signal.reason).toMatchObject({ name: 'LeadershipLostError', term });
  });

  it('never reuses a fencing token after Redis lost its data (restart without persistence)', async () => {
    const prefix = `test:${randomUUID()}`;
    const a = contender(prefix, 'a');
    a.lease.start();
    const { term } = await acquired(a.lease);
    const r = admin();
    const aLost = lost(a.lease);
    const again = aLost.then(() => acquired(a.lease));
    await r.del(`${prefix}:lease`, `${prefix}:term`);
    expect((await aLost).reason).toBe('taken-over');
    expect((await again).term).toBeGreaterThan(term);
  });

  it('keeps leading through a dropped connection that comes back before the deadline', async () => {
    const prefix = `test:${randomUUID()}`;
    const connection = redis();
    const a = contender(prefix, 'a', { redis: connection, ttlMs: 3_000, renewIntervalMs: 200 });
    a.lease.start();
    const { term } = await acquired(a.lease);
    const id = await connection.client('ID');
    await admin().client('KILL', 'ID', String(id));
    // Several renewals after the kill: ioredis reconnected and the same term goes on.
    for (let i = 0; i < 3; i++) await next(a.lease, 'renewed');
    expect(a.lease.leadership?.term).toBe(term);
    expect(a.events).toEqual([`acquired ${term}`]);
  });

  it('gives strictly increasing terms across many handovers', async () => {
    const prefix = `test:${randomUUID()}`;
    const terms: number[] = [];
    for (let i = 0; i < 5; i++) {
      const c = contender(prefix, `c${i}`, { retryIntervalMs: 10 });
      c.lease.start();
      terms.push((await acquired(c.lease)).term);
      await c.lease.stop();
    }
    expect(terms).toEqual([...terms].sort((x, y) => x - y));
    expect(new Set(terms).size).toBe(terms.length);
  });
});
