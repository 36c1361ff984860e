/**
 * Interoperability with the two reference implementations, through the team's readers
 * (`tools/readers`: Python deltalake = delta-rs, and Spark + delta-spark). Rows are compared in the shared
 * JSON value encoding, so "reads back identically" is plain deep equality.
 */
import { execFile } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  type EncodedRow,
  type ReadResult,
  readersEnv,
  readWithDeltaRs,
  type SparkSession,
  sortRows,
  startSpark,
  type WriteSpec,
  writeWithDeltaRs,
} from '@delta-writer/test-readers';
import * as A from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { array as arrayType, decimal, field, map, struct } from '../src/schema/types.js';
import { Snapshot } from '../src/snapshot.js';
import { FsStorage } from '../src/storage/fs.js';
import { DeltaTable } from '../src/table.js';
import { encodeRows } from '../src/util/row-encoding.js';
import { writeDataFile } from '../src/write/data-file.js';
import { schemaChange } from '../src/write/schema-change.js';
import { useTempStorage } from './helpers/tmp.js';

const temp = useTempStorage();
let spark: SparkSession;

beforeAll(async () => {
  spark = await startSpark();
}, 300_000);

afterAll(async () => {
  await spark?.close();
});

/** Our own read of a table, in the shared encoding. */
async function ourRows(dir: string, version?: number): Promise<EncodedRow[]> {
  const snap = await Snapshot.load(new FsStorage(dir), '', version !== undefined ? { version } : {});
  const scan = snap.scan();
  const rows: EncodedRow[] = [];
  for await (const b of scan.batches())
    for (const r of encodeRows(b, scan.schema)) rows.push(r as EncodedRow);
  return sortRows(rows);
}

function expectSameTable(read: ReadResult, rows: EncodedRow[], version: number): void {
  expect(read.version, read.engine).toBe(version);
  expect(read.numRows, read.engine).toBe(rows.length);
  expect(sortRows(read.rows), read.engine).toEqual(rows);
}

const SCHEMA = struct(
  field('id', 'long', false),
  field('name', 'string'),
  field('amount', decimal(12, 2)),
  field('ratio', 'double'),
  field('day', 'date'),
  field('at', 'timestamp'),
  field('nested', struct(field('a', 'integer'), field('tags', arrayType('string')))),
  field('attrs', map('string', 'long')),
  field('region', 'string'),
);

/** A batch with every column filled (and some nulls), ids starting at `from`. */
function batch(from: number, n: number): A.Table {
  const ids = Array.from({ length: n }, (_, i) => from + i);
  const words = new Uint32Array(n * 4);
  ids.forEach((id, i) => {
    words[4 * i] = id * 125; // amount = id * 1.25
  });
  const nestedType = new A.Struct([
    new A.Field('a', new A.Int32()),
    new A.Field('tags', new A.List(new A.Field('element', new A.Utf8()))),
  ]);
  const attrsType = new A.Map_(
    new A.Field(
      'key_value',
      new A.Struct([new A.Field('key', new A.Utf8(), false), new A.Field('value', new A.Int64())]),
    ) as never,
  );
  return new A.Table({
    id: A.vectorFromArray(ids.map(BigInt), new A.Int64()),
    name: A.vectorFromArray(
      ids.map((i) => (i % 3 === 0 ? null : `name-${i} ü`)),
      new A.Utf8(),
    ),
    amount: A.makeVector(
      A.makeData({ type: new A.Decimal(2, 12, 128), length: n, nullCount: 0, data: words }),
    ),
    ratio: A.vectorFromArray(
      ids.map((i) => i / 8),
      new A.Float64(),
    ),
    day: A.vectorFromArray(
      ids.map((i) => new Date(Date.UTC(2024, 0, 1 + i))),
      new A.DateDay(),
    ),
    at: A.makeVector(
      A.makeData({
        type: new A.TimestampMicrosecond('UTC'),
        length: n,
        nullCount: 0,
        data: BigInt64Array.from(ids.map((i) => 1_700_000_000_000_000n + BigInt(i) * 1_000_001n)),
      }),
    ),
    nested: A.vectorFromArray(
      ids.map((i) => ({ a: i, tags: i % 2 ? ['x', `t${i}`] : [] })),
      nestedType,
    ),
    attrs: A.vectorFromArray(
      ids.map((i) => new Map([[`k${i}`, BigInt(i)]])),
      attrsType,
    ),
  });
}

