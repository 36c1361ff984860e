/**
 * `carriedDeletes`: rows deleted from a compaction bin's files after the rewrite read them, as positions in the
 * rewritten file — checked against a rewrite simulated row by row.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CarryError, carriedDeletes } from '../../src/maintenance/mirror-bin-commit.js';

/** A bin file: its physical rows, those deleted when the rewrite read it, and those deleted at commit time. */
const binFile = fc
  .integer({ min: 0, max: 60 })
  .chain((rows) =>
    fc.tuple(
      fc.constant(rows),
      fc.array(fc.boolean(), { minLength: rows, maxLength: rows }),
      fc.array(fc.boolean(), { minLength: rows, maxLength: rows }),
    ),
  )
  .map(([rows, deadThen, diesMeanwhile]) => {
    const all = Array.from({ length: rows }, (_, r) => r);
    const read = all.filter((r) => deadThen[r]);
    const now = all.filter((r) => deadThen[r] || diesMeanwhile[r]);
    return { rows, read, now };
  });

describe('carriedDeletes', () => {
  it('finds every row deleted since the read at its place in the rewritten file (property)', () => {
    fc.assert(
      fc.property(fc.array(binFile, { maxLength: 6 }), (files) => {
        // The rewrite: each file's rows live at read time, file after file, in row order.
        const rewritten: string[] = [];
        for (const [i, f] of files.entries()) {
          for (let r = 0; r < f.rows; r++) if (!f.read.includes(r)) rewritten.push(`${i}:${r}`);
        }
        const expected = rewritten
          .map((id, position) => ({ id, position }))
          .filter(({ id }) => {
            const [i, r] = id.split(':').map(Number) as [number, number];
            return files[i]?.now.includes(r);
          })
          .map(({ position }) => position);
        const liveRows = files.map((f) => f.rows - f.read.length);
        expect(carriedDeletes(files.map((f, i) => ({ ...f, liveRows: liveRows[i] as number })))).toEqual(
          expected,
        );
      }),
    );
  });

  it('nothing changed: nothing to carry', () => {
    expect(
      carriedDeletes([
        { liveRows: 3, read: [1, 4], now: [4, 1] },
        { liveRows: 2, read: [], now: [] },
      ]),
    ).toEqual([]);
  });

  it('refuses a vector that lost rows, or a deleted row the rewrite did not copy', () => {
    expect(() => carriedDeletes([{ liveRows: 3, read: [0, 2], now: [2] }])).toThrow(CarryError);
    // 4 rows were live at read time, but only 3 were copied: the rewrite and the vectors disagree
    expect(() => carriedDeletes([{ liveRows: 3, read: [0], now: [0, 4] }])).toThrow(CarryError);
  });
});
