/**
 * Upsert manifests through the committer's real commit path (commitBatch → DeltaTables → MirrorPlanner) on
 * the local stack's S3 server and Redis: mirror table creation, replacing and deleting rows by version, refusals,
 * the table's mode, and an index that was lost or left behind.
 */
import { buildCheckpoint, checkpointActionsFromParquet, Snapshot } from '@delta-writer/delta-log';
import { RefusalReason } from '@delta-writer/proto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readMirrorRows } from '../../src/mirror/index-sync.js';
import { foldRows } from '../../src/mirror/plan.js';
import { batchRunner, deltaCommitter } from '../support/committer.js';
import { offsetsManifest } from '../support/data.js';
import { readCommitActions } from '../support/delta.js';
import { stack, testBasePath } from '../support/stack.js';
import { type DocRow, upsertManifest } from './support/manifests.js';

const base = testBasePath();
const prefix = `test:mirror:${base}`;
let redis: Redis;
let n = 0;
function newTable() {
  const tablePath = `${base}/m${++n}`;
  return { tablePath, tableUri: `s3://${stack().bucket}/${tablePath}` };
}

beforeAll(async () => {
  redis = new Redis(stack().redisUrl);
  await redis.hset(`${prefix}:lease`, 'owner', 'test', 'term', 1);
});
afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

/** Live rows of the table: key → n (and that no key has two live rows or a live tombstone). */
async function liveRows(tablePath: string): Promise<Map<string, number>> {
  const snapshot = await Snapshot.load(stack().storage, tablePath);
  const out = new Map<string, number>();
  for (const r of (await snapshot.scan().toTable()).toArray()) {
    const key = String(r._cdc_key);
    expect(r._cdc_op, `tombstone of ${key} is live`).not.toBe('d');
    expect(out.has(key), `${key} has two live rows`).toBe(false);
    out.set(key, Number(r.n));
  }
  return out;
}

