import { describe, expect, it } from 'vitest';
import { validateCommitRequest } from '../src/service/validate.js';
import { manifest } from './memory-table.js';

const root = 's3://lake/delta/';

describe('validateCommitRequest', () => {
  it('accepts a manifest without files and without a schema (it only advances offsets)', () => {
    expect(
      validateCommitRequest(manifest(0, 0, 9, { files: [], deltaSchemaJson: '' }), root),
    ).toBeUndefined();
  });

  it('requires a Delta struct schema when there are files', () => {
    expect(validateCommitRequest(manifest(0, 0, 9, { deltaSchemaJson: '' }), root)).toMatch(
      /^delta_schema_json is not valid JSON/,
    );
    expect(validateCommitRequest(manifest(0, 0, 9, { deltaSchemaJson: '"long"' }), root)).toMatch(
      /not a Delta struct type/,
    );
  });

  it('refuses file paths that could leave the table or point into its log', () => {
    const file = manifest(0, 0, 9).files[0];
    for (const path of [
      '../x.parquet',
      '/abs.parquet',
      's3://other/x.parquet',
      '_delta_log/0.json',
      // readers percent-decode add.path: these are the same escapes in disguise
      '%2E%2E/other-table/part-00000.parquet',
      'a%2F..%2F..%2Fother-table%2Fpart-00000.parquet',
      '%5Fdelta_log/00000000000000000001.json',
      '_Delta_Log/00000000000000000001.json',
    ]) {
      const m = manifest(0, 0, 9, { files: [{ ...(file as NonNullable<typeof file>), path }] });
      expect(validateCommitRequest(m, root)).toMatch(/^files\[0\]\.path/);
    }
  });
});
