/**
 * Snapshots after commits share state with the snapshot they were built on (and never change it), find files
 * by path, notice a deleted table on update, and tables can be created with their first txns and provenance —
 * also through a snapshot built from a state in memory (`Snapshot.fromState`), which reads the files it is given.
 */
import { rmSync } from 'node:fs';
import * as A from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import type { AddFile } from '../src/actions.js';
import { checkpointContentsFromParquet } from '../src/checkpoint/read.js';
import { buildCheckpoint, writeCheckpoint } from '../src/checkpoint/write.js';
import { ConcurrentModificationError, DeltaError, TableNotFoundError } from '../src/errors.js';
import { vacuum } from '../src/maintenance/vacuum.js';
import { readParquet } from '../src/parquet.js';
import { field, struct } from '../src/schema/types.js';
import { Snapshot } from '../src/snapshot.js';
import { DeltaTable } from '../src/table.js';
import { retainedBytes } from '../src/util/arrow-detach.js';
import { commit } from '../src/write/commit.js';
import { protocolFor } from '../src/write/create.js';
import { writeDataFile } from '../src/write/data-file.js';
import { deleteRows } from '../src/write/deletion-vector.js';
import { useTempStorage } from './helpers/tmp.js';

const temp = useTempStorage();
const schema = struct(field('id', 'long'));
const file = (path: string, size = 1): AddFile => ({
  path,
  partitionValues: {},
  size,
  modificationTime: 1,
  dataChange: true,
});

describe('snapshots after commits', () => {
  it('leave the snapshot they were built on as it was, checkpoint files included', async () => {
    const { storage } = temp();
    const t = await DeltaTable.create(storage, '', { schema, adds: [file('a'), file('b'), file('c%20d')] });
    await writeCheckpoint(t.snapshot);
    const loaded = await Snapshot.load(storage);
    expect(loaded.segment.checkpoint?.version).toBe(0);
    const r = await commit(storage, loaded, {
      actions: [{ remove: { path: 'b', dataChange: true } }, { add: file('e') }, { add: file('a', 7) }],
      operation: 'WRITE',
    });
    expect(loaded.files().map((f) => `${f.path}:${f.size}`)).toEqual(['a:1', 'b:1', 'c%20d:1']);
    expect(loaded.state.tombstones?.size).toBe(0);
    expect(
      r.snapshot
        .files()
        .map((f) => `${f.path}:${f.size}`)
        .sort(),
    ).toEqual(['a:7', 'c%20d:1', 'e:1']);
    expect(r.snapshot.numFiles).toBe(3);
    expect([...(r.snapshot.state.tombstones?.keys() ?? [])]).toEqual(['b']);
    // The post-commit snapshot equals a fresh load of the same version.
    const fresh = await Snapshot.load(storage);
    expect(fresh.files().sort((x, y) => x.path.localeCompare(y.path))).toEqual(
      r.snapshot.files().sort((x, y) => x.path.localeCompare(y.path)),
    );
    expect(r.snapshot.schema).toBe(loaded.schema); // unchanged metadata: parsed once
  });

  it('find a live file by its path, encoded or not, whatever its deletion vector', async () => {
    const { storage } = temp();
    const t = await DeltaTable.create(storage, '', { schema, adds: [file('x%20y'), file('z')] });
    await writeCheckpoint(t.snapshot);
    const s = await Snapshot.load(storage);
    expect(s.liveFile('x y')?.path).toBe('x%20y');
    expect(s.liveFile('x%20y')?.path).toBe('x%20y');
    expect(s.liveFile('nope')).toBeUndefined();
  });
});

