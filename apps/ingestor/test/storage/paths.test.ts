import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  dataFileLocation,
  dataFileName,
  HIVE_NULL,
  hiveEscape,
  partitionDirectory,
} from '../../src/storage/paths.js';

describe('data file names', () => {
  it('follows the Spark pattern with the codec', () => {
    expect(dataFileName(3, 'zstd', '0f8fad5b-d9cb-469f-a165-70867728950e')).toBe(
      'part-00003-0f8fad5b-d9cb-469f-a165-70867728950e-c000.zstd.parquet',
    );
    expect(dataFileName(12, 'uncompressed', 'u-u-u-u-u')).toBe('part-00012-u-u-u-u-u-c000.parquet');
  });

  it('is unique per call', () => {
    const names = new Set(Array.from({ length: 1000 }, () => dataFileName(0, 'snappy')));
    expect(names.size).toBe(1000);
  });
});

describe('partition paths', () => {
  it('escapes like Spark (golden: data-reader-partition-values)', () => {
    const dir = partitionDirectory(['as_timestamp'], { as_timestamp: '2021-09-08 11:11:11' });
    expect(dir).toBe('as_timestamp=2021-09-08 11%3A11%3A11');
    expect(dataFileLocation(dir, 'f.parquet').deltaPath).toBe(
      'as_timestamp=2021-09-08%2011%253A11%253A11/f.parquet',
    );
  });

  it('writes nulls and empty strings as the Hive default partition', () => {
    expect(partitionDirectory(['a', 'b'], { a: null, b: '' })).toBe(`a=${HIVE_NULL}/b=${HIVE_NULL}`);
  });

  it('is unpartitioned without columns', () => {
    expect(partitionDirectory([], {})).toBe('');
    expect(dataFileLocation('', 'part-1.parquet')).toEqual({
      relativeKey: 'part-1.parquet',
      deltaPath: 'part-1.parquet',
    });
  });

  it('never lets a value add a path segment, and decodes back to the value (property)', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 30 }).filter((s) => !/\p{Cs}/u.test(s)),
        (v) => {
          const escaped = hiveEscape(v);
          expect(escaped).not.toContain('/');
          expect(escaped.split('=')).toHaveLength(1);
          expect(decodeURIComponent(escaped)).toBe(v);
          const { relativeKey, deltaPath } = dataFileLocation(`p=${escaped}`, 'f.parquet');
          expect(decodeURI(deltaPath)).toBe(relativeKey);
        },
      ),
    );
  });
});
