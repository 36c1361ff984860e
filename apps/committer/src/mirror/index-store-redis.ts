/**
 * The key index in Redis, one set of keys per table, all under one hash tag (`{<table>}`) so they share a slot:
 * - `…:meta`   hash {tableId, version, term, pending, nextFile}
 * - `…:keys`   hash key → `fileId|row|seq|partition|offset|deleted|at`
 * - `…:fid`    hash fileId → path, and `…:fpath` path → fileId (paths are long, keys are many: ids keep entries small)
 * - `…:tomb`   sorted set of tombstoned keys by commit time, so purging expired tombstones reads only those.
 *
 * Writes run as Lua scripts that first check the fence: the lease hash (`<lease prefix>:lease`) must name the
 * caller's term, and no higher term may have written the index. A delta is applied in chunks (one script each, so
 * Redis is never blocked for long); the first chunk checks the version and marks the move `pending`, the last one
 * sets the new version. A crash in between leaves `pending` set and the version unchanged: the next leader folds
 * that commit in again, which is harmless because entries are whole values.
 * The lease key lives in another slot: the index needs a single Redis (or Sentinel), not a Cluster.
 */
import type { Redis } from 'ioredis';
import {
  type IndexDelta,
  IndexFencedError,
  type IndexMove,
  type IndexState,
  IndexVersionError,
  type KeyIndex,
} from './index-store.js';
import type { IndexEntry } from './plan.js';

/**
 * KEYS: meta, keys, fid, fpath, tomb, lease.
 * ARGV: term, tableId, from, to, phase (start | reset | continue), finish (0/1), nPaths, paths…, nSet,
 * (key, pathIndex|row|seq|partition|offset|deleted|at, tombScore or '-')…, nRemove, keys…
 * Returns {0, ''} or {1, why} (fenced) or {2, why} (version).
 */
const APPLY = `
local term = tonumber(ARGV[1])
local leaseTerm = redis.call('HGET', KEYS[6], 'term')
if leaseTerm ~= ARGV[1] then return {1, 'the lease is held by term ' .. tostring(leaseTerm)} end
local metaTerm = tonumber(redis.call('HGET', KEYS[1], 'term') or '0')
if metaTerm > term then return {1, 'the index was written by term ' .. metaTerm} end
local phase = ARGV[5]
if phase == 'reset' then
  redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5])
  redis.call('HSET', KEYS[1], 'tableId', ARGV[2], 'version', -1, 'pending', ARGV[4])
else
  local tableId = redis.call('HGET', KEYS[1], 'tableId')
  if tableId and tableId ~= ARGV[2] then return {2, 'the index belongs to table ' .. tableId} end
  if phase == 'start' then
    local version = redis.call('HGET', KEYS[1], 'version') or '-1'
    if version ~= ARGV[3] then return {2, 'the index is at version ' .. version} end
    redis.call('HSET', KEYS[1], 'tableId', ARGV[2], 'version', version, 'pending', ARGV[4])
  elseif redis.call('HGET', KEYS[1], 'pending') ~= ARGV[4] then
    return {2, 'no move to version ' .. ARGV[4] .. ' is in progress'}
  end
end
redis.call('HSET', KEYS[1], 'term', ARGV[1])
local i = 7
local nPaths = tonumber(ARGV[i]); i = i + 1
local ids = {}
for p = 1, nPaths do
  local path = ARGV[i]; i = i + 1
  local id = redis.call('HGET', KEYS[4], path)
  if not id then
    id = tostring(redis.call('HINCRBY', KEYS[1], 'nextFile', 1))
    redis.call('HSET', KEYS[3], id, path)
    redis.call('HSET', KEYS[4], path, id)
  end
  ids[p] = id
end
local nSet = tonumber(ARGV[i]); i = i + 1
local hset, zrem, zadd, gone = {}, {}, {}, {}
for s = 1, nSet do
  local key, value, score = ARGV[i], ARGV[i + 1], ARGV[i + 2]; i = i + 3
  local bar = string.find(value, '|', 1, true)
  hset[#hset + 1] = key
  hset[#hset + 1] = ids[tonumber(string.sub(value, 1, bar - 1))] .. string.sub(value, bar)
  if score == '-' then zrem[#zrem + 1] = key else zadd[#zadd + 1] = score; zadd[#zadd + 1] = key end
end
local nRemove = tonumber(ARGV[i]); i = i + 1
for r = 1, nRemove do gone[r] = ARGV[i]; i = i + 1 end
-- One command per slice instead of one per entry; slices because unpack's stack is limited.
local function each(cmd, key, list)
  for s = 1, #list, 1000 do redis.call(cmd, key, unpack(list, s, math.min(#list, s + 999))) end
end
each('HSET', KEYS[2], hset)
each('ZADD', KEYS[5], zadd)
each('ZREM', KEYS[5], zrem)
each('ZREM', KEYS[5], gone)
each('HDEL', KEYS[2], gone)
if ARGV[6] == '1' then
  redis.call('HSET', KEYS[1], 'version', ARGV[4])
  redis.call('HDEL', KEYS[1], 'pending')
end
return {0, ''}
`;

export interface RedisKeyIndexOptions {
  readonly redis: Redis;
  /** Key prefix shared with the committer's other keys (e.g. `deltawriter:committer`). */
  readonly prefix: string;
  /** The table (its URI): one index per table. */
  readonly table: string;
  /** The lease hash that names the current term (`<lease prefix>:lease`). */
  readonly leaseKey: string;
  /** Entries per script call (default 2000). */
  readonly chunkSize?: number;
}

