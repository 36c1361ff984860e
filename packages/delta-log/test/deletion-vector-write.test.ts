import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as A from 'apache-arrow';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AddFile } from '../src/actions.js';
import { parseActions } from '../src/actions.js';
import { InvalidCommitError } from '../src/errors.js';
import {
  decodeBitmap,
  decodeFileRegion,
  decodeInline,
  deletionVectorPath,
  z85Decode,
} from '../src/scan/deletion-vector.js';
import { field, struct } from '../src/schema/types.js';
import { Snapshot } from '../src/snapshot.js';
import { FsStorage } from '../src/storage/fs.js';
import { DeltaTable } from '../src/table.js';
import { writeDataFile } from '../src/write/data-file.js';
import {
  deleteRows,
  enableDeletionVectors,
  encodeBitmap,
  encodeDeletionVectorFile,
  encodeUuidPath,
  inlineDeletionVector,
  normalizeRows,
  replaceDeletionVector,
  writeDeletionVectors,
  z85Encode,
} from '../src/write/deletion-vector.js';
import { goldenDir } from './helpers/golden.js';
import { useTempStorage } from './helpers/tmp.js';

const temp = useTempStorage();

/** Row sets that exercise every container kind: sparse, dense (bitmap), runs, several 2^16 and 2^32 buckets. */
const rowSets = fc.oneof(
  fc.array(fc.nat({ max: 200_000 }), { maxLength: 300 }),
  fc
    .tuple(fc.nat({ max: 3 * 65536 }), fc.integer({ min: 1, max: 20_000 }), fc.integer({ min: 1, max: 4 }))
    .map(([start, n, step]) => Array.from({ length: n }, (_, i) => start + i * step)),
  fc.array(
    fc.tuple(fc.nat({ max: 3 }), fc.nat({ max: 2 ** 32 - 1 })).map(([hi, lo]) => hi * 2 ** 32 + lo),
    { maxLength: 50 },
  ),
  fc
    .array(fc.tuple(fc.nat({ max: 1_000_000 }), fc.integer({ min: 1, max: 3000 })), { maxLength: 8 })
    .map((runs) => runs.flatMap(([s, n]) => Array.from({ length: n }, (_, i) => s + i))),
);

describe('RoaringBitmapArray encoding', () => {
  it('round-trips through our own decoder, with and without run containers', () => {
    fc.assert(
      fc.property(rowSets, fc.boolean(), (rows, runs) => {
        expect(decodeBitmap(encodeBitmap(rows, { runs }))).toEqual(normalizeRows(rows));
      }),
      { numRuns: 120 },
    );
  });

  it('picks run containers only when they are smaller', () => {
    const dense = Array.from({ length: 50_000 }, (_, i) => i);
    expect(encodeBitmap(dense, { runs: true }).length).toBeLessThan(40);
    expect(encodeBitmap(dense).length).toBeGreaterThan(8192);
    const sparse = [1, 5, 9];
    expect(encodeBitmap(sparse, { runs: true })).toEqual(encodeBitmap(sparse));
  });

  it('rejects row indexes that are not non-negative safe integers', () => {
    for (const bad of [-1, 1.5, Number.NaN, 2 ** 53]) {
      expect(() => encodeBitmap([bad])).toThrow(InvalidCommitError);
    }
  });

  it('encodes the inline example vector of delta-kernel-rs byte for byte', () => {
    const dv = inlineDeletionVector([29, 3, 4, 7, 11, 18, 3]);
    expect(dv).toEqual({
      storageType: 'i',
      pathOrInlineDv: '^Bg9^0rr910000000000iXQKl0rr91000f55c8Xg0@@D72lkbi5=-{L',
      sizeInBytes: 44,
      cardinality: 6,
      maxRowIndex: 29,
    });
    expect(decodeInline(dv)).toEqual([3, 4, 7, 11, 18, 29]);
  });
});

