import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type CommittedOffsets,
  decide,
  planBatch,
  type SourceRange,
  unaccountedOffsets,
} from '../src/plan/offsets.js';
import { parseTxnAppId, txnAppId } from '../src/plan/txn-app-id.js';

const range = (partition: number, first: number, last: number, gapAcknowledged = false): SourceRange => ({
  consumerGroup: 'dw',
  topic: 't',
  partition,
  firstOffset: first,
  lastOffset: last,
  gapAcknowledged,
});
const m = (...ranges: SourceRange[]) => ({ sourceRanges: ranges });
const committed = (entries: [number, number][]): CommittedOffsets =>
  new Map(entries.map(([p, o]) => [txnAppId(range(p, 0, 0)), o]));

describe('txn appId', () => {
  it('round-trips any group, topic and partition', () => {
    fc.assert(
      fc.property(fc.string(), fc.string({ minLength: 1 }), fc.nat({ max: 2 ** 31 - 1 }), (g, t, p) => {
        const sp = { consumerGroup: g, topic: t, partition: p };
        expect(parseTxnAppId(txnAppId(sp))).toEqual(sp);
      }),
    );
  });

  it('ignores appIds of other writers', () => {
    for (const foreign of [
      'a3f1-query-id',
      'dw1/a/b',
      'dw1/a/b/-1',
      'dw1/a/b/01',
      'dw2/a/b/1',
      'dw1/%zz/b/1',
    ]) {
      expect(parseTxnAppId(foreign)).toBeUndefined();
    }
  });
});

describe('decide', () => {
  const c = committed([[0, 9]]);
  it.each([
    ['next range', m(range(0, 10, 19)), 'commit'],
    ['never-committed partition, any start', m(range(1, 500, 510)), 'commit'],
    ['duplicate', m(range(0, 0, 9)), 'duplicate'],
    ['duplicate tail', m(range(0, 5, 9)), 'duplicate'],
    ['gap', m(range(0, 11, 19)), 'refuse:gap'],
    ['acknowledged gap', m(range(0, 11, 19, true)), 'commit'],
    ['overlap', m(range(0, 5, 19)), 'refuse:overlap'],
    ['duplicate mixed with new', m(range(0, 0, 9), range(1, 0, 9)), 'refuse:overlap'],
    ['gap and next', m(range(0, 12, 19), range(1, 0, 9)), 'refuse:gap'],
    ['no ranges', m(), 'invalid'],
    ['last before first', m(range(1, 5, 4)), 'invalid'],
    ['partition twice', m(range(1, 0, 4), range(1, 5, 9)), 'invalid'],
    ['unsafe offset', m(range(1, 0, 2 ** 53)), 'invalid'],
  ])('%s', (_, manifest, expected) => {
    const d = decide(manifest, c);
    expect(d.kind === 'refuse' ? `refuse:${d.problem}` : d.kind).toBe(expected);
  });
});

describe('offsets a manifest may advance beyond its rows (COMMITTER_MAX_OFFSET_GAP)', () => {
  const c = committed([[0, 9]]);
  const rows = (n: number) => [{ recordCount: n }];
  const bound = { maxOffsetGap: 1_000 };
  it.each([
    ['next range fully in rows', { ...m(range(0, 10, 19)), files: rows(10) }, 0, 'commit'],
    ['next range, some records without rows', { ...m(range(0, 10, 1_009)), files: rows(0) }, 1_000, 'commit'],
    ['files-less range past the bound', { ...m(range(0, 10, 1_010)), files: [] }, 1_001, 'refuse:too-far'],
    ['the gap bomb: acknowledged gap to 9e15', m(range(0, 9e15, 9e15, true)), 9e15 - 9, 'refuse:too-far'],
    ['acknowledged gap inside the bound', m(range(0, 500, 500, true)), 491, 'commit'],
    ['new partition: counted from its first offset', m(range(1, 5_000_000, 5_000_009)), 10, 'commit'],
    ['new partition, a huge empty range', m(range(1, 0, 2_000_000)), 2_000_001, 'refuse:too-far'],
    ['two partitions add up', m(range(0, 10, 609), range(1, 0, 500)), 1_101, 'refuse:too-far'],
    ['duplicates are not measured', m(range(0, 0, 9)), 0, 'duplicate'],
  ])('%s', (_, manifest, unaccounted, expected) => {
    expect(unaccountedOffsets(manifest, c)).toBe(expected === 'duplicate' ? 0 : unaccounted);
    const d = decide(manifest, c, bound);
    expect(d.kind === 'refuse' ? `refuse:${d.problem}` : d.kind).toBe(expected);
    if (d.kind === 'refuse') expect(d.message).toMatch(/COMMITTER_MAX_OFFSET_GAP \(1000\)/);
  });

  it('refuses a too-far manifest of a batch without moving the offsets, so its successor becomes a gap', () => {
    const plan = planBatch(
      c,
      [m(range(0, 10, 5_000)), { ...m(range(0, 5_001, 5_010)), files: rows(10) }],
      undefined,
      bound,
    );
    expect(plan.decisions.map((d) => (d.kind === 'refuse' ? d.problem : d.kind))).toEqual(['too-far', 'gap']);
    expect(plan.commit).toEqual([]);
    expect(plan.after.get(txnAppId(range(0, 0, 0)))).toBe(9);
  });
});

