import * as A from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import type { Action, AddFile } from '../src/actions.js';
import {
  ConcurrentDeleteDeleteError,
  ConcurrentTransactionError,
  InvalidCommitError,
  MaxCommitAttemptsError,
  MetadataChangedError,
  ProtocolChangedError,
  SchemaEvolutionError,
  TableAlreadyExistsError,
  UnsupportedFeatureError,
  VersionNotFoundError,
} from '../src/errors.js';
import { field, struct } from '../src/schema/types.js';
import { Snapshot } from '../src/snapshot.js';
import { DeltaTable } from '../src/table.js';
import { commit } from '../src/write/commit.js';
import { writeDataFile } from '../src/write/data-file.js';
import { schemaChange } from '../src/write/schema-change.js';
import { useTempStorage } from './helpers/tmp.js';

const temp = useTempStorage();

const schema = struct(field('id', 'long', false), field('name', 'string'), field('day', 'date'));

function rows(ids: number[], names?: Array<string | null>): A.Table {
  return new A.Table({
    id: A.vectorFromArray(ids.map(BigInt), new A.Int64()),
    name: A.vectorFromArray(names ?? ids.map((i) => `n${i}`), new A.Utf8()),
  });
}

const fakeAdd = (path: string, partitionValues: Record<string, string | null> = {}): AddFile => ({
  path,
  partitionValues,
  size: 1,
  modificationTime: 1,
  dataChange: true,
});

describe('create', () => {
  it('creates a (1,2) table once and refuses a second create', async () => {
    const { storage } = temp();
    const t = await DeltaTable.create(storage, 'tbl', { schema, partitionColumns: ['day'] });
    expect(t.version).toBe(0);
    expect(t.snapshot.protocol).toEqual({ minReaderVersion: 1, minWriterVersion: 2 });
    await expect(DeltaTable.create(storage, 'tbl', { schema })).rejects.toBeInstanceOf(
      TableAlreadyExistsError,
    );
    const reopened = await DeltaTable.open(storage, 'tbl');
    expect(reopened.snapshot.schema).toEqual(schema);
    expect(reopened.snapshot.partitionColumns).toEqual(['day']);
  });

  it('picks feature protocols only when needed', async () => {
    const { storage } = temp();
    const ntz = await DeltaTable.create(storage, 'a', { schema: struct(field('t', 'timestamp_ntz')) });
    expect(ntz.snapshot.protocol).toEqual({
      minReaderVersion: 3,
      minWriterVersion: 7,
      readerFeatures: ['timestampNtz'],
      writerFeatures: ['timestampNtz'],
    });
    const ict = await DeltaTable.create(storage, 'b', {
      schema,
      configuration: { 'delta.enableInCommitTimestamps': 'true' },
    });
    expect(ict.snapshot.protocol).toEqual({
      minReaderVersion: 1,
      minWriterVersion: 7,
      writerFeatures: ['inCommitTimestamp', 'invariants'],
    });
    const notNull = await DeltaTable.create(storage, 'c', {
      schema: struct(field('s', struct(field('id', 'long', false)))),
      configuration: { 'delta.enableInCommitTimestamps': 'true' },
    });
    expect(notNull.snapshot.protocol.writerFeatures).toEqual(['inCommitTimestamp', 'invariants']);
  });
});

