import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { readWithDeltaRs, sortRows, writeWithDeltaRs } from '../src/index.js';
import { allTypesRow } from './support/arbitraries.js';
import { ALL_TYPES, scratchDir } from './support/tables.js';

const scratch = scratchDir('prop');
afterAll(() => scratch.cleanup());

describe('the DW value encoding through delta-rs', () => {
  it('gives back every canonical value it was given, for every Delta type', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(allTypesRow, { minLength: 1, maxLength: 5 }), async (rows) => {
        const uri = scratch.table(`t${n++}`);
        await writeWithDeltaRs(uri, { schema: ALL_TYPES, rows });
        const read = await readWithDeltaRs(uri);
        expect(read.numRows).toBe(rows.length);
        expect(sortRows(read.rows)).toEqual(sortRows(rows));
      }),
      // Each run is two Python processes (~1 s): no shrinking (it would take minutes); the counterexample is printed whole.
      { numRuns: 15, endOnFailure: true },
    );
  });
});