describe('Z85 and DV file names', () => {
  it('encodes the ZeroMQ test vector and round-trips any bytes', () => {
    expect(z85Encode(Uint8Array.from([0x86, 0x4f, 0xd2, 0x6f, 0xb5, 0x59, 0xf7, 0x5b]))).toBe('HelloWorld');
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const decoded = z85Decode(z85Encode(bytes));
        expect(decoded.subarray(0, bytes.length)).toEqual(bytes);
        expect(decoded.subarray(bytes.length).every((b) => b === 0)).toBe(true);
      }),
    );
  });

  it('encodes protocol example 1 (prefix ab) and round-trips any UUID', () => {
    const uuid = 'd2c639aa-8816-431a-aaf6-d3fe2512ff61';
    expect(encodeUuidPath(uuid, 'ab')).toBe('ab^-aqEH.-t@S}K{vb[*k^');
    fc.assert(
      fc.property(fc.uuid(), fc.stringMatching(/^[a-z0-9]{0,3}$/), (u, prefix) => {
        const dv = {
          storageType: 'u' as const,
          pathOrInlineDv: encodeUuidPath(u, prefix),
          sizeInBytes: 1,
          cardinality: 1,
        };
        expect(deletionVectorPath(dv)).toBe(`${prefix ? `${prefix}/` : ''}deletion_vector_${u}.bin`);
      }),
    );
  });
});

describe('golden: Spark-written deletion vectors', () => {
  it.each(['dv-with-columnmapping', 'log-replay-dv-key-cases'])(
    'our encoding of the rows of every DV in %s equals the bytes Spark wrote',
    (name) => {
      const root = join(goldenDir(name), 'delta');
      const log = join(root, '_delta_log');
      const adds = readdirSync(log)
        .filter((f) => f.endsWith('.json'))
        .flatMap((f) => parseActions(readFileSync(join(log, f), 'utf8'), f))
        .flatMap((a) => ('add' in a && a.add.deletionVector?.storageType === 'u' ? [a.add] : []));
      expect(adds.length).toBeGreaterThan(0);
      for (const add of adds) {
        const dv = add.deletionVector as NonNullable<AddFile['deletionVector']>;
        const file = new Uint8Array(readFileSync(join(root, deletionVectorPath(dv))));
        const region = file.subarray(dv.offset ?? 1);
        const rows = decodeFileRegion(region, dv);
        expect(rows).toHaveLength(dv.cardinality);
        const bitmap = encodeBitmap(rows);
        expect(bitmap).toEqual(region.subarray(4, 4 + dv.sizeInBytes));
        if (dv.offset === 1 && file.length === dv.sizeInBytes + 9) {
          expect(encodeDeletionVectorFile([bitmap]).bytes).toEqual(file);
        }
      }
    },
  );
});

const schema = struct(field('id', 'long', false), field('name', 'string'));
const ids = (from: number, n: number) =>
  new A.Table({
    id: A.vectorFromArray(
      Array.from({ length: n }, (_, i) => BigInt(from + i)),
      new A.Int64(),
    ),
    name: A.vectorFromArray(
      Array.from({ length: n }, (_, i) => `n${from + i}`),
      new A.Utf8(),
    ),
  });

async function liveIds(storage: DeltaTable['storage']): Promise<number[]> {
  const table = await (await Snapshot.load(storage)).scan().toTable();
  return table
    .toArray()
    .map((r) => Number(r.id))
    .sort((a, b) => a - b);
}

