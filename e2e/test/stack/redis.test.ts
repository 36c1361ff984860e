import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { stackEnv, uniqueName } from '../../src/stack.js';

const redis = new Redis(stackEnv().redisUrl, { maxRetriesPerRequest: 2, lazyConnect: true });
const key = (name: string) => `stack-tests:${uniqueName(name)}`;

afterAll(async () => {
  await redis.quit();
});

describe('Redis', () => {
  it('round-trips a value', async () => {
    const k = key('value');
    await redis.set(k, 'hello', 'EX', 60);
    expect(await redis.get(k)).toBe('hello');
    expect(await redis.del(k)).toBe(1);
    expect(await redis.get(k)).toBeNull();
  });

  it('grants a lease (SET NX PX) to one holder only, with an expiry', async () => {
    const lease = key('lease');
    expect(await redis.set(lease, 'committer-a', 'PX', 30_000, 'NX')).toBe('OK');
    expect(await redis.set(lease, 'committer-b', 'PX', 30_000, 'NX')).toBeNull();
    expect(await redis.get(lease)).toBe('committer-a');
    const ttl = await redis.pttl(lease);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(30_000);
    await redis.del(lease);
  });
});