describe('tables written by delta-log', () => {
  it('read back identically in delta-rs and Spark, through appends, schema evolution and checkpoints', async () => {
    const { dir, storage } = temp();
    const t = await DeltaTable.create(storage, '', { schema: SCHEMA, partitionColumns: ['region'] });
    const eu = await writeDataFile(t.snapshot, batch(0, 5), { partitionValues: { region: 'eu' } });
    const us = await writeDataFile(t.snapshot, batch(5, 3), { partitionValues: { region: 'us west' } });
    await t.commit({
      actions: [{ add: eu }, { add: us }],
      txns: [{ appId: 'app', version: 1 }],
      operation: 'WRITE',
    });

    let rows = await ourRows(dir);
    expect(rows).toHaveLength(8);
    expectSameTable(await readWithDeltaRs(dir), rows, 1);
    expectSameTable(await spark.read(dir), rows, 1);

    // schema evolution: a new nullable column; old files read it as null everywhere
    const evolved = struct(...SCHEMA.fields, field('score', 'integer'));
    await t.commit({ actions: schemaChange(t.snapshot, evolved), operation: 'ADD COLUMNS' });
    const withScore = batch(8, 2);
    const scored = new A.Table({
      ...Object.fromEntries(
        withScore.schema.fields.map((f) => [f.name, withScore.getChild(f.name) as A.Vector]),
      ),
      score: A.vectorFromArray([7, null], new A.Int32()),
    });
    const late = await writeDataFile(t.snapshot, scored, { partitionValues: { region: 'eu' } });
    await t.commit({ actions: [{ add: late }], operation: 'WRITE' });
    rows = await ourRows(dir);
    expect(rows.filter((r) => r.score === 7)).toHaveLength(1);
    expectSameTable(await readWithDeltaRs(dir), rows, 3);
    expectSameTable(await spark.read(dir), rows, 3);

    // checkpoint, then delete the commits it covers: readers can only use our checkpoint
    await t.checkpoint();
    const extra = await writeDataFile(t.snapshot, batch(10, 1), { partitionValues: { region: 'eu' } });
    await t.commit({ actions: [{ add: extra }], operation: 'WRITE' });
    for (const v of [0, 1, 2]) rmSync(join(dir, '_delta_log', `${String(v).padStart(20, '0')}.json`));
    rows = await ourRows(dir);
    expect(rows).toHaveLength(11);
    expectSameTable(await readWithDeltaRs(dir), rows, 4);
    expectSameTable(await spark.read(dir), rows, 4);
    const txn = await spark.sql(`SELECT count(*) AS n FROM delta.\`${dir}\` WHERE region = 'us west'`);
    expect(txn.rows).toEqual([{ n: '3' }]);
  }, 600_000);
});

describe('tables with table features and NOT NULL columns', () => {
  it('accept a Spark INSERT (the protocol lists invariants) and refuse a NULL key', async () => {
    const { dir, storage } = temp();
    const t = await DeltaTable.create(storage, '', {
      schema: struct(field('id', 'long', false), field('v', 'string')),
      configuration: { 'delta.enableDeletionVectors': 'true' },
    });
    expect(t.snapshot.protocol.writerFeatures).toContain('invariants');
    await spark.sql(`INSERT INTO delta.\`${dir}\` VALUES (1, 'spark')`);
    await expect(spark.sql(`INSERT INTO delta.\`${dir}\` VALUES (NULL, 'x')`)).rejects.toThrow();
    const rows = await ourRows(dir);
    expect(rows).toEqual([{ id: '1', v: 'spark' }]);
    expectSameTable(await readWithDeltaRs(dir), rows, 1);
  }, 600_000);
});

const spec: WriteSpec = {
  schema: {
    type: 'struct',
    fields: [
      { name: 'id', type: 'long', nullable: true, metadata: {} },
      { name: 'v', type: 'string', nullable: true, metadata: {} },
      { name: 'day', type: 'date', nullable: true, metadata: {} },
    ],
  },
  partitionBy: ['day'],
  rows: [
    { id: '1', v: 'a', day: '2024-01-01' },
    { id: '2', v: null, day: '2024-01-02' },
  ],
  steps: [
    { op: 'write', rows: [{ id: '3', v: 'c', day: '2024-01-01' }] },
    { op: 'checkpoint' },
    { op: 'write', rows: [{ id: '4', v: 'd', day: '2024-01-03' }] },
  ],
};

