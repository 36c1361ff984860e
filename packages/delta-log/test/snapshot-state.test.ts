/**
 * Snapshots after commits share state with the snapshot they were built on (and never change it), find files
 * by path, notice a deleted table on update, and tables can be created with their first txns and provenance.
 */
import { rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { AddFile } from '../src/actions.js';
import { writeCheckpoint } from '../src/checkpoint/write.js';
import { TableNotFoundError } from '../src/errors.js';
import { TableState } from '../src/log/replay.js';
import { field, struct } from '../src/schema/types.js';
import { Snapshot } from '../src/snapshot.js';
import { DeltaTable } from '../src/table.js';
import { commit } from '../src/write/commit.js';
import { protocolFor } from '../src/write/create.js';
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
    expect(loaded.state.tombstones.size).toBe(0);
    expect(
      r.snapshot
        .files()
        .map((f) => `${f.path}:${f.size}`)
        .sort(),
    ).toEqual(['a:7', 'c%20d:1', 'e:1']);
    expect(r.snapshot.numFiles).toBe(3);
    expect([...r.snapshot.state.tombstones.keys()]).toEqual(['b']);
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

  it('still works through a stand-in snapshot at version -1 (protocol and metadata only)', async () => {
    const { storage } = temp();
    const state = new TableState();
    state.protocol = protocolFor(schema, {});
    state.metadata = {
      id: 'standin',
      format: { provider: 'parquet', options: {} },
      schemaString: JSON.stringify(schema),
      partitionColumns: [],
      configuration: {},
    };
    const before = new Snapshot(storage, 't', state, { version: -1, commits: [] }, 0);
    const r = await commit(
      storage,
      before,
      {
        actions: [{ protocol: state.protocol }, { metaData: state.metadata }, { add: file('a') }],
        txns: [{ appId: 'app', version: 1 }],
        operation: 'STREAMING UPDATE',
      },
      { maxRetries: 0 },
    );
    expect(r.version).toBe(0);
    expect(r.snapshot.numFiles).toBe(1);
    expect(before.numFiles).toBe(0);
    const loaded = await Snapshot.load(storage, 't');
    expect(loaded.txnVersion('app')).toBe(1);
    expect(loaded.files().map((f) => f.path)).toEqual(['a']);
  });
});
