/**
 * Index sync and the mirror commit flow on real Delta tables (local files) with the in-memory index: when the index
 * is caught up and when it is rebuilt, and that prepare → Delta commit → finish keeps them equal, including across a
 * crash between the commit and the index write and a commit rebased over someone else's.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AddFile, FsStorage, LOG_DIR, writeDataFile } from '@delta-writer/delta-log';
import * as A from 'apache-arrow';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryKeyIndex } from '../../src/mirror/index-store.js';
import { commitFileChanges, MIRROR_COLUMNS, syncIndex } from '../../src/mirror/index-sync.js';
import { finishMirrorCommit, type MirrorFile, prepareMirrorCommit } from '../../src/mirror/mirror-commit.js';
import { foldRows, type IndexEntry } from '../../src/mirror/plan.js';
import { DeltaMirrorTable } from './support/delta-mirror-table.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function fresh(): Promise<{ dir: string; table: DeltaMirrorTable }> {
  const dir = mkdtempSync(join(tmpdir(), 'mirror-sync-'));
  dirs.push(dir);
  return { dir, table: await DeltaMirrorTable.create(new FsStorage(dir)) };
}

type Row = { key: string; seq: number; op?: 'upsert' | 'delete' };

/** Writes one data file of `rows` (not committed) and describes it for prepareMirrorCommit. */
async function file(table: DeltaMirrorTable, rows: Row[]): Promise<MirrorFile> {
  const C = MIRROR_COLUMNS;
  const data = new A.Table({
    doc: A.vectorFromArray(
      rows.map((r) => (r.op === 'delete' ? null : JSON.stringify({ _id: r.key, seq: r.seq }))),
      new A.Utf8(),
    ),
    [C.key]: A.vectorFromArray(
      rows.map((r) => r.key),
      new A.Utf8(),
    ),
    [C.seq]: A.vectorFromArray(
      rows.map((r) => String(r.seq)),
      new A.Utf8(),
    ),
    [C.op]: A.vectorFromArray(
      rows.map((r) => (r.op === 'delete' ? 'd' : 'u')),
      new A.Utf8(),
    ),
    [C.partition]: A.vectorFromArray(
      rows.map(() => 0),
      new A.Int32(),
    ),
    [C.offset]: A.vectorFromArray(
      rows.map((r) => BigInt(r.seq)),
      new A.Int64(),
    ),
  });
  const add: AddFile = await writeDataFile(table.table.snapshot, data);
  return {
    add,
    rows: rows.map((r) => ({
      key: r.key,
      version: { seq: String(r.seq), partition: 0, offset: r.seq },
      op: r.op ?? 'upsert',
    })),
  };
}

/** The whole mirror commit flow; `crash` skips the index write. */
async function upsert(table: DeltaMirrorTable, index: MemoryKeyIndex, rows: Row[], crash = false) {
  const f = await file(table, rows);
  const prepared = await prepareMirrorCommit(table.table.snapshot, index, [f], { term: 1, now: 5 });
  if (prepared.kind !== 'ready') throw new Error('unexpected conflicts');
  const result = await table.table.commit({
    actions: prepared.actions,
    operation: 'MERGE',
    readWholeTable: true,
  });
  if (!crash)
    await finishMirrorCommit(index, prepared, { version: result.version, tableId: table.tableId }, 1);
  return prepared;
}

async function expectIndexIsRebuild(table: DeltaMirrorTable, index: MemoryKeyIndex): Promise<void> {
  const strip = (e: IndexEntry) => ({ file: e.file, row: e.row, version: e.version, deleted: e.deleted });
  const rebuilt = foldRows(await table.physicalRows(), new Map());
  const ours = new Map<string, ReturnType<typeof strip>>();
  for await (const [k, e] of index.entries()) ours.set(k, strip(e));
  expect(ours).toEqual(new Map([...rebuilt.entries].map(([k, e]) => [k, strip(e)])));
  expect((await index.state())?.version).toBe(table.table.version);
}

const live = async (table: DeltaMirrorTable) =>
  [...(await table.liveDocs())].map(([k, d]) => `${k}:${d.get('seq')}`).sort();