describe('tombstones', () => {
  it('keep what a checkpoint and vacuum read, not the stats and tags of the removed file', async () => {
    const { storage } = temp();
    const t = await DeltaTable.create(storage, '', { schema, adds: [file('a'), file('b')] });
    const stats = JSON.stringify({ numRecords: 3, minValues: { id: 1 }, maxValues: { id: 9 } });
    const r = await commit(storage, t.snapshot, {
      actions: [
        { remove: { path: 'a', dataChange: true, size: 1, stats, tags: { k: 'v' }, deletionTimestamp: 5 } },
      ],
      operation: 'DELETE',
    });
    expect(r.snapshot.state.tombstones?.get('a')).toEqual({
      path: 'a',
      dataChange: true,
      size: 1,
      deletionTimestamp: 5,
    });
    const loaded = await Snapshot.load(storage);
    expect(loaded.state.tombstones?.get('a')).toEqual({
      path: 'a',
      dataChange: true,
      size: 1,
      deletionTimestamp: 5,
    });
  });

  it('are not tracked when loaded with tombstones: false, which a checkpoint and vacuum refuse', async () => {
    const { storage } = temp();
    const t = await DeltaTable.create(storage, '', { schema, adds: [file('a'), file('b')] });
    await commit(storage, t.snapshot, {
      actions: [{ remove: { path: 'a', dataChange: true, deletionTimestamp: Date.now() } }],
      operation: 'DELETE',
    });
    await writeCheckpoint(await Snapshot.load(storage));
    const light = await Snapshot.load(storage, '', { tombstones: false });
    const full = await Snapshot.load(storage);
    expect(full.tracksTombstones).toBe(true);
    expect([...(full.state.tombstones?.keys() ?? [])]).toEqual(['a']);
    expect(light.tracksTombstones).toBe(false);
    expect(light.state.tombstones).toBeNull();
    expect(light.files()).toEqual(full.files());
    const dropped = full.withoutTombstones();
    expect(dropped.tracksTombstones).toBe(false);
    expect(dropped.files()).toEqual(full.files());
    expect(dropped.version).toBe(full.version);
    expect(full.tracksTombstones).toBe(true);
    expect(dropped.withoutTombstones()).toBe(dropped);
    const next = await commit(storage, light, {
      actions: [{ remove: { path: 'b', dataChange: true } }, { add: file('c') }],
      operation: 'WRITE',
    });
    expect(next.snapshot.tracksTombstones).toBe(false);
    expect(next.snapshot.files().map((f) => f.path)).toEqual(['c']);
    await expect(buildCheckpoint(next.snapshot)).rejects.toThrow(DeltaError);
    await expect(buildCheckpoint(next.snapshot)).rejects.toThrow(/tombstones: false/);
    await expect(vacuum(next.snapshot)).rejects.toThrow(/vacuum of .* needs its tombstones/);
    // a snapshot that tracks them still checkpoints both removes
    const tracked = await Snapshot.load(storage);
    expect([...(tracked.state.tombstones?.keys() ?? [])].sort()).toEqual(['a', 'b']);
    await expect(buildCheckpoint(tracked)).resolves.toBeDefined();
  });

  it('still get into the checkpoints commit writes on its own (autoCheckpoint) from a snapshot without them', async () => {
    const { storage } = temp();
    const t = await DeltaTable.create(storage, '', {
      schema,
      adds: [file('a')],
      configuration: { 'delta.checkpointInterval': '2' },
    });
    const light = await Snapshot.load(storage, '', { tombstones: false });
    const r = await commit(
      storage,
      light,
      {
        actions: [
          { remove: { path: 'a', dataChange: true, deletionTimestamp: Date.now() } },
          { add: file('b') },
        ],
        operation: 'WRITE',
      },
      { autoCheckpoint: true },
    );
    expect(r.version).toBe(1);
    const r2 = await commit(
      storage,
      r.snapshot,
      { actions: [{ add: file('c') }], operation: 'WRITE' },
      { autoCheckpoint: true },
    );
    expect(r2.checkpointError).toBeUndefined();
    expect(r2.checkpointed).toBe(true);
    const reloaded = await Snapshot.load(storage);
    expect(reloaded.checkpointVersion).toBe(2);
    expect([...(reloaded.state.tombstones?.keys() ?? [])]).toEqual(['a']);
    expect(t.snapshot.version).toBe(0);
  });
});

describe('checkpoint columns', () => {
  it('keep only their own memory, not the rest of the checkpoint they were decoded from', async () => {
    const { storage } = temp();
    const paths = Array.from({ length: 3000 }, (_, i) => `part-${String(i).padStart(5, '0')}.parquet`);
    const t = await DeltaTable.create(storage, '', { schema, adds: paths.map((p) => file(p)) });
    await commit(storage, t.snapshot, {
      actions: paths
        .slice(10)
        .map((path) => ({ remove: { path, dataChange: true, deletionTimestamp: Date.now() } })),
      operation: 'DELETE',
    });
    const built = await buildCheckpoint(await Snapshot.load(storage));
    const contents = checkpointContentsFromParquet(built.bytes, 'checkpoint');
    // Decoded as is, every column is a view into one buffer: keeping the adds would keep the removes too.
    const decoded = readParquet(built.bytes).getChild('add')?.data[0] as A.Data;
    const shared = retainedBytes(decoded);
    const adds = contents.adds.retainedBytes();
    const removes = contents.removes.retainedBytes();
    expect(adds).toBeGreaterThan(0);
    expect(removes).toBeGreaterThan(0);
    expect(adds + removes).toBeLessThan(shared);
    expect([...contents.adds.all()].map((a) => a.path)).toEqual(paths.slice(0, 10));
    expect([...contents.removes.all()]).toHaveLength(2990);
  });
});