function pack(e: IndexEntry, fileRef: string): string {
  const v = e.version;
  return `${fileRef}|${e.row}|${v.seq}|${v.partition}|${v.offset}|${e.deleted ? 1 : 0}|${e.at}`;
}

function unpack(value: string, paths: ReadonlyMap<string, string>): IndexEntry {
  const [id, row, seq, partition, offset, deleted, at] = value.split('|') as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  return {
    // A file forgotten by maintenance leaves '' (only expired tombstones can point at one).
    file: paths.get(id) ?? '',
    row: Number(row),
    version: { seq, partition: Number(partition), offset: Number(offset) },
    deleted: deleted === '1',
    at: Number(at),
  };
}

export class RedisKeyIndex implements KeyIndex {
  private readonly redis: Redis;
  private readonly keys: string[];
  private readonly chunkSize: number;

  constructor(options: RedisKeyIndexOptions) {
    this.redis = options.redis;
    const base = `${options.prefix}:mirror:{${options.table}}`;
    this.keys = ['meta', 'keys', 'fid', 'fpath', 'tomb'].map((k) => `${base}:${k}`);
    this.keys.push(options.leaseKey);
    this.chunkSize = options.chunkSize ?? 2000;
  }

  private get metaKey(): string {
    return this.keys[0] as string;
  }
  private get entriesKey(): string {
    return this.keys[1] as string;
  }

  async state(): Promise<IndexState | undefined> {
    const m = await this.redis.hgetall(this.metaKey);
    if (m.tableId === undefined) return undefined;
    return {
      tableId: m.tableId,
      version: Number(m.version ?? -1),
      term: Number(m.term ?? 0),
      pending: m.pending !== undefined,
    };
  }

  async lookup(keys: readonly string[]): Promise<Map<string, IndexEntry>> {
    const out = new Map<string, IndexEntry>();
    if (keys.length === 0) return out;
    const values = await this.redis.hmget(this.entriesKey, ...keys);
    const ids = new Set<string>();
    for (const v of values) if (v) ids.add(v.slice(0, v.indexOf('|')));
    const paths = await this.paths([...ids]);
    keys.forEach((k, i) => {
      const v = values[i];
      if (v) out.set(k, unpack(v, paths));
    });
    return out;
  }

  private async paths(ids: readonly string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    if (ids.length === 0) return out;
    const paths = await this.redis.hmget(this.keys[2] as string, ...ids);
    ids.forEach((id, i) => {
      const p = paths[i];
      if (p) out.set(id, p);
    });
    return out;
  }

  async apply(delta: IndexDelta, move: IndexMove): Promise<void> {
    await this.write([...delta.set], delta.remove ?? [], move, 'start');
  }

  async replaceAll(
    entries: Iterable<readonly [string, IndexEntry]>,
    at: Omit<IndexMove, 'from'>,
  ): Promise<void> {
    await this.write([...entries], [], { ...at, from: -1 }, 'reset');
  }

  private async write(
    set: ReadonlyArray<readonly [string, IndexEntry]>,
    remove: readonly string[],
    move: IndexMove,
    first: 'start' | 'reset',
  ): Promise<void> {
    const ops: Array<{ set: readonly [string, IndexEntry] } | { remove: string }> = [
      ...set.map((s) => ({ set: s })),
      ...remove.map((k) => ({ remove: k })),
    ];
    const chunks = Math.max(1, Math.ceil(ops.length / this.chunkSize));
    for (let c = 0; c < chunks; c++) {
      const chunk = ops.slice(c * this.chunkSize, (c + 1) * this.chunkSize);
      const pathIndex = new Map<string, number>();
      const args: (string | number)[] = [];
      const removePart: string[] = [];
      for (const op of chunk) {
        if ('remove' in op) {
          removePart.push(op.remove);
          continue;
        }
        const [key, e] = op.set;
        let idx = pathIndex.get(e.file);
        if (idx === undefined) {
          idx = pathIndex.size + 1;
          pathIndex.set(e.file, idx);
        }
        args.push(key, pack(e, String(idx)), e.deleted ? e.at : '-');
      }
      const argv = [
        move.term,
        move.tableId,
        move.from,
        move.to,
        c === 0 ? first : 'continue',
        c === chunks - 1 ? 1 : 0,
        pathIndex.size,
        ...pathIndex.keys(),
        args.length / 3,
        ...args,
        removePart.length,
        ...removePart,
      ];
      const [code, why] = (await this.redis.eval(APPLY, this.keys.length, ...this.keys, ...argv)) as [
        number,
        string,
      ];
      if (code === 1) throw new IndexFencedError(`index write of term ${move.term} refused: ${why}`);
      if (code === 2)
        throw new IndexVersionError(`index move to ${move.to} refused: ${why}`, await this.state());
    }
  }

  async expiredTombstones(before: number, limit: number): Promise<string[]> {
    return this.redis.zrangebyscore(this.keys[4] as string, '-inf', before, 'LIMIT', 0, limit);
  }

  async *entries(): AsyncIterable<readonly [string, IndexEntry]> {
    let cursor = '0';
    do {
      const [next, flat] = await this.redis.hscan(this.entriesKey, cursor, 'COUNT', 1000);
      cursor = next;
      const values: Array<[string, string]> = [];
      for (let i = 0; i < flat.length; i += 2) values.push([flat[i] as string, flat[i + 1] as string]);
      const paths = await this.paths([...new Set(values.map(([, v]) => v.slice(0, v.indexOf('|'))))]);
      for (const [k, v] of values) yield [k, unpack(v, paths)] as const;
    } while (cursor !== '0');
  }
}