describe('append and read back', () => {
  it('writes data files with stats and partition values, commits them with a txn, and scans them', async () => {
    const { storage } = temp();
    const t = await DeltaTable.create(storage, '', { schema, partitionColumns: ['day'] });
    const a = await writeDataFile(t.snapshot, rows([1, 2, 3], ['x', null, 'z']), {
      partitionValues: { day: 19000 },
    });
    const b = await writeDataFile(t.snapshot, rows([4]), { partitionValues: { day: null } });
    expect(a.partitionValues).toEqual({ day: '2022-01-08' });
    expect(a.path.startsWith('day=2022-01-08/')).toBe(true);
    expect(b.path.startsWith('day=__HIVE_DEFAULT_PARTITION__/')).toBe(true);
    expect(JSON.parse(a.stats as string)).toEqual({
      numRecords: 3,
      minValues: { id: 1, name: 'x' },
      maxValues: { id: 3, name: 'z' },
      nullCount: { id: 0, name: 1 },
    });
    expect(t.snapshot.txnVersion('app-1')).toBeUndefined();
    const res = await t.commit({
      actions: [{ add: a }, { add: b }],
      txns: [{ appId: 'app-1', version: 7 }],
      operation: 'WRITE',
    });
    expect(res.version).toBe(1);
    expect(res.actions[0]).toHaveProperty('commitInfo.isBlindAppend', true);
    expect(t.snapshot.txnVersion('app-1')).toBe(7);
    // a fresh load agrees with the in-memory post-commit snapshot
    const fresh = await Snapshot.load(storage);
    expect(fresh.txnVersion('app-1')).toBe(7);
    expect(
      fresh
        .files()
        .map((f) => f.path)
        .sort(),
    ).toEqual([a.path, b.path].sort());
    const table = await fresh.scan().toTable();
    const got = table.toArray().map((r) => [Number(r.id), r.name, r.day]);
    expect(got.sort((x, y) => (x[0] as number) - (y[0] as number))).toEqual([
      [1, 'x', 19000 * 86_400_000],
      [2, null, 19000 * 86_400_000],
      [3, 'z', 19000 * 86_400_000],
      [4, 'n4', null],
    ]);
  });

  it('refuses bad commits before writing anything', async () => {
    const { storage } = temp();
    const t = await DeltaTable.create(storage, '', { schema, partitionColumns: ['day'] });
    const bad = (actions: Action[]) => commit(storage, t.snapshot, { actions, operation: 'WRITE' });
    await expect(bad([{ add: fakeAdd('f') }])).rejects.toThrow(/missing day/);
    await expect(
      bad([{ add: fakeAdd('f', { day: null }) }, { add: fakeAdd('f', { day: null }) }]),
    ).rejects.toThrow(/added twice/);
    await expect(bad([{ txn: { appId: 'a', version: 1 } }])).rejects.toBeInstanceOf(InvalidCommitError);
    await expect(bad([{ protocol: { minReaderVersion: 1, minWriterVersion: 1 } }])).rejects.toThrow(
      /downgrade/,
    );
    expect((await Snapshot.load(storage)).version).toBe(0);
  });

  it('enforces appendOnly', async () => {
    const { storage } = temp();
    const t = await DeltaTable.create(storage, '', { schema, configuration: { 'delta.appendOnly': 'true' } });
    await t.commit({ actions: [{ add: fakeAdd('f') }], operation: 'WRITE' });
    await expect(
      t.commit({ actions: [{ remove: { path: 'f', dataChange: true } }], operation: 'DELETE' }),
    ).rejects.toThrow(/append-only/);
  });
});