describe('update', () => {
  it('throws TableNotFoundError once the table directory is gone', async () => {
    const { dir, storage } = temp();
    const t = await DeltaTable.create(storage, '', { schema });
    await t.commit({ actions: [{ add: file('a') }], operation: 'WRITE' });
    expect(await t.snapshot.update()).toBe(t.snapshot);
    rmSync(dir, { recursive: true, force: true });
    await expect(t.update()).rejects.toBeInstanceOf(TableNotFoundError);
  });
});

describe('create', () => {
  it('commits txns and extra commitInfo with version 0', async () => {
    const { storage } = temp();
    await DeltaTable.create(storage, 't', {
      schema,
      adds: [file('a')],
      txns: [{ appId: 'orders-3', version: 41 }],
      commitInfo: { deltaWriter: { term: 2 } },
      now: () => 1_700_000_000_000,
    });
    const t = await DeltaTable.open(storage, 't');
    expect(t.snapshot.txnVersion('orders-3')).toBe(41);
    expect(t.snapshot.state.txns.get('orders-3')?.lastUpdated).toBe(1_700_000_000_000);
    const [v0] = await t.history();
    expect(v0?.commitInfo).toMatchObject({ operation: 'CREATE TABLE', deltaWriter: { term: 2 } });
  });

  it('commits version 0 on a snapshot from its state at version -1 (protocol and metadata only), once', async () => {
    const { storage } = temp();
    const protocol = protocolFor(schema, {});
    const metadata = {
      id: 'standin',
      format: { provider: 'parquet', options: {} },
      schemaString: JSON.stringify(schema),
      partitionColumns: [],
      configuration: {},
    };
    const before = Snapshot.fromState(storage, 't', { version: -1, protocol, metadata });
    expect(before.version).toBe(-1);
    const create = (snapshot: Snapshot, appId: string) =>
      commit(
        storage,
        snapshot,
        {
          actions: [{ protocol }, { metaData: metadata }, { add: file(appId) }],
          txns: [{ appId, version: 1 }],
          operation: 'STREAMING UPDATE',
        },
        { maxRetries: 0 },
      );
    const r = await create(before, 'app');
    expect(r.version).toBe(0);
    expect(r.snapshot.numFiles).toBe(1);
    expect(before.numFiles).toBe(0);
    // A second creator on its own stand-in loses the put-if-absent race with a typed conflict, never overwrites.
    await expect(
      create(Snapshot.fromState(storage, 't', { version: -1, protocol, metadata }), 'other'),
    ).rejects.toBeInstanceOf(ConcurrentModificationError);
    const loaded = await Snapshot.load(storage, 't');
    expect(loaded.txnVersion('app')).toBe(1);
    expect(loaded.txns().map((t) => t.appId)).toEqual(['app']);
    expect(loaded.files().map((f) => f.path)).toEqual(['app']);
  });

  it('reads the files it is given from a state at a version, without the log', async () => {
    const { storage } = temp();
    const t = await DeltaTable.create(storage, 't', { schema });
    const arrow = new A.Table({ id: A.vectorFromArray([1n, 2n, 3n], new A.Int64()) });
    const add = await writeDataFile(t.snapshot, arrow);
    await t.commit({ actions: [{ add }], operation: 'WRITE' });
    // What a worker thread gets: the protocol and metadata at a version, and the files to read.
    const s = t.snapshot;
    const bare = Snapshot.fromState(storage, 't', {
      version: s.version,
      protocol: s.protocol,
      metadata: s.metadata,
    });
    expect(bare.numFiles).toBe(0);
    const scan = bare.scan();
    const [planned] = scan.filesOf([add]);
    const rows = (await scan.readFile(planned as NonNullable<typeof planned>)).flatMap((b) => b.toArray());
    expect(rows.map((r) => r.id)).toEqual([1n, 2n, 3n]);
  });
});

describe('isLive', () => {
  it('holds for a path with its current deletion vector only', async () => {
    const { storage } = temp();
    const t = await DeltaTable.create(storage, '', {
      schema,
      configuration: { 'delta.enableDeletionVectors': 'true' },
    });
    const arrow = new A.Table({ id: A.vectorFromArray([1n, 2n, 3n], new A.Int64()) });
    const add = await writeDataFile(t.snapshot, arrow);
    await t.commit({ actions: [{ add }], operation: 'WRITE' });
    expect(t.snapshot.isLive(add)).toBe(true);
    expect(t.snapshot.isLive({ path: decodeURIComponent(add.path) })).toBe(true);
    const { actions } = await deleteRows(t.snapshot, new Map([[add.path, [1]]]));
    await t.commit({ actions, readFiles: [add], operation: 'DELETE' });
    const now = t.snapshot.liveFile(add.path);
    expect(now?.deletionVector).toBeDefined();
    expect(t.snapshot.isLive(add)).toBe(false);
    expect(t.snapshot.isLive(now as AddFile)).toBe(true);
    expect(t.snapshot.isLive({ path: 'nope' })).toBe(false);
  });
});
