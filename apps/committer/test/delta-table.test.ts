/**
 * The Delta TableCommitter with the batch logic on the local stack's S3 server: table creation with the first files
 * and their txns, idempotence, two writers on one table, fencing, partitioning.
 */
import { DeltaTable, field, Snapshot, struct } from '@delta-writer/delta-log';
import { RefusalReason } from '@delta-writer/proto';
import { describe, expect, it } from 'vitest';
import type { TableCommitter } from '../src/commit/table-committer.js';
import { commits, exactlyOnceProblems, offsetRows } from './support/check.js';
import { batchRunner, deltaCommitter } from './support/committer.js';
import { manifestFor, OFFSETS_SCHEMA, offsetsManifest, writeTestFile } from './support/data.js';
import { stack, testBasePath } from './support/stack.js';

const base = testBasePath();
let n = 0;
function newTable() {
  const tablePath = `${base}/t${++n}`;
  return { tablePath, tableUri: `s3://${stack().bucket}/${tablePath}` };
}

describe('DeltaTableCommitter on S3', () => {
  it('creates the table in the commit of its first files, with one txn per partition and the term', async () => {
    const { storage } = stack();
    const { tablePath, tableUri } = newTable();
    const { tables } = deltaCommitter();
    const { run } = batchRunner(tables, 42);
    const result = await run([
      await offsetsManifest(storage, tableUri, tablePath, 0, 0, 9),
      await offsetsManifest(storage, tableUri, tablePath, 1, 0, 4),
    ]);
    expect(result.committedVersion).toBe(0);
    const [v0] = await commits(storage, tablePath);
    const kinds = (v0 ?? []).map((a) => Object.keys(a)[0]);
    expect(kinds.filter((k) => k === 'add')).toHaveLength(2);
    expect(kinds).toContain('protocol');
    expect(kinds).toContain('metaData');
    const txns = (v0 ?? []).flatMap((a) => ('txn' in a ? [[a.txn.appId, a.txn.version]] : []));
    expect(Object.fromEntries(txns)).toEqual({ 'dw1/dw/db.coll/0': 9, 'dw1/dw/db.coll/1': 4 });
    const info = (v0 ?? []).find((a) => 'commitInfo' in a);
    expect(info && 'commitInfo' in info && info.commitInfo.deltaWriter).toMatchObject({ term: 42 });
    // promote mode: the integer column of the files is a long column of the table
    const snapshot = await Snapshot.load(storage, tablePath);
    expect(snapshot.schema.fields.map((f) => [f.name, f.type, f.nullable])).toEqual([
      ['topic_partition', 'long', true],
      ['offset', 'long', true],
      ['payload', 'string', true],
    ]);
    const problems = exactlyOnceProblems(
      await offsetRows(storage, tablePath),
      new Map([
        [0, 9],
        [1, 4],
      ]),
    );
    expect(problems).toEqual([]);
  });

  it("reports the table's data-skipping properties, and only those, for the ingestors' file statistics", async () => {
    const { storage } = stack();
    const { tablePath, tableUri } = newTable();
    await DeltaTable.create(storage, tablePath, {
      schema: struct(field('a', 'long'), field('b', 'string')),
      configuration: {
        'delta.dataSkippingNumIndexedCols': '1',
        'delta.dataSkippingStatsColumns': 'b',
        'delta.checkpointInterval': '7',
      },
    });
    const { tables } = deltaCommitter();
    const snapshot = await tables.load({ routingKey: 'db.coll', tableUri });
    expect(snapshot.statsConfiguration).toEqual({
      'delta.dataSkippingNumIndexedCols': '1',
      'delta.dataSkippingStatsColumns': 'b',
    });
    const fresh = await tables.load({ routingKey: 'db.coll', tableUri: `${tableUri}-none` });
    expect(fresh.statsConfiguration).toBeUndefined();
  });

  it('acknowledges a re-sent range as a duplicate and adds nothing', async () => {
    const { storage } = stack();
    const { tablePath, tableUri } = newTable();
    const { tables } = deltaCommitter();
    const { run } = batchRunner(tables);
    await run([await offsetsManifest(storage, tableUri, tablePath, 0, 0, 9)]);
    // the ingestor crashed before committing its Kafka offset and rewrote the same range into new files
    const again = await run([await offsetsManifest(storage, tableUri, tablePath, 0, 0, 9)]);
    expect(again.committedVersion).toBeUndefined();
    expect(again.outcomes[0]).toMatchObject({ $case: 'ack', value: { duplicate: true, tableVersion: 0 } });
    const next = await run([await offsetsManifest(storage, tableUri, tablePath, 0, 10, 19)]);
    expect(next.committedVersion).toBe(1);
    expect(exactlyOnceProblems(await offsetRows(storage, tablePath), new Map([[0, 19]]))).toEqual([]);
  });

  it('lets two leaders race on one table without committing any range twice', async () => {
    const { storage } = stack();
    const { tablePath, tableUri } = newTable();
    const a = batchRunner(deltaCommitter().tables, 1);
    const b = batchRunner(deltaCommitter().tables, 2);
    let last = -1;
    for (let round = 0; round < 6; round++) {
      const first = last + 1;
      last = first + 9;
      // Both leaders get the same range (an ingestor retrying at the other one), in separate files.
      const [ra, rb] = await Promise.all([
        a.run([await offsetsManifest(storage, tableUri, tablePath, 0, first, last)]),
        b.run([await offsetsManifest(storage, tableUri, tablePath, 0, first, last)]),
      ]);
      const acks = [ra, rb].map((r) => r.outcomes[0]);
      expect(acks.every((o) => o?.$case === 'ack')).toBe(true);
      // exactly one of them added its files; the other found the range committed
      expect(acks.filter((o) => o?.$case === 'ack' && !o.value.duplicate)).toHaveLength(1);
    }
    expect(exactlyOnceProblems(await offsetRows(storage, tablePath), new Map([[0, last]]))).toEqual([]);
    const terms = (await commits(storage, tablePath)).map((c) => {
      const info = c.find((x) => 'commitInfo' in x);
      return info && 'commitInfo' in info ? (info.commitInfo.deltaWriter as { term: number }).term : 0;
    });
    expect(terms).toHaveLength(6);
  });

  it('writes nothing once the leadership signal aborts, even with the commit planned', async () => {
    const { storage } = stack();
    const { tablePath, tableUri } = newTable();
    const { tables } = deltaCommitter();
    const runner = batchRunner(tables);
    await runner.run([await offsetsManifest(storage, tableUri, tablePath, 0, 0, 9)]);
    // Deposed between planning and the Delta write.
    const deposing: TableCommitter = {
      load: (t, o) => tables.load(t, o),
      schemaAdmission: (s) => tables.schemaAdmission(s),
      commit: (prepared, signal) => {
        runner.controller.abort(new Error('lease lost'));
        return tables.commit(prepared, signal);
      },
    };
    const { commitBatch } = await import('../src/commit/batch.js');
    await expect(
      commitBatch([await offsetsManifest(storage, tableUri, tablePath, 0, 10, 19)], {
        committer: deposing,
        term: 1,
        signal: runner.controller.signal,
      }),
    ).rejects.toThrow('lease lost');
    expect((await Snapshot.load(storage, tablePath)).version).toBe(0);
  });

  it('creates a partitioned table from the first manifest and refuses other partitioning', async () => {
    const { storage } = stack();
    const { tablePath, tableUri } = newTable();
    const { tables } = deltaCommitter();
    const { run } = batchRunner(tables);
    const schema = {
      type: 'struct' as const,
      fields: [
        { name: 'region', type: 'string' as const, nullable: true, metadata: {} },
        { name: 'offset', type: 'long' as const, nullable: true, metadata: {} },
      ],
    };
    const files = await Promise.all(
      ['eu', 'us'].map((region) =>
        writeTestFile(storage, tablePath, {
          schema,
          rows: [{ region, offset: region === 'eu' ? 0 : 1 }],
          partitionColumns: ['region'],
        }),
      ),
    );
    const first = manifestFor({
      tableUri,
      partition: 0,
      first: 0,
      last: 1,
      files,
      schema,
      partitionColumns: ['region'],
    });
    expect((await run([first])).committedVersion).toBe(0);
    const snapshot = await Snapshot.load(storage, tablePath);
    expect(snapshot.partitionColumns).toEqual(['region']);
    expect(
      snapshot
        .files()
        .map((f) => f.partitionValues.region)
        .sort(),
    ).toEqual(['eu', 'us']);
    const unpartitioned = await offsetsManifest(storage, tableUri, tablePath, 0, 2, 3);
    const refused = await run([unpartitioned]);
    expect(refused.outcomes[0]).toMatchObject({
      $case: 'refusal',
      value: { reason: RefusalReason.PARTITIONING_MISMATCH },
    });
  });

  it('records offsets of a manifest without files', async () => {
    const { storage } = stack();
    const { tablePath, tableUri } = newTable();
    const { tables } = deltaCommitter();
    const { run } = batchRunner(tables);
    await run([await offsetsManifest(storage, tableUri, tablePath, 0, 0, 9)]);
    const empty = manifestFor({
      tableUri,
      partition: 0,
      first: 10,
      last: 50,
      files: [],
      schema: OFFSETS_SCHEMA,
    });
    expect((await run([empty])).outcomes[0]).toMatchObject({ $case: 'ack', value: { tableVersion: 1 } });
    const state = await tables.load({ routingKey: 'x', tableUri });
    expect(state.txnVersions.get('dw1/dw/db.coll/0')).toBe(50);
  });

  it('refuses to create a table inside another table or around one, and adds nothing', async () => {
    const { storage } = stack();
    const outer = newTable();
    const { tables } = deltaCommitter();
    const { run } = batchRunner(tables);
    await run([await offsetsManifest(storage, outer.tableUri, outer.tablePath, 0, 0, 9)]);

    const innerPath = `${outer.tablePath}/nested`;
    const inner = await run([await offsetsManifest(storage, `${outer.tableUri}/nested`, innerPath, 0, 0, 9)]);
    expect(inner.outcomes[0]).toMatchObject({
      $case: 'refusal',
      value: {
        reason: RefusalReason.INVALID_REQUEST,
        message: expect.stringMatching(/inside another table|around/),
      },
    });
    expect(await storage.list(`${innerPath}/_delta_log/`)).toEqual([]);

    // a table deeper down exists; a new table at a folder above it would hold it
    const deepPath = `${base}/holder${n}/db/coll`;
    const deepUri = `s3://${stack().bucket}/${deepPath}`;
    await run([await offsetsManifest(storage, deepUri, deepPath, 0, 0, 9)]);
    const holderPath = `${base}/holder${n}`;
    const around = await run([
      await offsetsManifest(storage, `s3://${stack().bucket}/${holderPath}`, holderPath, 0, 0, 9),
    ]);
    expect(around.outcomes[0]).toMatchObject({
      $case: 'refusal',
      value: { reason: RefusalReason.INVALID_REQUEST, message: expect.stringMatching(/inside .*holder/) },
    });
    expect(await storage.list(`${holderPath}/_delta_log/`)).toEqual([]);
    // the existing tables are untouched
    expect(exactlyOnceProblems(await offsetRows(storage, outer.tablePath), new Map([[0, 9]]))).toEqual([]);
    expect(exactlyOnceProblems(await offsetRows(storage, deepPath), new Map([[0, 9]]))).toEqual([]);
  });
});