async function appendWithDeltaLog(dir: string): Promise<void> {
  const t = await DeltaTable.open(new FsStorage(dir));
  const data = new A.Table({
    id: A.vectorFromArray([100n], new A.Int64()),
    v: A.vectorFromArray(['from delta-log'], new A.Utf8()),
  });
  const add = await writeDataFile(t.snapshot, data, { partitionValues: { day: 19725 } });
  await t.commit({ actions: [{ add }], txns: [{ appId: 'delta-log', version: 1 }], operation: 'WRITE' });
}

describe.each([
  ['delta-rs', (dir: string) => writeWithDeltaRs(dir, spec)],
  ['Spark', (dir: string) => spark.write(dir, spec)],
])('tables written by %s', (engine, write) => {
  it('are read by delta-log, appended to, and stay readable by both engines', async () => {
    const { dir } = temp();
    const written = await write(dir);
    const theirs = await readWithDeltaRs(dir);
    const ours = await ourRows(dir);
    expect(ours, engine).toEqual(sortRows(theirs.rows));
    expect(readdirSync(join(dir, '_delta_log')).some((f) => f.endsWith('.checkpoint.parquet'))).toBe(true);

    await appendWithDeltaLog(dir);
    const after = await ourRows(dir);
    expect(after).toHaveLength(ours.length + 1);
    expect(after).toContainEqual({ id: '100', v: 'from delta-log', day: '2024-01-03' });
    expectSameTable(await readWithDeltaRs(dir), after, written.version + 1);
    expectSameTable(await spark.read(dir), after, written.version + 1);
  }, 600_000);
});

describe('a checkpoint encoded in chunks (two row groups, five chunks)', () => {
  it('is read by delta-rs and Spark: every live file, none of the 10,000 removed', async () => {
    const { dir } = temp();
    const storage = new FsStorage(dir);
    const t = await DeltaTable.create(storage, '', { schema: struct(field('id', 'long')) });
    // 70,000 files (the data files need not exist: the engines only list them), then 10,000 of them removed
    const adds = Array.from({ length: 70_000 }, (_, i) => ({
      path: `part-${String(i).padStart(6, '0')}.parquet`,
      partitionValues: {},
      size: 100 + i,
      modificationTime: 1_700_000_000_000,
      dataChange: true,
      stats: `{"numRecords":1,"minValues":{"id":${i}},"maxValues":{"id":${i}},"nullCount":{"id":0}}`,
    }));
    await t.commit({ actions: adds.map((add) => ({ add })), operation: 'WRITE' });
    await t.commit({
      actions: adds.slice(0, 10_000).map((a) => ({
        remove: { path: a.path, deletionTimestamp: Date.now(), dataChange: true, size: a.size },
      })),
      operation: 'DELETE',
    });
    const cp = await t.checkpoint();
    expect(cp.numActions).toBe(2 + 60_000 + 10_000);
    const listed = await new Promise<string>((resolve, reject) => {
      const { python, env } = readersEnv();
      const script = [
        'import sys, json, pyarrow.parquet as pq',
        'from deltalake import DeltaTable',
        'dt = DeltaTable(sys.argv[1])',
        'uris = dt.file_uris()',
        'meta = pq.ParquetFile(sys.argv[2]).metadata',
        'print(json.dumps({"version": dt.version(), "files": len(uris), "first": min(uris), "rowGroups": meta.num_row_groups}))',
      ].join('\n');
      execFile(python, ['-c', script, dir, join(dir, cp.path)], { env }, (err, out) =>
        err ? reject(err) : resolve(out),
      );
    });
    const rs = JSON.parse(listed) as { version: number; files: number; first: string; rowGroups: number };
    expect(rs).toMatchObject({ version: 2, files: 60_000, rowGroups: 2 });
    expect(rs.first).toContain('part-010000.parquet');
    const detail = await spark.sql(`DESCRIBE DETAIL delta.\`${dir}\``);
    expect(detail.rows[0]).toMatchObject({ numFiles: '60000' });
  }, 300_000);
});
