/**
 * Deletion vectors written by delta-log, read by the two reference engines (`tools/readers`): delta-rs
 * (Python deltalake) and Spark + delta-spark. A table whose rows we delete through vectors — file-based and
 * inline, replaced by unions, with run containers, across a checkpoint — must read identically everywhere;
 * and Spark must be able to delete on top of our vectors.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  type EncodedRow,
  readWithDeltaRs,
  type SparkSession,
  sortRows,
  startSpark,
} from '@delta-writer/test-readers';
import * as A from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { field, struct } from '../src/schema/types.js';
import { Snapshot } from '../src/snapshot.js';
import { FsStorage } from '../src/storage/fs.js';
import { DeltaTable } from '../src/table.js';
import { encodeRows } from '../src/util/row-encoding.js';
import { writeDataFile } from '../src/write/data-file.js';
import { deleteRows } from '../src/write/deletion-vector.js';
import { useTempStorage } from './helpers/tmp.js';

const temp = useTempStorage();
let spark: SparkSession;

beforeAll(async () => {
  spark = await startSpark();
}, 300_000);

afterAll(async () => {
  await spark?.close();
});

async function ourRows(dir: string): Promise<EncodedRow[]> {
  const snap = await Snapshot.load(new FsStorage(dir));
  const scan = snap.scan();
  const rows: EncodedRow[] = [];
  for await (const b of scan.batches())
    for (const r of encodeRows(b, scan.schema)) rows.push(r as EncodedRow);
  return sortRows(rows);
}

async function expectAllEnginesAgree(dir: string, version: number, expectedIds: number[]): Promise<void> {
  const ours = await ourRows(dir);
  expect(ours.map((r) => Number(r.id)).sort((a, b) => a - b)).toEqual(expectedIds);
  for (const read of [await readWithDeltaRs(dir), await spark.read(dir)]) {
    expect(read.version, read.engine).toBe(version);
    expect(sortRows(read.rows), read.engine).toEqual(ours);
  }
}

const SCHEMA = struct(field('id', 'long', false), field('doc', 'string'), field('region', 'string'));

function batch(from: number, n: number): A.Table {
  return new A.Table({
    id: A.vectorFromArray(
      Array.from({ length: n }, (_, i) => BigInt(from + i)),
      new A.Int64(),
    ),
    doc: A.vectorFromArray(
      Array.from({ length: n }, (_, i) => ((from + i) % 7 === 0 ? null : `doc ${from + i}`)),
      new A.Utf8(),
    ),
  });
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

describe('deletion vectors written by delta-log', () => {
  it('read identically in delta-rs and Spark, and Spark deletes on top of them', async () => {
    const { dir, storage } = temp();
    const t = await DeltaTable.create(storage, '', {
      schema: SCHEMA,
      partitionColumns: ['region'],
      configuration: { 'delta.enableDeletionVectors': 'true' },
      // Spark counts a NOT NULL column as an active `invariants` feature; createTable does not list it yet.
      features: ['invariants'],
    });
    const eu = await writeDataFile(t.snapshot, batch(0, 100), { partitionValues: { region: 'eu' } });
    const us = await writeDataFile(t.snapshot, batch(100, 20_000), { partitionValues: { region: 'us' } });
    await t.commit({ actions: [{ add: eu }, { add: us }], operation: 'WRITE' });
    let alive = new Set(range(0, 20_100));

    // v2: file-based vectors in one DV file, one of them with a dense (bitmap) container
    const dense = range(0, 20_000).filter((i) => i % 3 === 0);
    const v2 = await deleteRows(
      t.snapshot,
      new Map([
        [eu.path, [0, 1, 50, 99]],
        [us.path, dense],
      ]),
    );
    await t.commit({ actions: v2.actions, operation: 'DELETE', readWholeTable: true });
    for (const r of [0, 1, 50, 99]) alive.delete(r);
    for (const r of dense) alive.delete(100 + r);
    await expectAllEnginesAgree(
      dir,
      2,
      [...alive].sort((a, b) => a - b),
    );

    // v3: unions replacing the vectors, an inline vector, run containers, a new file born with a vector
    const fresh = await writeDataFile(t.snapshot, batch(80_000, 10), { partitionValues: { region: 'eu' } });
    const runs = range(5_000, 15_000);
    const v3 = await deleteRows(
      t.snapshot,
      new Map([
        [eu.path, [2, 3]],
        [us.path, runs],
        [fresh.path, [0, 9]],
      ]),
      { pendingAdds: [fresh], runs: true, inlineMaxBytes: 60 },
    );
    expect(v3.actions.flatMap((a) => ('add' in a ? [a.add.deletionVector?.storageType] : []))).toContain('i');
    await t.commit({ actions: v3.actions, operation: 'MERGE', readWholeTable: true });
    for (const r of [2, 3]) alive.delete(r);
    for (const r of runs) alive.delete(100 + r);
    alive = new Set([...alive, ...range(80_001, 80_009)]);
    await expectAllEnginesAgree(
      dir,
      3,
      [...alive].sort((a, b) => a - b),
    );

    // v4: after a checkpoint (vectors carried in Parquet), another delete; then Spark deletes on top (v5)
    await t.checkpoint();
    const v4 = await deleteRows(t.snapshot, new Map([[eu.path, [4]]]));
    await t.commit({ actions: v4.actions, operation: 'DELETE', readWholeTable: true });
    alive.delete(4);
    await expectAllEnginesAgree(
      dir,
      4,
      [...alive].sort((a, b) => a - b),
    );
    await spark.write(dir, { steps: [{ op: 'delete', predicate: 'id IN (5, 80005, 100)' }] });
    for (const r of [5, 80_005]) alive.delete(r);
    await expectAllEnginesAgree(
      dir,
      5,
      [...alive].sort((a, b) => a - b),
    );
    expect(readdirSync(dir).filter((f) => f.startsWith('deletion_vector_')).length).toBeGreaterThanOrEqual(3);
    expect(readdirSync(join(dir, '_delta_log')).some((f) => f.endsWith('.checkpoint.parquet'))).toBe(true);
  }, 600_000);
});
