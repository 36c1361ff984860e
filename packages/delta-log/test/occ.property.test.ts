/**
 * Property: two writers start from the same snapshot; the first commits, then the second. The second
 * either rebases and lands (and the table then equals both changes applied in order) or fails with exactly
 * the conflict a simple oracle predicts from what the two commits touch.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Action, AddFile } from '../src/actions.js';
import {
  ConcurrentDeleteDeleteError,
  ConcurrentTransactionError,
  MetadataChangedError,
} from '../src/errors.js';
import { field, struct } from '../src/schema/types.js';
import { Snapshot } from '../src/snapshot.js';
import { DeltaTable } from '../src/table.js';
import { commit } from '../src/write/commit.js';
import { schemaChange } from '../src/write/schema-change.js';
import { useTempStorage } from './helpers/tmp.js';

const temp = useTempStorage();
const schema = struct(field('id', 'long'));
const file = (path: string): AddFile => ({
  path,
  partitionValues: {},
  size: 1,
  modificationTime: 1,
  dataChange: true,
});
const BASE = ['a', 'b', 'c', 'd'];

interface Change {
  removes: string[];
  adds: number;
  apps: string[];
  widen: boolean;
}

const change = fc.record({
  removes: fc.subarray(BASE),
  adds: fc.integer({ min: 0, max: 2 }),
  apps: fc.subarray(['x', 'y', 'z']),
  widen: fc.boolean(),
});

function actionsFor(snapshot: Snapshot, c: Change, tag: string): Action[] {
  const out: Action[] = c.removes.map((p) => ({
    remove: { path: p, dataChange: true, deletionTimestamp: 1 },
  }));
  for (let i = 0; i < c.adds; i++) out.push({ add: file(`${tag}-${i}`) });
  if (c.widen) out.push(...schemaChange(snapshot, struct(...schema.fields, field(`col_${tag}`, 'integer'))));
  return out;
}

describe('optimistic concurrency', () => {
  it('lands a rebased commit or names the predicted conflict', async () => {
    await fc.assert(
      fc.asyncProperty(change, change, async (first, second) => {
        const { storage } = temp();
        const t = await DeltaTable.create(storage, '', { schema, adds: BASE.map(file) });
        const base = t.snapshot;
        const run = (c: Change, tag: string) =>
          commit(storage, base, {
            actions: actionsFor(base, c, tag),
            txns: c.apps.map((appId) => ({ appId, version: 1 })),
            operation: 'WRITE',
          });
        await run(first, 'one');
        const outcome = await run(second, 'two').then(
          (r) => r,
          (e: unknown) => e,
        );
        const overlap = first.removes.some((p) => second.removes.includes(p));
        const sharedApp = first.apps.some((a) => second.apps.includes(a));
        if (first.widen) expect(outcome).toBeInstanceOf(MetadataChangedError);
        else if (overlap) expect(outcome).toBeInstanceOf(ConcurrentDeleteDeleteError);
        else if (sharedApp) expect(outcome).toBeInstanceOf(ConcurrentTransactionError);
        else {
          expect(outcome).toMatchObject({ version: 2, attempts: 2 });
          const final = await Snapshot.load(storage);
          const live = final
            .files()
            .map((f) => f.path)
            .sort();
          const expected = [
            ...BASE.filter((p) => !first.removes.includes(p) && !second.removes.includes(p)),
            ...Array.from({ length: first.adds }, (_, i) => `one-${i}`),
            ...Array.from({ length: second.adds }, (_, i) => `two-${i}`),
          ].sort();
          expect(live).toEqual(expected);
          for (const a of [...first.apps, ...second.apps]) expect(final.txnVersion(a)).toBe(1);
        }
      }),
      { numRuns: 40 },
    );
  }, 120_000);
});
