/**
 * Mirror-table compaction through the real maintenance worker on the local stack's S3 server and Redis: deletion
 * vectors are folded into clean files without changing a live row, tombstones the index still needs are carried over
 * (so late older events still lose), expired tombstones are purged, and the index follows the moved rows.
 */
import { Snapshot } from '@delta-writer/delta-log';
import { readWithDeltaRs } from '@delta-writer/test-readers';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MirrorConfig } from '../../src/config/load.js';
import { Maintainer } from '../../src/maintenance/maintainer.js';
import { createMaintenancePool, type MaintenancePool } from '../../src/maintenance/pool.js';
import { readMirrorRows } from '../../src/mirror/index-sync.js';
import { foldRows } from '../../src/mirror/plan.js';
import { batchRunner, deltaCommitter } from '../support/committer.js';
import { stack, testBasePath } from '../support/stack.js';
import { type DocRow, upsertManifest } from './support/manifests.js';
import { pick, rng } from './support/source.js';

const base = testBasePath();
const prefix = `test:mirror-compaction:${base}`;
let redis: Redis;
let n = 0;
const maintainers: Maintainer[] = [];
beforeAll(async () => {
  redis = new Redis(stack().redisUrl);
  await redis.hset(`${prefix}:lease`, 'owner', 'test', 'term', 1);
});
afterAll(async () => {
  await Promise.all(maintainers.map((m) => m.stop()));
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

type SnapshotOf = (tablePath: string, fresh?: boolean) => Promise<Snapshot | undefined>;

function setup(
  mirrorConfig: Partial<MirrorConfig> = {},
  wrapPool: (pool: MaintenancePool) => MaintenancePool = (pool) => pool,
  wrapSnapshot: (snapshot: SnapshotOf) => SnapshotOf = (snapshot) => snapshot,
) {
  const s = stack();
  const tablePath = `${base}/m${++n}`;
  const tableUri = `s3://${s.bucket}/${tablePath}`;
  const { storage, tables, mirror, mirrorTables, metrics } = deltaCommitter({ mirror: { prefix } });
  if (!mirror || !mirrorTables) throw new Error('no mirror writer');
  const maintainer = new Maintainer({
    config: {
      checkpointInterval: 0,
      checkpointTimeShare: 1,
      compactionIntervalMs: 0,
      compactionTargetFileBytes: 64 * 1024 * 1024,
      compactionSmallFileBytes: 1, // no file is "small": only deleted shares pick files
      compactionMinFiles: 100,
      compactionMaxBytesPerRun: 1024 * 1024 * 1024,
      intervalMs: 0,
    },
    storage,
    snapshot: wrapSnapshot((p, fresh) => tables.snapshot(p, fresh)),
    pool: wrapPool(createMaintenancePool(s.s3)),
    mirror: {
      tables: mirrorTables,
      planner: mirror,
      config: {
        tombstoneRetentionMs: 86_400_000,
        compactDeletedRatio: 0.3,
        vectorCacheRows: 1000,
        ...mirrorConfig,
      },
    },
    logger: pino({ level: 'silent' }),
    metrics,
  });
  maintainers.push(maintainer);
  maintainer.start(() => ({ term: 1, signal: new AbortController().signal }));
  const { run } = batchRunner(tables, 1);
  let offset = 0;
  const put = async (rows: DocRow[]) => {
    const first = offset;
    offset += rows.length;
    const result = await run([
      await upsertManifest(s.storage, { tablePath, tableUri, partition: 0, first, last: offset - 1, rows }),
    ]);
    expect(result.outcomes.map((o) => o.$case)).toEqual(['ack']);
  };
  const live = async () => {
    const snapshot = await Snapshot.load(s.storage, tablePath);
    const out = new Map<string, number>();
    for (const r of (await snapshot.scan().toTable()).toArray()) out.set(String(r._cdc_key), Number(r.n));
    return out;
  };
  /** The index entries (key → file:row:deleted) and a rebuild from the table agree, with no violations. */
  const indexMatchesTable = async () => {
    const snapshot = await Snapshot.load(s.storage, tablePath);
    const rebuilt = foldRows(
      (await Promise.all(snapshot.files().map((f) => readMirrorRows(snapshot, f)))).flat(),
      new Map(),
    );
    expect(rebuilt.violations).toEqual([]);
    const stored = new Map<string, string>();
    for await (const [k, e] of mirrorTables.index(tablePath).entries())
      stored.set(k, `${e.file}:${e.row}:${e.deleted}`);
    expect(stored).toEqual(
      new Map([...rebuilt.entries].map(([k, e]) => [k, `${e.file}:${e.row}:${e.deleted}`])),
    );
  };
  return { tablePath, tableUri, storage: s.storage, maintainer, metrics, put, live, indexMatchesTable };
}

const keys = (count: number, from = 0) => Array.from({ length: count }, (_, i) => `k${from + i}`);

describe('mirror compaction', { timeout: 180_000 }, () => {
  it('folds deletion vectors into clean files, keeps live rows and the tombstones the index needs', async () => {
    const t = setup();
    await t.put(keys(20).map((key, i) => ({ key, seq: 1 + i, n: i })));
    await t.put(keys(8).map((key, i) => ({ key, seq: 100 + i, n: 100 + i }))); // 8 of 20 rows of file 1 die
    await t.put([
      { key: 'k10', seq: 200 },
      { key: 'k11', seq: 201 },
      { key: 'ghost', seq: 202 }, // a delete of a key never seen: a tombstone all the same
    ]);
    const before = await t.live();
    expect(before.size).toBe(18);
    const snapBefore = await Snapshot.load(t.storage, t.tablePath);
    expect(snapBefore.files().filter((f) => f.deletionVector)).toHaveLength(2); // file 1 (10 of 20), the deletes

    const report = await t.maintainer.request('compaction', t.tablePath);
    // File 1 (50 % dead) and the tombstone file (100 %) are rewritten; the update file has no dead rows.
    expect(report).toMatchObject({
      committed: 1,
      filesRemoved: 2,
      filesAdded: 1,
      tombstonesKept: 3,
      purged: 0,
    });
    const after = await Snapshot.load(t.storage, t.tablePath);
    expect(after.numFiles).toBe(2);
    const compacted = after.files().find((f) => f.deletionVector);
    expect(compacted?.deletionVector?.cardinality).toBe(3); // only the carried-over tombstones
    expect(compacted?.dataChange).toBe(false);
    expect(await t.live()).toEqual(before);
    await t.indexMatchesTable();

    // The carried-over tombstones still win against late older events; newer ones find their rows in the new file.
    await t.put([
      { key: 'k10', seq: 150, n: -1 }, // older than its delete (seq 200)
      { key: 'ghost', seq: 2, n: -1 },
      { key: 'k12', seq: 300, n: 300 }, // its row moved into the compacted file
    ]);
    const final = await t.live();
    expect(final.has('k10')).toBe(false);
    expect(final.has('ghost')).toBe(false);
    expect(final.get('k12')).toBe(300);
    expect(final.size).toBe(18);
    await t.indexMatchesTable();
  });

  it('purges tombstones past the retention from the index, and compaction drops their rows', async () => {
    const t = setup({ tombstoneRetentionMs: 0 });
    await t.put(keys(10).map((key, i) => ({ key, seq: 1 + i, n: i })));
    await t.put(keys(5).map((key, i) => ({ key, seq: 100 + i })));
    const report = await t.maintainer.request('compaction', t.tablePath);
    expect(report).toMatchObject({ purged: 5, committed: 1, tombstonesKept: 0 });
    const purged = await t.metrics.mirrorTombstonesPurged.get();
    expect(purged.values[0]?.value).toBe(5);
    const after = await Snapshot.load(t.storage, t.tablePath);
    expect(after.files().every((f) => !f.deletionVector)).toBe(true); // nothing dead is left
    expect([...(await t.live()).keys()].sort()).toEqual(keys(5, 5).sort());
    await t.indexMatchesTable();
    // Past the retention a deleted key is forgotten: an older event may bring it back (documented limit).
    await t.put([{ key: 'k0', seq: 50, n: 50 }]);
    expect((await t.live()).get('k0')).toBe(50);
    // The index was never rebuilt after the table's creation: catch-ups and in-sync plans only.
    const syncs = await t.metrics.mirrorIndexSyncs.get();
    expect(syncs.values.find((v) => v.labels.action === 'rebuilt')?.value).toBe(1);
  });
});

describe('mirror compaction under steady load', { timeout: 300_000 }, () => {
  it('completes while mirror commits keep arriving: rows they delete during the rewrite stay deleted', async () => {
    const random = rng(7);
    const model = new Map<string, number>(); // key → n of its live row (n = the row's seq)
    let seq = 0;
    const rowsFor = (keys: readonly string[]): DocRow[] =>
      keys.map((key) => {
        seq++;
        if (model.has(key) && random() < 0.2) {
          model.delete(key);
          return { key, seq };
        }
        model.set(key, seq);
        return { key, seq, n: seq };
      });
    let failed: unknown; // the load's error
    // Batches the load must commit next, each resolved once committed.
    const forced: { keys: string[]; done: () => void }[] = [];
    // After every bin's rewrite and before its commit, one more mirror commit replaces or deletes every fourth live
    // key — rows the rewrite has just copied — so the bin's files always get new vectors under it (besides whatever
    // the random load does meanwhile).
    const interleave = (pool: MaintenancePool): MaintenancePool => ({
      ...pool,
      compactMirror: async (task) => {
        const out = await pool.compactMirror(task);
        const keys = [...model.keys()].sort().filter((_, i) => i % 4 === 0);
        if (!failed) await new Promise<void>((done) => forced.push({ keys, done }));
        return out;
      },
    });
    const t = setup({}, interleave);
    const all = keys(200);
    for (let i = 0; i < all.length; i += 50) await t.put(rowsFor(all.slice(i, i + 50)));

    // The load: back-to-back commits of 5 random keys (updates, deletes, re-inserts), until stopped. It draws from
    // the first 150 keys only: however many commits land while a rewrite runs (a slow worker start lets it touch
    // every key), the last 50 keys' rows change only by the forced commits, so each new file keeps live rows too.
    let commits = 0;
    let stop = false;
    const load = (async () => {
      while (!stop) {
        const next = forced.shift();
        const batch = next?.keys ?? [
          ...new Set(Array.from({ length: 5 }, () => all[pick(random, 150)] as string)),
        ];
        await t.put(rowsFor(batch));
        commits++;
        next?.done();
      }
    })().catch((error) => {
      failed = error;
      for (const next of forced.splice(0)) next.done(); // the compaction waiting for one goes on (and the test fails)
    });
    const loaded = async (n: number) => {
      const target = commits + n;
      while (commits < target) {
        if (failed) throw failed;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };

    const reports = [];
    try {
      for (let run = 0; run < 3; run++) {
        await loaded(20); // enough dead rows for a bin
        const report = await t.maintainer.request('compaction', t.tablePath);
        expect(report, `run ${run}`).toMatchObject({ gaveUp: 0, committed: 1 });
        reports.push(report as Record<string, number>);
      }
    } finally {
      stop = true;
      await load;
    }
    expect(failed).toBeUndefined();
    // Every bin's files changed vectors under it, and their deletes were carried onto the new file.
    // The new files hold rows deleted meanwhile and rows still live: a wrong position would swap one for the other.
    for (const r of reports) {
      expect(r.filesRemoved).toBeGreaterThanOrEqual(2);
      expect(r.concurrentDeletes).toBeGreaterThan(0);
      expect(Number(r.rows) - Number(r.tombstonesKept) - Number(r.concurrentDeletes)).toBeGreaterThan(0);
    }

    // Nothing lost, nothing resurrected: the table is the model, for us and for delta-rs; the index is a rebuild.
    const expected = new Map([...model].sort());
    expect(new Map([...(await t.live())].sort())).toEqual(expected);
    await t.indexMatchesTable();
    const snapshot = await Snapshot.load(t.storage, t.tablePath);
    const byRs = await readWithDeltaRs(t.tableUri);
    expect(byRs.version).toBe(snapshot.version);
    expect(new Map(byRs.rows.map((r) => [String(r._cdc_key), Number(r.n)] as const).sort())).toEqual(
      expected,
    );
  });

  it('syncs the index to a snapshot read under the lock, never back to an older one (no rebuild)', async () => {
    // the compaction job's first snapshot is one commit old, as when mirror commits go on while it is read
    let stale: Snapshot | undefined;
    const t = setup({}, undefined, (snapshot) => async (p, fresh) => {
      if (stale) {
        const old = stale;
        stale = undefined;
        return old;
      }
      return snapshot(p, fresh);
    });
    await t.put(keys(10).map((key, i) => ({ key, seq: 1 + i, n: i })));
    await t.put(keys(6).map((key, i) => ({ key, seq: 100 + i, n: 100 + i })));
    stale = await Snapshot.load(t.storage, t.tablePath);
    await t.put([{ key: 'k9', seq: 200, n: 200 }]);
    const report = await t.maintainer.request('compaction', t.tablePath);
    expect(report).toMatchObject({ committed: 1 });
    expect(stale).toBeUndefined(); // the job did start from the old snapshot
    const syncs = await t.metrics.mirrorIndexSyncs.get();
    // once, when the table was created; syncing to the old snapshot would rebuild it again
    expect(syncs.values.find((v) => v.labels.action === 'rebuilt')?.value).toBe(1);
    expect((await t.live()).get('k9')).toBe(200);
    await t.indexMatchesTable();
  });
});
