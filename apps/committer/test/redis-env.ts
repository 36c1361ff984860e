import { Redis, type RedisOptions } from 'ioredis';

/** The local stack's Redis (REDIS_URL). Tests never start servers: without it they fail with one clear line. */
export function redisUrl(): string {
  const url = process.env.REDIS_URL;
  if (!url) {
    throw new Error('REDIS_URL is not set: start the local stack (./dw stack up) and load .data/stack/env');
  }
  return url;
}

export function connect(options: RedisOptions = {}): Redis {
  return new Redis(redisUrl(), { lazyConnect: false, ...options });
}
