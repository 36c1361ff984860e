import { describe, expect, it } from 'vitest';
import { sealedRecordsOf } from '../../src/pipeline/records.js';
import { splitForTargets, type TargetStart, targetsFor } from '../../src/pipeline/targets.js';
import type { OffsetRange } from '../../src/pipeline/types.js';

const route = { routingKey: 'shop.orders', tablePath: 'shop/orders', tableUri: 's3://b/d/shop/orders' };

/** A batch of the offsets first..last, one record each. */
function batch(first: bigint, last: bigint, gapAcknowledged = false) {
  const records = [];
  for (let o = first; o <= last; o++)
    records.push({ offset: o, timestampMs: 0, key: null, value: null, headers: {}, bytes: 0 });
  const range: OffsetRange = { first, last, ...(gapAcknowledged && { gapAcknowledged: true }) };
  return { range, records: sealedRecordsOf(records) };
}

describe('targetsFor', () => {
  it('maps each write mode to its tables', () => {
    expect(targetsFor(route, 'append')).toEqual([{ key: route.tableUri, kind: 'changelog', route }]);
    expect(targetsFor(route, 'upsert')).toEqual([{ key: route.tableUri, kind: 'mirror', route }]);
    const [mirror, changelog] = targetsFor(route, 'both');
    expect(mirror).toEqual({ key: route.tableUri, kind: 'mirror', route });
    expect(changelog).toEqual({
      key: 's3://b/d/shop/orders_changelog',
      kind: 'changelog',
      route: {
        routingKey: 'shop.orders_changelog',
        tablePath: 'shop/orders_changelog',
        tableUri: 's3://b/d/shop/orders_changelog',
      },
    });
  });
});

describe('splitForTargets', () => {
  const [mirror, changelog] = targetsFor(route, 'both') as [never, never];
  const keys = targetsFor(route, 'both').map((t) => t.key);

  it('gives every table the whole batch once they are in step', () => {
    const parts = splitForTargets(batch(10n, 19n), [mirror, changelog], new Map());
    expect(parts.map((p) => [p.range, p.fromIndex])).toEqual([
      [{ first: 10n, last: 19n }, 0],
      [{ first: 10n, last: 19n }, 0],
    ]);
  });

  it('lets the table that is behind catch up while the other skips what it has', () => {
    // The changelog has offsets up to 9, the mirror up to 24: the partition reads from 10.
    const starts = new Map<string, TargetStart>([
      [keys[0] as string, { floor: 24n, gapAcknowledged: false }],
      [keys[1] as string, { floor: 9n, gapAcknowledged: false }],
    ]);
    const first = splitForTargets(batch(10n, 19n), [mirror, changelog], starts);
    expect(first.map((p) => [p.target, p.range, p.fromIndex])).toEqual([
      [changelog, { first: 10n, last: 19n }, 0],
    ]);
    expect([...starts.keys()]).toEqual([keys[0]]); // the changelog is in step from here on

    const second = splitForTargets(batch(20n, 29n), [mirror, changelog], starts);
    expect(second.map((p) => [p.target, p.range, p.fromIndex])).toEqual([
      [mirror, { first: 25n, last: 29n }, 5],
      [changelog, { first: 20n, last: 29n }, 0],
    ]);
    expect(starts.size).toBe(0);
  });

  it('carries a gap acknowledgement to the first range of the table it belongs to', () => {
    const starts = new Map<string, TargetStart>([[keys[1] as string, { floor: 4n, gapAcknowledged: true }]]);
    const parts = splitForTargets(batch(10n, 19n), [mirror, changelog], starts);
    expect(parts.map((p) => p.range)).toEqual([
      { first: 10n, last: 19n },
      { first: 10n, last: 19n, gapAcknowledged: true },
    ]);
    // A batch whose own range acknowledges a gap keeps it for every table that takes it whole.
    const gap = splitForTargets(batch(30n, 39n, true), [mirror, changelog], new Map());
    expect(gap.every((p) => p.range.gapAcknowledged === true)).toBe(true);
  });
});
