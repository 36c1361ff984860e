/**
 * Hostile or broken table files: an unreadable checkpoint named by `_last_checkpoint` is replaced by an older
 * checkpoint or the commits (with a warning), never reported as "older commits were cleaned up"; impossible action
 * fields are refused with DELTA_INVALID_TABLE, in JSON commits and in Parquet checkpoints.
 */
import * as A from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import type { AddFile } from '../src/actions.js';
import { parseActions } from '../src/actions.js';
import { main } from '../src/cli.js';
import { InvalidTableError } from '../src/errors.js';
import { field, struct } from '../src/schema/types.js';
import { type LoadWarning, Snapshot } from '../src/snapshot.js';
import { DeltaTable } from '../src/table.js';
import { useTempStorage } from './helpers/tmp.js';

const temp = useTempStorage();
const schema = struct(field('id', 'long'));
const add = (path: string, size = 10): AddFile => ({
  path,
  partitionValues: {},
  size,
  modificationTime: 1,
  dataChange: true,
});

/** A table with commits 0..12 and checkpoints at 5 and 10 (the latter named by `_last_checkpoint`). */
async function tableWithCheckpoints() {
  const { storage, dir } = temp();
  const t = await DeltaTable.create(storage, '', { schema });
  for (let i = 1; i <= 12; i++) {
    await t.commit({
      actions: [{ add: add(`f${i}.parquet`) }],
      txns: [{ appId: 'app', version: i }],
      operation: 'WRITE',
    });
    if (i === 5 || i === 10) await t.checkpoint();
  }
  return { storage, dir };
}
const checkpointName = (v: number) => `_delta_log/${String(v).padStart(20, '0')}.checkpoint.parquet`;
const garbage = new TextEncoder().encode('this is not parquet at all');