describe('mirror tables through the commit path', { timeout: 120_000 }, () => {
  it('creates a mirror table with deletion vectors and replaces, deletes and keeps rows by version', async () => {
    const { storage } = stack();
    const t = newTable();
    const { tables, mirrorTables, metrics } = deltaCommitter({ mirror: { prefix } });
    const { run } = batchRunner(tables, 1);
    const rows = (r: DocRow[], first: number, last: number, partition = 0) =>
      upsertManifest(storage, { ...t, partition, first, last, rows: r });

    const v0 = await run([
      await rows(
        [
          { key: 'a', seq: 1, n: 1 },
          { key: 'b', seq: 2, n: 2 },
          { key: 'c', seq: 3, n: 3 },
        ],
        0,
        2,
      ),
    ]);
    expect(v0.outcomes[0]?.$case).toBe('ack');
    const snap0 = await Snapshot.load(storage, t.tablePath);
    expect(snap0.configuration).toMatchObject({
      'delta.enableDeletionVectors': 'true',
      'delta-writer.mode': 'mirror',
      'delta-writer.partialUpdates': 'skip',
    });
    expect(snap0.protocol.readerFeatures).toContain('deletionVectors');
    expect(await liveRows(t.tablePath)).toEqual(
      new Map([
        ['a', 1],
        ['b', 2],
        ['c', 3],
      ]),
    );

    // Two manifests in one group commit: an update, a delete, a stale replay, an insert; a second partition.
    const v1 = await run([
      await rows(
        [
          { key: 'a', seq: 10, n: 10 },
          { key: 'b', seq: 11 },
          { key: 'c', seq: 1, offset: 3, n: 99 }, // older than the stored row (seq 3): dropped
        ],
        3,
        5,
      ),
      await rows([{ key: 'd', seq: 12, offset: 0, n: 4 }], 0, 0, 1),
    ]);
    expect(v1.outcomes.map((o) => o.$case)).toEqual(['ack', 'ack']);
    expect(v1.committedVersion).toBe(1);
    expect(await liveRows(t.tablePath)).toEqual(
      new Map([
        ['a', 10],
        ['c', 3],
        ['d', 4],
      ]),
    );
    const actions = await readCommitActions(storage, t.tablePath, 1);
    expect(actions.find((a) => 'commitInfo' in a)).toMatchObject({ commitInfo: { operation: 'MERGE' } });
    expect(actions.some((a) => 'remove' in a && a.remove.path === snap0.files()[0]?.path)).toBe(true);

    // A late insert of the deleted key, older than its delete: the tombstone keeps it out.
    await run([await rows([{ key: 'b', seq: 5, offset: 6, n: 5 }], 6, 6)]);
    expect((await liveRows(t.tablePath)).has('b')).toBe(false);
    // A newer insert brings it back.
    await run([await rows([{ key: 'b', seq: 20, offset: 7, n: 20 }], 7, 7)]);
    expect((await liveRows(t.tablePath)).get('b')).toBe(20);

    // The index equals a rebuild from the table, and the rows counters saw each outcome.
    const snapshot = await Snapshot.load(storage, t.tablePath);
    const rebuilt = foldRows(
      (await Promise.all(snapshot.files().map((f) => readMirrorRows(snapshot, f)))).flat(),
      new Map(),
    );
    expect(rebuilt.violations).toEqual([]);
    const index = mirrorTables?.index(t.tablePath);
    const stored = new Map();
    for await (const [k, e] of index?.entries() ?? []) stored.set(k, e.file + e.row + e.deleted);
    expect(stored).toEqual(new Map([...rebuilt.entries].map(([k, e]) => [k, e.file + e.row + e.deleted])));
    expect((await index?.state())?.version).toBe(snapshot.version);
    const counted = await metrics.mirrorRows.get();
    const by = Object.fromEntries(counted.values.map((v) => [v.labels.outcome, v.value]));
    expect(by).toMatchObject({ inserted: 5, updated: 1, deleted: 1, stale: 2 });
  });

  it("keeps a re-vectored file's vector inline up to 1 KiB, so no tombstone of it outlives its commit", async () => {
    const { storage } = stack();
    const t = newTable();
    const { tables } = deltaCommitter({ mirror: { prefix } });
    const { run } = batchRunner(tables, 1);
    const docs = (from: number, count: number, offset: number) =>
      Array.from({ length: count }, (_, i) => ({
        key: `k${from + i}`,
        seq: offset + i,
        offset: offset + i,
        n: i,
      }));
    await run([
      await upsertManifest(storage, { ...t, partition: 0, first: 0, last: 299, rows: docs(0, 300, 0) }),
    ]);
    const first = (await Snapshot.load(storage, t.tablePath)).files()[0]?.path;
    // three commits each replace 60 of the first file's rows: it is re-vectored three times
    for (let i = 0; i < 3; i++) {
      const offset = 300 + i * 60;
      const manifest = await upsertManifest(storage, {
        ...t,
        partition: 0,
        first: offset,
        last: offset + 59,
        rows: docs(i * 60, 60, offset),
      });
      expect((await run([manifest])).outcomes[0]?.$case).toBe('ack');
    }
    const snapshot = await Snapshot.load(storage, t.tablePath);
    const vector = snapshot.files().find((f) => f.path === first)?.deletionVector;
    // 180 rows deleted: a roaring array of ~370 bytes, inline (it went to a vector file at the former 64-byte limit)
    expect(vector).toMatchObject({ storageType: 'i', cardinality: 180 });
    expect(vector?.sizeInBytes).toBeGreaterThan(64);
    const removed = [];
    for (const version of [1, 2, 3]) {
      for (const a of await readCommitActions(storage, t.tablePath, version)) {
        if ('remove' in a && a.remove.path === first) removed.push(a.remove);
      }
    }
    expect(removed).toHaveLength(3); // the log has the removes; the checkpoint needs none of them
    const checkpoint = await buildCheckpoint(snapshot);
    const tombstones = checkpointActionsFromParquet(checkpoint.bytes, 'checkpoint').filter(
      (a) => 'remove' in a,
    );
    expect(tombstones).toEqual([]);
  });

  it('refuses a mode change, and manifests whose rows were built on a stale base', async () => {
    const { storage } = stack();
    const { tables } = deltaCommitter({ mirror: { prefix } });
    const { run } = batchRunner(tables, 1);
    const changelog = newTable();
    await run([await offsetsManifest(storage, changelog.tableUri, changelog.tablePath, 0, 0, 4)]);
    const upsertIntoChangelog = await run([
      await upsertManifest(storage, {
        ...changelog,
        partition: 0,
        first: 5,
        last: 5,
        rows: [{ key: 'a', seq: 1, n: 1 }],
      }),
    ]);
    expect(upsertIntoChangelog.outcomes[0]).toMatchObject({
      $case: 'refusal',
      value: { reason: RefusalReason.INVALID_REQUEST, message: expect.stringContaining('changelog table') },
    });

    const t = newTable();
    await run([
      await upsertManifest(storage, {
        ...t,
        partition: 0,
        first: 0,
        last: 0,
        rows: [{ key: 'a', seq: 1, n: 1 }],
      }),
    ]);
    const appendIntoMirror = await run([await offsetsManifest(storage, t.tableUri, t.tablePath, 0, 1, 1)]);
    expect(appendIntoMirror.outcomes[0]).toMatchObject({
      $case: 'refusal',
      value: { reason: RefusalReason.INVALID_REQUEST, message: expect.stringContaining('mirror table') },
    });

    // A patched row whose base is not the stored version: retryable. Its partition's later manifest is a gap then.
    // A base from another partition: refused for good. Partition 2's manifest goes in all the same.
    const stale = await upsertManifest(storage, {
      ...t,
      partition: 0,
      first: 1,
      last: 1,
      rows: [{ key: 'a', seq: 3, offset: 1, n: 3, base: { seq: '2', partition: 0, offset: 7 } }],
    });
    const unsafe = await upsertManifest(storage, {
      ...t,
      partition: 1,
      first: 0,
      last: 0,
      rows: [{ key: 'a', seq: 4, offset: 0, n: 4, base: { seq: '1', partition: 0, offset: 0 } }],
    });
    const fine = await upsertManifest(storage, {
      ...t,
      partition: 2,
      first: 0,
      last: 0,
      rows: [{ key: 'z', seq: 5, offset: 0, n: 5 }],
    });
    const result = await run([stale, unsafe, fine]);
    expect(result.outcomes[0]).toMatchObject({
      $case: 'refusal',
      value: { reason: RefusalReason.MIRROR_STALE_BASE, message: expect.stringContaining('key a') },
    });
    expect(result.outcomes[1]).toMatchObject({
      $case: 'refusal',
      value: { reason: RefusalReason.MIRROR_UNSAFE, message: expect.stringContaining('capture.mode') },
    });
    expect(result.outcomes[2]?.$case).toBe('ack');
    expect(await liveRows(t.tablePath)).toEqual(
      new Map([
        ['a', 1],
        ['z', 5],
      ]),
    );
  });

  it('rebuilds a lost index and catches up one left behind before planning', async () => {
    const { storage } = stack();
    const t = newTable();
    const { tables, mirrorTables } = deltaCommitter({ mirror: { prefix } });
    const { run } = batchRunner(tables, 1);
    let offset = 0;
    const put = async (rows: DocRow[]) => {
      const first = offset;
      offset += rows.length;
      return run([await upsertManifest(storage, { ...t, partition: 0, first, last: offset - 1, rows })]);
    };
    await put([
      { key: 'a', seq: 1, n: 1 },
      { key: 'b', seq: 2, n: 2 },
    ]);
    // The index is lost (Redis flushed): the next commit rebuilds it from the table, then deletes b's old row.
    const keys = await redis.keys(`${prefix}:mirror:{${t.tablePath}}*`);
    await redis.del(...keys);
    await put([{ key: 'b', seq: 3, n: 3 }]);
    expect(await liveRows(t.tablePath)).toEqual(
      new Map([
        ['a', 1],
        ['b', 3],
      ]),
    );
    // Another writer (a crashed committer) committed without moving the index: the next plan folds it in first.
    const other = deltaCommitter({ mirror: { prefix: `${prefix}:other` } });
    await redis.hset(`${prefix}:other:lease`, 'owner', 'test', 'term', 1);
    await batchRunner(other.tables, 1).run([
      await upsertManifest(storage, {
        ...t,
        partition: 0,
        first: offset,
        last: offset,
        rows: [{ key: 'a', seq: 4, n: 4 }],
      }),
    ]);
    offset++;
    await put([{ key: 'a', seq: 5, n: 5 }]);
    expect(await liveRows(t.tablePath)).toEqual(
      new Map([
        ['a', 5],
        ['b', 3],
      ]),
    );
    const state = await mirrorTables?.index(t.tablePath).state();
    expect(state?.version).toBe((await Snapshot.load(storage, t.tablePath)).version);
    other.mirrorTables?.close();
  });
});
