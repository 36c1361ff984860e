import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { relativeDataKey, tableUriProblem } from '../src/service/paths.js';
import { validateCommitRequest } from '../src/service/validate.js';
import { manifest } from './memory-table.js';

const root = 's3://lake/delta/';

describe('data file paths, as readers decode them', () => {
  it.each([
    ['part-00000-1b4e.zstd.parquet', 'part-00000-1b4e.zstd.parquet'],
    // what the ingestor writes for a partition value `a:b c` (Hive-escaped, then URI-encoded once more)
    ['p=a%253Ab%20c/part-00000-1b4e.zstd.parquet', 'p=a%3Ab c/part-00000-1b4e.zstd.parquet'],
    [
      'day=2024-01-01/h=__HIVE_DEFAULT_PARTITION__/part-1.parquet',
      'day=2024-01-01/h=__HIVE_DEFAULT_PARTITION__/part-1.parquet',
    ],
    ['x/_delta_logs/part-1.parquet', 'x/_delta_logs/part-1.parquet'],
    ['%E2%82%AC/part-1.parquet', '€/part-1.parquet'],
  ])('accepts %s as the object key %s', (path, key) => {
    expect(relativeDataKey(path)).toEqual({ key });
  });

  it.each([
    ['', /is empty/],
    ['../other/part-1.parquet', /'\.\.' segment/],
    ['%2E%2E/other-table/part-1.parquet', /decoded path has an empty, '\.' or '\.\.' segment/],
    ['%2e%2e/other-table/part-1.parquet', /decoded path has an empty/],
    ['a/%2E/part-1.parquet', /decoded path has an empty/],
    ['..%2Fother%2Fpart-1.parquet', /decoded path has an empty/],
    ['%2Fabs/part-1.parquet', /decoded path is absolute/],
    ['%5Fdelta_log/00000000000000000009.json', /points into _delta_log/],
    ['_DELTA_LOG/00000000000000000009.json', /points into _delta_log/],
    ['p=1/_Delta_Log/x.json', /points into _delta_log/],
    ['p=1/%5FDELTA%5FLOG/x.json', /points into _delta_log/],
    ['..%5Cother%5Cpart-1.parquet', /'\\'/],
    ['a\\b.parquet', /'\\'/],
    ['a//b.parquet', /empty/],
    ['/abs.parquet', /absolute/],
    ['s3://other/x.parquet', /URI scheme/],
    ['s3%3A%2F%2Fother%2Fx.parquet', /decoded path has a URI scheme/],
    ['part-1.parquet%00.txt', /control character/],
    ['part-1.parquet#x', /raw '\?' or '#'/],
    ['part%zz.parquet', /not a valid percent-encoded/],
    [`${'a'.repeat(1025)}.parquet`, /longer than 1024 bytes/],
  ])('refuses %j', (path, message) => {
    const result = relativeDataKey(path);
    expect(result.problem).toMatch(message);
  });

  it('never yields a key that leaves the table or enters a log, whatever the input', () => {
    const pieces = fc.constantFrom(
      'a',
      '.',
      '..',
      '%2E',
      '%2e',
      '%2F',
      '%2f',
      '/',
      '\\',
      '%5C',
      '_delta_log',
      '%5F',
      'b=1',
      '%25',
      '%',
    );
    fc.assert(
      fc.property(fc.array(pieces, { maxLength: 12 }), (parts) => {
        const result = relativeDataKey(parts.join(''));
        if (result.problem !== undefined) return;
        const segments = result.key.split('/');
        expect(segments.every((s) => s !== '' && s !== '.' && s !== '..')).toBe(true);
        expect(segments.some((s) => s.toLowerCase() === '_delta_log')).toBe(false);
        expect(result.key.includes('\\')).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses two spellings of one file in a manifest', () => {
    const file = manifest(0, 0, 9).files[0] as NonNullable<ReturnType<typeof manifest>['files'][0]>;
    const m = manifest(0, 0, 9, {
      files: [
        { ...file, path: 'a b.parquet' },
        { ...file, path: 'a%20b.parquet' },
      ],
    });
    expect(validateCommitRequest(m, root)).toMatch(/^files\[1\]\.path 'a%20b\.parquet' names a file twice/);
  });

  it('refuses an escaping sidecar path of a mirror manifest', () => {
    const m = manifest(0, 0, 9);
    const file = m.files[0] as NonNullable<(typeof m.files)[0]>;
    const upsert = {
      ...m,
      writeMode: 2,
      mirror: {
        formatVersion: 1,
        partialUpdates: 1,
        files: [
          { path: file.path, rows: { $case: 'sidecarPath' as const, value: '%2E%2E/other/rows.arrows' } },
        ],
      },
    };
    expect(validateCommitRequest(upsert, root)).toMatch(/sidecar_path '%2E%2E\/other\/rows\.arrows'/);
  });
});

describe('table URIs', () => {
  it.each([
    ['s3://lake/delta/shop/orders', undefined],
    ['s3://lake/delta/shop/orders/', undefined],
    ['s3://lake/delta', /not under the committer's table root/],
    ['s3://lake/delta/', /not under the committer's table root/],
    ['s3://lake/deltashop/orders', /not under/],
    ['s3://other/delta/shop', /not under/],
    ['s3://lake/delta/shop/../../x', /'\.\.' segment/],
    ['s3://lake/delta/shop//orders', /empty/],
    ['s3://lake/delta/%2E%2E/x', /'\?', '#' or '%'/],
    ['s3://lake/delta/shop/orders/_delta_log', /points into _delta_log/],
    ['s3://lake/delta/shop/_DELTA_LOG/x', /points into _delta_log/],
    ['s3://lake/delta/_delta_writer/probes', /reserved folder/],
    ['s3://lake/delta/shop\\orders', /'\\'/],
    ['s3://lake/delta/shop?x=1', /'\?', '#' or '%'/],
  ])('%s', (uri, expected) => {
    const problem = tableUriProblem(uri, root);
    if (expected === undefined) expect(problem).toBeUndefined();
    else expect(problem).toMatch(expected);
  });
});