describe('an unreadable checkpoint', () => {
  it('falls back to the older checkpoint, with a warning naming both', async () => {
    const { storage } = await tableWithCheckpoints();
    await storage.put(checkpointName(10), garbage);
    const warnings: LoadWarning[] = [];
    const s = await Snapshot.load(storage, '', { onWarning: (w) => warnings.push(w) });
    expect(s.version).toBe(12);
    expect(s.numFiles).toBe(12);
    expect(s.txnVersion('app')).toBe(12);
    expect(s.segment.checkpoint?.version).toBe(5);
    expect(warnings).toEqual([
      expect.objectContaining({
        code: 'DELTA_CHECKPOINT_UNREADABLE',
        message: expect.stringMatching(
          /checkpoint 10 of .* is unreadable .*; read from checkpoint 5 instead/,
        ),
      }),
    ]);
  });

  it('falls back to the commits when every checkpoint is unreadable', async () => {
    const { storage } = await tableWithCheckpoints();
    await storage.put(checkpointName(10), garbage);
    await storage.put(checkpointName(5), garbage);
    const warnings: LoadWarning[] = [];
    const s = await Snapshot.load(storage, '', { onWarning: (w) => warnings.push(w) });
    expect([s.version, s.numFiles, s.segment.checkpoint]).toEqual([12, 12, undefined]);
    expect(warnings.map((w) => w.message)).toEqual([
      expect.stringMatching(/checkpoint 10 .* read from checkpoint 5 instead/),
      expect.stringMatching(/checkpoint 5 .* read from the commits instead/),
    ]);
  });

  it('names the unreadable checkpoint when nothing can replace it (the commits before it are gone)', async () => {
    const { storage } = await tableWithCheckpoints();
    await storage.put(checkpointName(10), garbage);
    await storage.delete(checkpointName(5));
    for (let v = 0; v < 10; v++) await storage.delete(`_delta_log/${String(v).padStart(20, '0')}.json`);
    const error = await Snapshot.load(storage, '', { onWarning: () => {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidTableError);
    expect((error as InvalidTableError).code).toBe('DELTA_INVALID_TABLE');
    expect((error as Error).message).toMatch(
      /checkpoint 10 of .* is unreadable .* cannot be read without it/,
    );
  });

  it('the CLI reads the table and prints the warning on stderr (process warning)', async () => {
    const { storage, dir } = await tableWithCheckpoints();
    await storage.put(checkpointName(10), garbage);
    const warned: string[] = [];
    const listener = (w: Error) => warned.push(w.message);
    process.on('warning', listener);
    let out = '';
    const write = process.stdout.write;
    process.stdout.write = ((chunk: string) => {
      out += chunk;
      return true;
    }) as typeof process.stdout.write;
    try {
      expect(await main(['node', 'delta-log', 'snapshot', dir])).toBe(0);
    } finally {
      process.stdout.write = write;
    }
    await new Promise((r) => setImmediate(r));
    process.off('warning', listener);
    expect(JSON.parse(out)).toMatchObject({ version: 12, numFiles: 12, checkpoint: { version: 5 } });
    expect(warned).toEqual([expect.stringMatching(/checkpoint 10 .* is unreadable/)]);
  });
});

describe('impossible action fields', () => {
  it.each([
    [
      '{"add":{"path":"a","size":-5,"modificationTime":1,"dataChange":true}}',
      /add\.size must be a whole number ≥ 0, got -5/,
    ],
    [
      '{"add":{"path":"a","size":1.5,"modificationTime":1,"dataChange":true}}',
      /add\.size must be a whole number/,
    ],
    ['{"add":{"path":"","size":1,"modificationTime":1,"dataChange":true}}', /add\.path is empty/],
    ['{"add":{"path":"a","size":1,"modificationTime":-1,"dataChange":true}}', /add\.modificationTime/],
    [
      '{"add":{"path":"a","size":1,"modificationTime":1,"dataChange":true,"partitionValues":{"p":5}}}',
      /partitionValues\.p must be a string or null/,
    ],
    [
      '{"add":{"path":"a","size":1,"modificationTime":1,"dataChange":true,"deletionVector":{"storageType":"x","pathOrInlineDv":"","sizeInBytes":1,"cardinality":1}}}',
      /deletionVector\.storageType/,
    ],
    [
      '{"add":{"path":"a","size":1,"modificationTime":1,"dataChange":true,"deletionVector":{"storageType":"u","pathOrInlineDv":"x","sizeInBytes":1,"cardinality":-3}}}',
      /deletionVector\.cardinality must be a whole number ≥ 0/,
    ],
    ['{"remove":{"path":"a","size":-1}}', /remove\.size/],
    [
      '{"protocol":{"minReaderVersion":0,"minWriterVersion":2}}',
      /protocol\.minReaderVersion must be a whole number ≥ 1/,
    ],
    ['{"txn":{"appId":"a","version":1.25}}', /txn\.version must be a whole number/],
    ['{"sidecar":{"path":"s","sizeInBytes":-1}}', /sidecar\.sizeInBytes/],
  ])('%s', (line, message) => {
    expect(() => parseActions(line, '00000000000000000001.json')).toThrow(message);
    try {
      parseActions(line, 'x.json');
    } catch (error) {
      expect((error as InvalidTableError).code).toBe('DELTA_INVALID_TABLE');
    }
  });

  it('a table with add.size = -5 in a commit is refused by the CLI with DELTA_INVALID_TABLE', async () => {
    const { storage, dir } = temp();
    await DeltaTable.create(storage, '', { schema });
    await storage.put(
      '_delta_log/00000000000000000001.json',
      new TextEncoder().encode(
        '{"add":{"path":"x.parquet","partitionValues":{},"size":-5,"modificationTime":1,"dataChange":true}}\n',
      ),
    );
    let err = '';
    const write = process.stderr.write;
    process.stderr.write = ((chunk: string) => {
      err += chunk;
      return true;
    }) as typeof process.stderr.write;
    try {
      expect(await main(['node', 'delta-log', 'snapshot', dir])).toBe(1);
    } finally {
      process.stderr.write = write;
    }
    expect(err).toMatch(
      /^delta-log: DELTA_INVALID_TABLE: .*00000000000000000001\.json:1: add\.size must be a whole number ≥ 0, got -5/,
    );
  });

  it('a checkpoint holding a negative size fails the load of that checkpoint (and the older one is used)', async () => {
    const { storage } = await tableWithCheckpoints();
    // rewrite checkpoint 10 with one add's size negative, through the same Parquet writer delta-log uses
    const { readParquet, writeParquet } = await import('../src/parquet.js');
    const table = readParquet(await storage.get(checkpointName(10)));
    const batch = table.batches[0] as A.RecordBatch;
    const addCol = batch.getChild('add') as A.Vector;
    const sizeIndex = (addCol.type as A.Struct).children.findIndex((f) => f.name === 'size');
    const sizes = addCol.data[0]?.children[sizeIndex]?.values as BigInt64Array;
    const row = [...Array(batch.numRows).keys()].find((i) => addCol.get(i) !== null) as number;
    sizes[row] = -5n;
    await storage.put(checkpointName(10), writeParquet(new A.Table([batch])));
    const warnings: LoadWarning[] = [];
    const s = await Snapshot.load(storage, '', { onWarning: (w) => warnings.push(w) });
    expect(s.segment.checkpoint?.version).toBe(5);
    expect(s.files().every((f) => f.size >= 0)).toBe(true);
    expect(warnings[0]?.message).toMatch(/checkpoint 10 .* add\.size must be a whole number ≥ 0, got -5/);
  });
});
