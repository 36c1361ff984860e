import type { AddFile } from '@delta-writer/delta-log';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type CompactionLimits, partitionKey, planCompaction } from '../src/maintenance/compaction-plan.js';

const file = (path: string, size: number, day: string | null = 'd1', time = 0): AddFile => ({
  path,
  size,
  partitionValues: { day },
  modificationTime: time,
  dataChange: true,
});

const limits: CompactionLimits = {
  targetFileBytes: 100,
  smallFileBytes: 50,
  minFiles: 3,
  maxBytesPerRun: 1_000,
};

describe('planCompaction', () => {
  it('packs small files of one partition, in write order, into bins of at most the target size', () => {
    const files = [10, 40, 30, 45, 20, 5].map((size, i) => file(`f${i}`, size, 'd1', i));
    const bins = planCompaction(files, limits);
    expect(bins.map((b) => b.files.map((f) => f.path))).toEqual([
      ['f0', 'f1', 'f2'],
      ['f3', 'f4', 'f5'],
    ]);
    expect(bins.map((b) => b.bytes)).toEqual([80, 70]);
  });

  it('leaves large files, partitions with too few small files, and single-file bins alone', () => {
    const files = [
      file('big', 60, 'd1'),
      file('a', 10, 'd1'),
      file('b', 10, 'd1'),
      file('c', 10, 'd2'),
      file('d', 10, 'd2'),
      file('e', 10, 'd2'),
    ];
    const bins = planCompaction(files, limits);
    expect(bins.map((b) => [b.partitionValues.day, b.files.length])).toEqual([['d2', 3]]);
  });

  it('stops at the per-run byte budget, oldest files first', () => {
    const files = [
      ...[1, 2, 3].map((i) => file(`new${i}`, 40, 'd2', 100 + i)),
      ...[1, 2, 3].map((i) => file(`old${i}`, 40, 'd1', i)),
    ];
    const bins = planCompaction(files, { ...limits, maxBytesPerRun: 100 });
    expect(bins.map((b) => b.files.map((f) => f.path))).toEqual([['old1', 'old2']]);
  });
});

const fileArb = fc.record({
  path: fc.uuid(),
  size: fc.integer({ min: 1, max: 200 }),
  partitionValues: fc.record({ day: fc.constantFrom('d1', 'd2', null) }),
  modificationTime: fc.integer({ min: 0, max: 1_000 }),
  dataChange: fc.constant(true),
});
const limitsArb = fc
  .record({
    targetFileBytes: fc.integer({ min: 10, max: 400 }),
    small: fc.integer({ min: 1, max: 400 }),
    minFiles: fc.integer({ min: 2, max: 6 }),
    maxBytesPerRun: fc.integer({ min: 1, max: 2_000 }),
  })
  .map(({ small, ...l }) => ({ ...l, smallFileBytes: Math.min(small, l.targetFileBytes) }));

describe('planCompaction properties', () => {
  it('bins hold ≥ 2 small files of one partition, within the target; no file twice; the budget holds', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fileArb, { selector: (x) => x.path, maxLength: 60 }),
        limitsArb,
        (files, l) => {
          const bins = planCompaction(files, l);
          const seen = new Set<string>();
          for (const bin of bins) {
            expect(bin.files.length).toBeGreaterThanOrEqual(2);
            expect(bin.bytes).toBe(bin.files.reduce((n, x) => n + x.size, 0));
            expect(bin.bytes).toBeLessThanOrEqual(l.targetFileBytes);
            for (const x of bin.files) {
              expect(x.size).toBeLessThan(l.smallFileBytes);
              expect(partitionKey(x.partitionValues)).toBe(partitionKey(bin.partitionValues));
              expect(seen.has(x.path)).toBe(false);
              seen.add(x.path);
            }
          }
          const total = bins.reduce((n, b) => n + b.bytes, 0);
          if (bins.length > 1) expect(total).toBeLessThanOrEqual(l.maxBytesPerRun);
        },
      ),
    );
  });
});
