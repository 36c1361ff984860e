import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { canonicalJson, ReadersNotSetUpError, readersEnv, readWithDeltaRs, sortRows } from '../src/index.js';
import { allTypesRow } from './support/arbitraries.js';

const scratch = mkdtempSync(join(tmpdir(), 'dw-readers-env-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('readersEnv', () => {
  const noFile = join(scratch, 'missing.env');

  it('names tools/readers/setup.sh when DW_PYTHON is not set up', () => {
    expect(() => readersEnv({}, noFile)).toThrow(ReadersNotSetUpError);
    expect(() => readersEnv({}, noFile)).toThrow(/DW_PYTHON is not set: run `bash tools\/readers\/setup.sh`/);
    expect(() => readersEnv({ DW_PYTHON: '/nonexistent/python' }, noFile)).toThrow(
      /tools\/readers\/setup.sh/,
    );
  });

  it('takes DW_* from .data/readers.env when the environment lacks them', () => {
    const file = join(scratch, 'readers.env');
    writeFileSync(file, `# written by setup.sh\nDW_PYTHON=${process.execPath}\nDW_SPARK_JARS=/jars\n`);
    const found = readersEnv({ PATH: '/bin' }, file);
    expect(found.python).toBe(process.execPath);
    expect(found.env).toMatchObject({ PATH: '/bin', DW_SPARK_JARS: '/jars' });
    expect(readersEnv({ DW_SPARK_JARS: '/mine' }, file).env.DW_SPARK_JARS).toBe('/mine');
  });

  it('rejects a read with the setup hint, before starting any process', async () => {
    await expect(readWithDeltaRs('/tmp/x', { env: { DW_PYTHON: '/nonexistent/python' } })).rejects.toThrow(
      /tools\/readers\/setup.sh/,
    );
  });
});

describe('sortRows and canonicalJson', () => {
  it('order rows the same whatever their order or key order on arrival', () => {
    fc.assert(
      fc.property(fc.array(allTypesRow, { maxLength: 6 }), fc.integer(), (rows, seed) => {
        const shuffled = [...rows]
          .map((row, i) => ({
            row: Object.fromEntries(Object.entries(row).reverse()),
            k: (i * 7919 + seed) % 101,
          }))
          .sort((a, b) => a.k - b.k)
          .map(({ row }) => row);
        expect(sortRows(shuffled).map(canonicalJson)).toEqual(sortRows(rows).map(canonicalJson));
      }),
    );
  });

  it('tells values apart exactly when the encoding does', () => {
    expect(canonicalJson({ b: 1, a: [null, '1'] })).toBe('{"a":[null,"1"],"b":1}');
    expect(canonicalJson({ a: '1' })).not.toBe(canonicalJson({ a: 1 }));
  });
});
