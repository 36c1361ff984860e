/**
 * The mirror vector cache holds one entry per live data file: a re-vectored file's old vector goes at once (it left
 * its entry behind until the row bound pushed it out — the committer's heap grew with every mirror commit), files
 * compaction removed go at the table's next sweep, and an entry answers only for the vector it was stored with.
 */
import type { AddFile, DeletionVectorDescriptor } from '@delta-writer/delta-log';
import { describe, expect, it } from 'vitest';
import { VectorCache } from '../../src/mirror/vectors.js';

const dv = (inline: string): DeletionVectorDescriptor => ({
  storageType: 'i',
  pathOrInlineDv: inline,
  sizeInBytes: inline.length,
  cardinality: 1,
});
const file = (path: string, vector: string): Pick<AddFile, 'path' | 'deletionVector'> => ({
  path,
  deletionVector: dv(vector),
});
const rows = (...xs: number[]) => Uint32Array.from(xs);
const table = (tablePath: string, live: string[]) => ({
  tablePath,
  liveFile: (path: string) => (live.includes(path) ? ({ path } as AddFile) : undefined),
});

describe('VectorCache', () => {
  it("keeps a file's newest vector only: the old one neither answers nor counts against the bound", () => {
    const cache = new VectorCache(5);
    cache.set('t', file('a.parquet', 'v1'), rows(1, 2, 3));
    cache.set('t', file('a.parquet', 'v2'), rows(1, 2, 3, 4));
    expect(cache.size).toBe(1);
    expect(cache.get('t', file('a.parquet', 'v1'))).toBeUndefined();
    expect([...(cache.get('t', file('a.parquet', 'v2')) ?? [])]).toEqual([1, 2, 3, 4]);
    // 4 + 1 rows fit the bound of 5: nothing is pushed out (the old vector's 3 rows would have)
    cache.set('t', file('b.parquet', 'v1'), rows(7));
    expect(cache.size).toBe(2);
    expect(cache.get('t', file('a.parquet', 'v2'))).toBeDefined();
  });

  it('pushes the least recently used out past the bound', () => {
    const cache = new VectorCache(4);
    cache.set('t', file('a.parquet', 'v'), rows(1, 2));
    cache.set('t', file('b.parquet', 'v'), rows(1, 2));
    cache.get('t', file('a.parquet', 'v'));
    cache.set('t', file('c.parquet', 'v'), rows(1));
    expect(cache.get('t', file('b.parquet', 'v'))).toBeUndefined();
    expect(cache.get('t', file('a.parquet', 'v'))).toBeDefined();
  });

  it('keeps tables apart: the same path in two tables is two files', () => {
    const cache = new VectorCache();
    cache.set('t1', file('a.parquet', 'v'), rows(1));
    cache.set('t2', file('a.parquet', 'v'), rows(2));
    expect([...(cache.get('t1', file('a.parquet', 'v')) ?? [])]).toEqual([1]);
    expect([...(cache.get('t2', file('a.parquet', 'v')) ?? [])]).toEqual([2]);
  });

  it("sweeps a table's files that are no longer live once it learned 256 vectors, and leaves other tables alone", () => {
    const cache = new VectorCache();
    cache.set('other', file('gone.parquet', 'v'), rows(1));
    for (let i = 0; i < 255; i++) cache.set('t', file(`f${i}.parquet`, 'v'), rows(i));
    const live = Array.from({ length: 10 }, (_, i) => `f${i}.parquet`);
    cache.sweep(table('t', live));
    expect(cache.size).toBe(256); // not yet due
    cache.set('t', file('f255.parquet', 'v'), rows(255));
    cache.sweep(table('t', live));
    expect(cache.size).toBe(11);
    expect(cache.get('t', file('f3.parquet', 'v'))).toBeDefined();
    expect(cache.get('t', file('f200.parquet', 'v'))).toBeUndefined();
    expect(cache.get('other', file('gone.parquet', 'v'))).toBeDefined();
  });
});