describe('optimistic concurrency', () => {
  it('serializes many racing blind appends into consecutive versions', async () => {
    const { storage } = temp();
    await DeltaTable.create(storage, '', { schema });
    const base = await Snapshot.load(storage);
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        commit(
          storage,
          base,
          { actions: [{ add: fakeAdd(`f${i}`) }], operation: 'WRITE' },
          { maxRetries: 20 },
        ),
      ),
    );
    expect(results.map((r) => r.version).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 12 }, (_, i) => i + 1),
    );
    expect(results.some((r) => r.attempts > 1)).toBe(true);
    const latest = await Snapshot.load(storage);
    expect(latest.version).toBe(12);
    expect(latest.numFiles).toBe(12);
    // each post-commit snapshot contains its own file and everything it rebased onto
    for (const r of results) expect(r.snapshot.numFiles).toBe(r.version);
  });

  it('names the conflict when a winner changed what this commit depends on', async () => {
    const { storage } = temp();
    const t = await DeltaTable.create(storage, '', { schema });
    await t.commit({ actions: [{ add: fakeAdd('a') }, { add: fakeAdd('b') }], operation: 'WRITE' });
    const base = t.snapshot;

    await commit(storage, base, {
      actions: [{ remove: { path: 'a', dataChange: true } }],
      operation: 'DELETE',
    });
    await expect(
      commit(storage, base, { actions: [{ remove: { path: 'a', dataChange: true } }], operation: 'DELETE' }),
    ).rejects.toBeInstanceOf(ConcurrentDeleteDeleteError);

    const base2 = await Snapshot.load(storage);
    await commit(storage, base2, { txns: [{ appId: 'app', version: 1 }], operation: 'WRITE' });
    const err = await commit(storage, base2, {
      txns: [{ appId: 'app', version: 1 }],
      operation: 'WRITE',
    }).catch((e) => e);
    expect(err).toBeInstanceOf(ConcurrentTransactionError);
    expect(err).toMatchObject({
      appId: 'app',
      winningVersion: base2.version + 1,
      attemptedVersion: base2.version + 1,
    });

    const base3 = await Snapshot.load(storage);
    await commit(storage, base3, {
      actions: schemaChange(base3, struct(...schema.fields, field('extra', 'integer'))),
      operation: 'ADD COLUMNS',
    });
    await expect(
      commit(storage, base3, { actions: [{ add: fakeAdd('c') }], operation: 'WRITE' }),
    ).rejects.toBeInstanceOf(MetadataChangedError);

    const base4 = await Snapshot.load(storage);
    await commit(storage, base4, {
      actions: [
        {
          protocol: {
            minReaderVersion: 1,
            minWriterVersion: 7,
            writerFeatures: ['appendOnly', 'invariants', 'domainMetadata'],
          },
        },
      ],
      operation: 'UPGRADE',
    });
    await expect(
      commit(storage, base4, { actions: [{ add: fakeAdd('d') }], operation: 'WRITE' }),
    ).rejects.toBeInstanceOf(ProtocolChangedError);
  });

  it('with no retries left, still names a conflict before giving up', async () => {
    const { storage } = temp();
    const t = await DeltaTable.create(storage, '', { schema });
    const base = t.snapshot;
    await commit(storage, base, { txns: [{ appId: 'app', version: 1 }], operation: 'WRITE' });
    await expect(
      commit(storage, base, { txns: [{ appId: 'app', version: 1 }], operation: 'WRITE' }, { maxRetries: 0 }),
    ).rejects.toBeInstanceOf(ConcurrentTransactionError);
    const err = await commit(
      storage,
      base,
      { actions: [{ add: fakeAdd('z') }], operation: 'WRITE' },
      { maxRetries: 0 },
    ).catch((e) => e);
    expect(err).toBeInstanceOf(MaxCommitAttemptsError);
    expect(err).toMatchObject({ attemptedVersion: 1 });
  });

  it('rebases a blind append over a concurrent append of other files', async () => {
    const { storage } = temp();
    const t = await DeltaTable.create(storage, '', { schema });
    const base = t.snapshot;
    await commit(storage, base, {
      actions: [{ add: fakeAdd('x') }],
      txns: [{ appId: 'other', version: 1 }],
      operation: 'WRITE',
    });
    const mine = await commit(storage, base, {
      actions: [{ add: fakeAdd('y') }],
      txns: [{ appId: 'mine', version: 5 }],
      operation: 'WRITE',
    });
    expect(mine).toMatchObject({ version: 2, attempts: 2 });
    expect(mine.snapshot.txnVersion('other')).toBe(1);
    expect(mine.snapshot.txnVersion('mine')).toBe(5);
    expect(mine.actions[0]).toHaveProperty('commitInfo.readVersion', 1);
  });
});

describe('catching up', () => {
  it('update() applies only the new commits and agrees with a fresh load', async () => {
    const { storage } = temp();
    const reader = await DeltaTable.create(storage, '', { schema });
    const writer = await DeltaTable.open(storage);
    for (const p of ['a', 'b', 'c'])
      await writer.commit({ actions: [{ add: fakeAdd(p) }], operation: 'WRITE' });
    await writer.commit({
      actions: [{ remove: { path: 'b', dataChange: true } }],
      txns: [{ appId: 'w', version: 9 }],
      operation: 'DELETE',
    });
    expect(reader.version).toBe(0);
    const updated = await reader.update();
    const fresh = await Snapshot.load(storage);
    expect(updated.version).toBe(4);
    expect(
      updated
        .files()
        .map((f) => f.path)
        .sort(),
    ).toEqual(['a', 'c']);
    expect(updated.files()).toEqual(fresh.files());
    expect(updated.txnVersion('w')).toBe(9);
    expect(await reader.update()).toBe(updated); // nothing new: same snapshot
  });
});

