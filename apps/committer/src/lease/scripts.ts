/**
 * The lease's Redis scripts. Each runs atomically in Redis, so checking who holds the lease and changing it are one
 * step: a leader can never renew or release a lease that a standby took over after it expired.
 *
 * Keys: KEYS[1] = `<prefix>:lease`, a hash {owner, term, address} with a TTL; KEYS[2] = `<prefix>:term`, the
 * fencing-token counter, which never expires.
 */

/**
 * Takes the lease when nobody holds it (or when we still hold it from an episode we already gave up locally).
 * INCR gives every leadership term a fresh, larger fencing token; ARGV[4] is the highest term the caller has seen,
 * so a counter lost with Redis's data (restart without persistence) cannot hand out an old term again.
 * ARGV: owner, address, ttlMs, minTerm. Returns {1, term} when taken, {0, holderTerm} otherwise.
 */
export const ACQUIRE = `
local owner = redis.call('HGET', KEYS[1], 'owner')
if owner and owner ~= ARGV[1] then
  return {0, tonumber(redis.call('HGET', KEYS[1], 'term')) or 0}
end
local term = redis.call('INCR', KEYS[2])
local floor = tonumber(ARGV[4])
if term <= floor then
  term = floor + 1
  redis.call('SET', KEYS[2], term)
end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'owner', ARGV[1], 'term', term, 'address', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return {1, term}
`;

/** Extends the lease if (owner, term) still hold it. ARGV: owner, term, ttlMs. Returns 1 when renewed, else 0. */
export const RENEW = `
if redis.call('HGET', KEYS[1], 'owner') == ARGV[1] and redis.call('HGET', KEYS[1], 'term') == ARGV[2] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[3])
end
return 0
`;

/** Deletes the lease if (owner, term) still hold it, so a standby need not wait for expiry. Returns 1 or 0. */
export const RELEASE = `
if redis.call('HGET', KEYS[1], 'owner') == ARGV[1] and redis.call('HGET', KEYS[1], 'term') == ARGV[2] then
  return redis.call('DEL', KEYS[1])
end
return 0
`;