describe('writing deletion vectors into a table', () => {
  it('writes one DV file for many vectors, with offsets our reader follows', async () => {
    const { storage } = temp();
    const sets = [[0, 5, 9], Array.from({ length: 5000 }, (_, i) => 2 * i), [70_000]];
    const dvs = await writeDeletionVectors(storage, 't', sets, {
      prefix: 'dv',
      uuid: '00000000-0000-4000-8000-000000000001',
    });
    expect(new Set(dvs.map((d) => d.pathOrInlineDv)).size).toBe(1);
    expect(dvs.map((d) => d.cardinality)).toEqual([3, 5000, 1]);
    const bytes = await storage.get('t/dv/deletion_vector_00000000-0000-4000-8000-000000000001.bin');
    dvs.forEach((dv, i) => {
      expect(decodeFileRegion(bytes.subarray(dv.offset as number), dv)).toEqual(sets[i]);
    });
  });

  it('inlines small vectors and writes no file when all are inline', async () => {
    const { dir, storage } = temp();
    const dvs = await writeDeletionVectors(storage, '', [[1, 2], [3]], { inlineMaxBytes: 64 });
    expect(dvs.map((d) => d.storageType)).toEqual(['i', 'i']);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('deletes rows in live and pending files, unions with existing vectors, and reads back', async () => {
    const { storage } = temp();
    const t = await DeltaTable.create(storage, '', {
      schema,
      configuration: { 'delta.enableDeletionVectors': 'true' },
    });
    expect(t.snapshot.protocol).toEqual({
      minReaderVersion: 3,
      minWriterVersion: 7,
      readerFeatures: ['deletionVectors'],
      writerFeatures: ['deletionVectors', 'invariants'],
    });
    const a = await writeDataFile(t.snapshot, ids(0, 10));
    const b = await writeDataFile(t.snapshot, ids(10, 10));
    await t.commit({ actions: [{ add: a }, { add: b }], operation: 'WRITE' });

    const first = await deleteRows(t.snapshot, new Map([[a.path, [1, 3]]]));
    expect(first.deleted).toEqual(new Map([[a.path, 2]]));
    await t.commit({ actions: first.actions, operation: 'DELETE', readWholeTable: true });
    expect(await liveIds(storage)).toEqual([
      0,
      2,
      4,
      5,
      6,
      7,
      8,
      9,
      ...Array.from({ length: 10 }, (_, i) => 10 + i),
    ]);

    // a second delete on the same file replaces its vector with the union; a new file arrives with one
    const c = await writeDataFile(t.snapshot, ids(20, 5));
    const second = await deleteRows(
      t.snapshot,
      new Map([
        [a.path, [3, 4]],
        [b.path, [0]],
        [c.path, [4]],
      ]),
      { pendingAdds: [c], inlineMaxBytes: 40 },
    );
    expect(second.deleted).toEqual(
      new Map([
        [a.path, 1],
        [b.path, 1],
        [c.path, 1],
      ]),
    );
    const res = await t.commit({ actions: second.actions, operation: 'MERGE', readWholeTable: true });
    const live = (await Snapshot.load(storage)).files();
    expect(live).toHaveLength(3);
    expect(live.find((f) => f.path === a.path)?.deletionVector?.cardinality).toBe(3);
    expect(JSON.parse(live.find((f) => f.path === a.path)?.stats as string).tightBounds).toBe(false);
    expect(res.actions.filter((x) => 'remove' in x)).toHaveLength(2);
    expect(await liveIds(storage)).toEqual([
      0,
      2,
      5,
      6,
      7,
      8,
      9,
      ...Array.from({ length: 9 }, (_, i) => 11 + i),
      20,
      21,
      22,
      23,
    ]);

    // deleting rows that are already gone changes nothing
    const again = await deleteRows(t.snapshot, new Map([[a.path, [1, 3]]]));
    expect(again.actions).toEqual([]);
  });

  it('takes a vector the caller knows instead of reading it, and hands every new vector back', async () => {
    const { dir } = temp();
    const reads: string[] = [];
    const storage = new (class extends FsStorage {
      override get(path: string, range?: { offset: number; length: number }) {
        reads.push(path);
        return super.get(path, range);
      }
    })(dir);
    const t = await DeltaTable.create(storage, '', {
      schema,
      configuration: { 'delta.enableDeletionVectors': 'true' },
    });
    const a = await writeDataFile(t.snapshot, ids(0, 10));
    await t.commit({ actions: [{ add: a }], operation: 'WRITE' });
    const first = await deleteRows(t.snapshot, new Map([[a.path, [7, 2]]]));
    expect(first.vectors.map((v) => [v.add.path, v.rows])).toEqual([[a.path, [2, 7]]]);
    await t.commit({ actions: first.actions, operation: 'DELETE', readWholeTable: true });
    const dvReads = () => reads.filter((r) => r.includes('deletion_vector_')).length;

    // Unknown: the vector is read back (one ranged GET of the DV file).
    const c = await writeDataFile(t.snapshot, ids(20, 5));
    await deleteRows(t.snapshot, new Map([[a.path, [9]]]));
    expect(dvReads()).toBe(1);
    // Known: nothing is read, and the result is the union; the pending file (no vector) needs neither.
    const known = new Map(first.vectors.map((v) => [v.add.path, v.rows]));
    const asked: string[] = [];
    const second = await deleteRows(
      t.snapshot,
      new Map([
        [a.path, [9, 2]],
        [c.path, [0]],
      ]),
      {
        pendingAdds: [c],
        knownRows: (add) => {
          asked.push(add.path);
          return known.get(add.path);
        },
      },
    );
    expect(dvReads()).toBe(1);
    expect(asked).toEqual([a.path]);
    expect(second.vectors.map((v) => [v.add.path, v.rows])).toEqual([
      [a.path, [2, 7, 9]],
      [c.path, [0]],
    ]);
    expect(second.deleted).toEqual(
      new Map([
        [a.path, 1],
        [c.path, 1],
      ]),
    );
    await t.commit({ actions: second.actions, operation: 'MERGE', readWholeTable: true });
    expect(await liveIds(storage)).toEqual([0, 1, 3, 4, 5, 6, 8, 21, 22, 23, 24]);
    // Known rows out of order are put in order, not trusted.
    const unordered = await deleteRows(t.snapshot, new Map([[a.path, [5]]]), {
      knownRows: () => [9, 2, 7],
    });
    expect(unordered.vectors[0]?.rows).toEqual([2, 5, 7, 9]);
  });

  it('refuses unknown files, rows past the end, and shrinking vectors', async () => {
    const { storage } = temp();
    const t = await DeltaTable.create(storage, '', {
      schema,
      configuration: { 'delta.enableDeletionVectors': 'true' },
    });
    const a = await writeDataFile(t.snapshot, ids(0, 3));
    await t.commit({ actions: [{ add: a }], operation: 'WRITE' });
    await expect(deleteRows(t.snapshot, new Map([['nope.parquet', [0]]]))).rejects.toThrow(/not a live file/);
    await expect(deleteRows(t.snapshot, new Map([[a.path, [3]]]))).rejects.toThrow(/deletes row 3 of 3/);
    const withTwo = replaceDeletionVector(a, inlineDeletionVector([0, 1]), 1)[1] as { add: AddFile };
    expect(() => replaceDeletionVector(withTwo.add, inlineDeletionVector([2]), 2)).toThrow(/drops rows/);
  });

  it('turns the feature on for an existing (1,2) table, keeping the features its protocol implied', async () => {
    const { storage } = temp();
    const t = await DeltaTable.create(storage, '', { schema });
    const a = await writeDataFile(t.snapshot, ids(0, 4));
    await t.commit({ actions: [{ add: a }], operation: 'WRITE' });
    const noFeature = await deleteRows(t.snapshot, new Map([[a.path, [0]]]));
    await expect(t.commit({ actions: noFeature.actions, operation: 'DELETE' })).rejects.toThrow(
      /deletionVectors feature/,
    );
    await t.commit({ actions: enableDeletionVectors(t.snapshot), operation: 'SET TBLPROPERTIES' });
    expect(t.snapshot.protocol).toEqual({
      minReaderVersion: 3,
      minWriterVersion: 7,
      readerFeatures: ['deletionVectors'],
      writerFeatures: ['appendOnly', 'deletionVectors', 'invariants'],
    });
    expect(enableDeletionVectors(t.snapshot)).toEqual([]);
    const ok = await deleteRows(t.snapshot, new Map([[a.path, [0]]]));
    await t.commit({ actions: ok.actions, operation: 'DELETE' });
    expect(await liveIds(storage)).toEqual([1, 2, 3]);
  });
});