describe('planBatch', () => {
  it('commits consecutive ranges of one partition in one batch, with one txn at the highest offset', () => {
    const plan = planBatch(committed([[0, 9]]), [
      m(range(0, 10, 19)),
      m(range(0, 20, 29)),
      m(range(1, 0, 4)),
    ]);
    expect(plan.decisions.map((d) => d.kind)).toEqual(['commit', 'commit', 'commit']);
    expect(plan.txns).toEqual([
      { appId: txnAppId(range(0, 0, 0)), version: 29 },
      { appId: txnAppId(range(1, 0, 0)), version: 4 },
    ]);
  });

  it('treats a retry inside the same batch as a duplicate', () => {
    const plan = planBatch(new Map(), [m(range(0, 0, 9)), m(range(0, 0, 9))]);
    expect(plan.decisions.map((d) => d.kind)).toEqual(['commit', 'duplicate']);
    expect(plan.commit).toHaveLength(1);
  });

  it('turns the successor of a rejected manifest into a gap', () => {
    const first = m(range(0, 10, 19));
    const plan = planBatch(committed([[0, 9]]), [first, m(range(0, 20, 29))], (x) =>
      x === first ? 'schema' : undefined,
    );
    expect(plan.decisions).toMatchObject([
      { kind: 'rejected', reason: 'schema' },
      { kind: 'refuse', problem: 'gap' },
    ]);
    expect(plan.txns).toEqual([]);
  });

  it('does not ask admission about duplicates', () => {
    const asked: unknown[] = [];
    planBatch(committed([[0, 9]]), [m(range(0, 0, 9))], (x) => asked.push(x));
    expect(asked).toEqual([]);
  });
});

// ── Properties: the table's history stays gap-free and duplicate-free whatever ingestors send ─────────────────────

/** A stream of manifests as ingestors might send it: consecutive chunks, retried, reordered, overlapping, skipping. */
const traffic = fc
  .array(
    fc.record({
      partition: fc.nat({ max: 2 }),
      len: fc.integer({ min: 1, max: 5 }),
      skew: fc.integer({ min: -3, max: 3 }),
      retry: fc.boolean(),
    }),
    {
      maxLength: 40,
    },
  )
  .map((steps) => {
    const next = [0, 0, 0];
    const out: SourceRange[] = [];
    for (const s of steps) {
      const start = Math.max(
        0,
        (next[s.partition] as number) + (s.retry ? -s.len : s.skew === 0 ? 0 : s.skew),
      );
      out.push(range(s.partition, start, start + s.len - 1));
      if (!s.retry) next[s.partition] = start + s.len;
    }
    return out;
  });
const batches = traffic.chain((ranges) =>
  fc
    .array(fc.integer({ min: 1, max: 6 }), { minLength: ranges.length, maxLength: ranges.length })
    .map((sizes) => {
      const out: SourceRange[][] = [];
      let i = 0;
      for (const size of sizes) {
        if (i >= ranges.length) break;
        out.push(ranges.slice(i, i + size));
        i += size;
      }
      return out;
    }),
);

describe('planBatch properties', () => {
  it('committed records form, per partition, one contiguous run without repeats; the txn is its end', () => {
    fc.assert(
      fc.property(batches, (bs) => {
        let state: CommittedOffsets = new Map();
        const table = new Map<number, number[]>(); // partition → offsets in the table, in commit order
        for (const batch of bs) {
          const plan = planBatch(
            state,
            batch.map((r) => m(r)),
          );
          for (const manifest of plan.commit) {
            for (const r of manifest.sourceRanges) {
              const offsets = table.get(r.partition) ?? [];
              for (let o = r.firstOffset; o <= r.lastOffset; o++) offsets.push(o);
              table.set(r.partition, offsets);
            }
          }
          state = plan.after;
        }
        for (const [partition, offsets] of table) {
          const start = offsets[0] as number;
          expect(offsets).toEqual(offsets.map((_, i) => start + i));
          expect(state.get(txnAppId(range(partition, 0, 0)))).toBe(offsets.at(-1));
        }
      }),
    );
  });

  it('is deterministic and splitting a batch in two gives the same outcome as one batch', () => {
    fc.assert(
      fc.property(traffic, fc.nat(), (ranges, cut) => {
        const manifests = ranges.map((r) => m(r));
        const whole = planBatch(new Map(), manifests);
        const at = manifests.length === 0 ? 0 : cut % manifests.length;
        const first = planBatch(new Map(), manifests.slice(0, at));
        const second = planBatch(first.after, manifests.slice(at));
        expect([...first.decisions, ...second.decisions]).toEqual(whole.decisions);
        expect(second.after).toEqual(whole.after);
      }),
    );
  });

  it('emits exactly one txn per touched partition, never moving backwards, and commits exactly the commit decisions', () => {
    fc.assert(
      fc.property(traffic, (ranges) => {
        const before = new Map([[txnAppId(range(0, 0, 0)), 3]]);
        const manifests = ranges.map((r) => m(r));
        const plan = planBatch(before, manifests);
        const ids = plan.txns.map((t) => t.appId);
        expect(new Set(ids).size).toBe(ids.length);
        for (const t of plan.txns) expect(t.version).toBeGreaterThanOrEqual(before.get(t.appId) ?? -1);
        for (const [i, d] of plan.decisions.entries()) {
          expect(plan.commit.includes(manifests[i] as never)).toBe(d.kind === 'commit');
        }
      }),
    );
  });
});