describe('schema evolution', () => {
  it('adds nullable columns (old files read as null) and refuses unsafe changes', async () => {
    const { storage } = temp();
    const t = await DeltaTable.create(storage, '', {
      schema: struct(field('id', 'long', false), field('name', 'string')),
    });
    const f1 = await writeDataFile(t.snapshot, rows([1]));
    await t.commit({ actions: [{ add: f1 }], operation: 'WRITE' });
    const wider = struct(
      field('id', 'long', false),
      field('name', 'string'),
      field('extra', struct(field('x', 'integer'))),
    );
    await t.commit({ actions: schemaChange(t.snapshot, wider), operation: 'ADD COLUMNS' });
    const back = await (await Snapshot.load(storage)).scan().toTable();
    expect(back.toArray().map((r) => r.toJSON())).toEqual([{ id: 1n, name: 'n1', extra: null }]);

    expect(() => schemaChange(t.snapshot, struct(field('id', 'long', false)))).toThrow(SchemaEvolutionError);
    expect(() => schemaChange(t.snapshot, struct(...wider.fields, field('nn', 'integer', false)))).toThrow(
      /must be nullable/,
    );
    expect(() =>
      schemaChange(t.snapshot, struct(field('id', 'integer', false), field('name', 'string'))),
    ).toThrow(SchemaEvolutionError);
    expect(() =>
      schemaChange(
        t.snapshot,
        struct(field('id', 'long'), field('name', 'long'), wider.fields[2] as (typeof wider.fields)[number]),
      ),
    ).toThrow(/cannot change type/);
  });

  it('widens types only through the typeWidening feature, and reads old files in the new type', async () => {
    const { storage } = temp();
    const t = await DeltaTable.create(storage, '', { schema: struct(field('n', 'integer')) });
    const f1 = await writeDataFile(t.snapshot, new A.Table({ n: A.vectorFromArray([1, 2], new A.Int32()) }));
    await t.commit({ actions: [{ add: f1 }], operation: 'WRITE' });
    const widened = struct(field('n', 'long'));
    expect(() => schemaChange(t.snapshot, widened)).toThrow(/typeWidening/);
    const actions = schemaChange(t.snapshot, widened, { allowTypeWidening: true });
    expect(actions[0]).toMatchObject({
      protocol: { minReaderVersion: 3, minWriterVersion: 7, readerFeatures: ['typeWidening'] },
    });
    await t.commit({ actions, operation: 'CHANGE COLUMN' });
    expect(t.snapshot.schema.fields[0]?.metadata['delta.typeChanges']).toEqual([
      { fromType: 'integer', toType: 'long' },
    ]);
    const back = await (await Snapshot.load(storage)).scan().toTable();
    expect(String(back.schema.fields[0]?.type)).toBe('Int64');
    expect(Array.from(back.getChild('n')?.toArray() ?? [])).toEqual([1n, 2n]);
  });
});

describe('writer feature gate', () => {
  it('refuses tables with active constraints or unknown features, naming them', async () => {
    const { storage } = temp();
    const t = await DeltaTable.create(storage, '', {
      schema,
      configuration: { 'delta.constraints.positive': 'id > 0' },
    }).catch((e) => e);
    expect(t).toBeInstanceOf(UnsupportedFeatureError);
    expect((t as UnsupportedFeatureError).features).toEqual(['checkConstraints']);

    const ok = await DeltaTable.create(storage, 'b', { schema });
    const unknown = {
      minReaderVersion: 1,
      minWriterVersion: 7,
      writerFeatures: ['appendOnly', 'invariants', 'rowTracking'],
    };
    const err = await ok.commit({ actions: [{ protocol: unknown }], operation: 'UPGRADE' }).catch((e) => e);
    expect(err).toBeInstanceOf(UnsupportedFeatureError);
    expect(err.message).toMatch(/rowTracking/);
  });

  it('writes in-commit timestamps that strictly increase', async () => {
    const { storage } = temp();
    let clock = 1000;
    const t = await DeltaTable.create(storage, '', {
      schema,
      configuration: { 'delta.enableInCommitTimestamps': 'true' },
      now: () => clock,
    });
    clock = 500; // the wall clock went backwards
    const r = await t.commit({ actions: [{ add: fakeAdd('a') }], operation: 'WRITE' }, { now: () => clock });
    expect(r.actions[0]).toMatchObject({ commitInfo: { inCommitTimestamp: 1001 } });
    expect(Object.keys((r.actions[0] as { commitInfo: object }).commitInfo)[0]).toBe('inCommitTimestamp');
    expect((await Snapshot.load(storage)).timestamp).toBe(1001);
    clock = 5000;
    await t.commit({ actions: [{ add: fakeAdd('b') }], operation: 'WRITE' }, { now: () => clock });
    // time travel by timestamp uses the in-commit timestamps, not file times
    expect(await t.versionAtTimestamp(1000)).toBe(0);
    expect(await t.versionAtTimestamp(1001)).toBe(1);
    expect(await t.versionAtTimestamp(4999)).toBe(1);
    expect((await t.snapshotAtTimestamp(6000)).version).toBe(2);
    await expect(t.versionAtTimestamp(999)).rejects.toBeInstanceOf(VersionNotFoundError);
  });
});