describe('mirror commits on a Delta table', () => {
  it('insert, update, delete, late events: the table and the index follow', async () => {
    const { table } = await fresh();
    const index = new MemoryKeyIndex();
    const first = await upsert(table, index, [
      { key: 'a', seq: 1 },
      { key: 'b', seq: 1 },
      { key: 'c', seq: 1 },
    ]);
    expect(first.sync.action).toBe('rebuilt'); // no index yet
    const second = await upsert(table, index, [
      { key: 'a', seq: 2 },
      { key: 'b', seq: 2, op: 'delete' },
      { key: 'c', seq: 0 }, // late
      { key: 'd', seq: 2 },
    ]);
    expect(second.sync.action).toBe('in-sync');
    expect(second.plan.counts).toMatchObject({ inserted: 1, updated: 1, deleted: 1, stale: 1 });
    // the second commit touched the first file (a, b) with a vector, and its own (b's tombstone, c's late row)
    expect(second.actions.filter((a) => 'remove' in a)).toHaveLength(1);
    expect(await live(table)).toEqual(['a:2', 'c:1', 'd:2']);
    await upsert(table, index, [{ key: 'b', seq: 1 }]); // older than the tombstone: stays deleted
    expect(await live(table)).toEqual(['a:2', 'c:1', 'd:2']);
    await expectIndexIsRebuild(table, index);
  });

  it('catches up after a crash between the Delta commit and the index write', async () => {
    const { table } = await fresh();
    const index = new MemoryKeyIndex();
    await upsert(table, index, [{ key: 'a', seq: 1 }]);
    await upsert(table, index, [{ key: 'a', seq: 2 }], true);
    // the next prepare catches up on version 2 before planning version 3 (which crashes too)
    const third = await upsert(table, index, [{ key: 'b', seq: 3 }], true);
    expect(third.sync).toEqual({ action: 'caught-up', work: 1, violations: [] });
    expect((await index.state())?.version).toBe(2);
    const next = await upsert(table, index, [{ key: 'a', seq: 4 }]);
    expect(next.sync).toEqual({ action: 'caught-up', work: 1, violations: [] });
    expect(next.plan.counts.updated).toBe(1); // it found a's row of seq 2, not the stale one of seq 1
    expect(await live(table)).toEqual(['a:4', 'b:3']);
    await expectIndexIsRebuild(table, index);
  });

  it('leaves the index behind when the commit was rebased over another, and folds both in next time', async () => {
    const { table } = await fresh();
    const index = new MemoryKeyIndex();
    await upsert(table, index, [{ key: 'a', seq: 1 }]);
    const f = await file(table, [{ key: 'a', seq: 2 }]);
    const prepared = await prepareMirrorCommit(table.table.snapshot, index, [f], { term: 1, now: 5 });
    if (prepared.kind !== 'ready') throw new Error('unexpected conflicts');
    // Another commit lands first. (The committer commits with readWholeTable, so only commits that change no data,
    // like compaction, are rebased over; without it here, an unrelated append forces the rebase.)
    await upsert(table, new MemoryKeyIndex(), [{ key: 'z', seq: 9 }], true);
    const stale = table.table.snapshot;
    const result = await table.table.commit({ actions: prepared.actions, operation: 'MERGE' });
    expect(result.version).toBe(stale.version + 1);
    expect(
      await finishMirrorCommit(index, prepared, { version: result.version, tableId: table.tableId }, 1),
    ).toBe(false);
    const s = await syncIndex(index, table.table.snapshot, { term: 1 });
    expect(s.action).toBe('caught-up');
    await expectIndexIsRebuild(table, index);
  });

  it('follows compaction (rows move to a new file) by catching up, and rebuilds when it must', async () => {
    const { dir, table } = await fresh();
    const index = new MemoryKeyIndex();
    await upsert(table, index, [
      { key: 'a', seq: 1 },
      { key: 'b', seq: 1 },
    ]);
    await upsert(table, index, [
      { key: 'a', seq: 2 },
      { key: 'b', seq: 2, op: 'delete' },
    ]);
    const tombstones = new Map<string, IndexEntry>();
    for await (const [k, e] of index.entries()) if (e.deleted) tombstones.set(k, e);
    await table.compact(
      (key, file, row) => tombstones.get(key)?.file === file && tombstones.get(key)?.row === row,
    );
    expect((await syncIndex(index, table.table.snapshot, { term: 1 })).action).toBe('caught-up');
    await expectIndexIsRebuild(table, index);
    expect((await index.lookup(['a'])).get('a')?.file).toMatch(/^compacted-/);

    // an index of another table, or one ahead of the table, or one whose missing commits are gone: rebuilt
    const other = new MemoryKeyIndex();
    await other.replaceAll([], { tableId: 'someone-else', to: 1, term: 1 });
    expect((await syncIndex(other, table.table.snapshot, { term: 1 })).action).toBe('rebuilt');
    const ahead = new MemoryKeyIndex();
    await ahead.replaceAll([], { tableId: table.tableId, to: 99, term: 1 });
    expect((await syncIndex(ahead, table.table.snapshot, { term: 1 })).action).toBe('rebuilt');
    const behind = new MemoryKeyIndex();
    await behind.replaceAll([], { tableId: table.tableId, to: 0, term: 1 });
    rmSync(join(dir, LOG_DIR, '00000000000000000001.json'));
    expect((await syncIndex(behind, table.table.snapshot, { term: 1 })).action).toBe('rebuilt');
    await expectIndexIsRebuild(table, behind);
  });
});

describe('commitFileChanges', () => {
  it('tells new files from vector replacements and removals', () => {
    const add = (path: string) => ({
      add: { path, partitionValues: {}, size: 1, modificationTime: 1, dataChange: true },
    });
    const remove = (path: string) => ({ remove: { path, dataChange: true } });
    const { added, removed } = commitFileChanges([add('new'), remove('dv'), add('dv'), remove('gone')]);
    expect(added.map((a) => a.path)).toEqual(['new']);
    expect([...removed]).toEqual(['gone']);
  });

  it('a statistics recomputation (delta-log repair-stats) adds no rows', () => {
    const again = {
      add: { path: 'f', partitionValues: {}, size: 1, modificationTime: 1, dataChange: false },
    };
    const stats = commitFileChanges([{ commitInfo: { operation: 'COMPUTE STATS' } }, again]);
    expect(stats.added).toEqual([]);
    expect(commitFileChanges([{ commitInfo: { operation: 'OPTIMIZE' } }, again]).added.length).toBe(1);
  });
});
