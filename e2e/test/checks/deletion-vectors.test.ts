/**
 * The log check's own reading of deletion vectors (src/checks/deletion-vectors.ts) against delta-log's writer: every
 * vector the writer makes — array, bitmap and run containers, buckets above 2^32 rows, inline or in a file — is
 * sound with its true cardinality, and each kind of damage is named. Without this, a check that never fires would
 * look the same as a table that is right.
 */
import {
  deletionVectorFileName,
  encodeBitmap,
  encodeDeletionVectorFile,
  encodeUuidPath,
  inlineDeletionVector,
} from '@delta-writer/delta-log';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type DeletionVector, vectorFile, vectorProblem } from '../../src/checks/deletion-vectors.js';

const rowSets = fc.oneof(
  fc.uniqueArray(fc.nat(200_000), { minLength: 1, maxLength: 300 }),
  // a dense range: a bitmap container, or one run
  fc
    .tuple(fc.nat(100_000), fc.integer({ min: 4097, max: 9000 }))
    .map(([s, n]) => Array.from({ length: n }, (_, i) => s + i)),
  // rows past 2^32: a second bucket
  fc.uniqueArray(
    fc.oneof(
      fc.nat(1000),
      fc.nat(1000).map((n) => 2 ** 32 + n),
    ),
    { minLength: 1, maxLength: 50 },
  ),
);

function inFile(rows: number[], runs: boolean): { dv: DeletionVector; file: Uint8Array } {
  const bitmap = encodeBitmap(rows, { runs });
  const { bytes, offsets } = encodeDeletionVectorFile([new Uint8Array([1, 2, 3]), bitmap]);
  const dv = {
    storageType: 'u',
    pathOrInlineDv: encodeUuidPath('0f8fad5b-d9cb-469f-a165-70867728950e', 'ab'),
    offset: offsets[1] as number,
    sizeInBytes: bitmap.length,
    cardinality: new Set(rows).size,
  };
  return { dv, file: bytes };
}

describe('deletion vectors as the log check reads them', () => {
  it('finds every vector delta-log writes sound, inline or in a file', () => {
    fc.assert(
      fc.property(rowSets, fc.boolean(), (rows, runs) => {
        const { dv, file } = inFile(rows, runs);
        expect(vectorProblem(dv, file, 2 ** 40)).toBeUndefined();
        expect(vectorProblem(inlineDeletionVector(rows, { runs }), undefined, 2 ** 40)).toBeUndefined();
      }),
    );
  });

  it('names a wrong cardinality, a damaged bitmap, a missing file and more rows than the file has', () => {
    fc.assert(
      fc.property(rowSets, fc.boolean(), (rows, runs) => {
        const { dv, file } = inFile(rows, runs);
        expect(vectorProblem({ ...dv, cardinality: dv.cardinality + 1 }, file, 2 ** 40)).toMatch(/holds/);
        const damaged = file.slice();
        const at = (dv.offset as number) + 4 + 13; // inside the bitmap
        damaged[at] = (damaged[at] as number) ^ 0x10;
        expect(vectorProblem(dv, damaged, 2 ** 40)).toMatch(/CRC/);
        expect(vectorProblem(dv, undefined, 2 ** 40)).toMatch(/not in the bucket/);
        expect(vectorProblem(dv, file, dv.cardinality - 1)).toMatch(/deletes/);
      }),
    );
  });

  it('finds the file of a UUID-named vector where the writer puts it', () => {
    const uuid = '0f8fad5b-d9cb-469f-a165-70867728950e';
    for (const prefix of ['', 'ab']) {
      const dv = {
        storageType: 'u',
        pathOrInlineDv: encodeUuidPath(uuid, prefix),
        sizeInBytes: 0,
        cardinality: 0,
      };
      expect(vectorFile(dv)).toBe(deletionVectorFileName(uuid, prefix));
    }
  });
});
