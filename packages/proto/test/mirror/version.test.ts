import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compactSeq, compareSeq, compareVersion, supersedes } from '../../src/mirror/version.js';

const padded = (parts: bigint[]) => parts.map((p) => p.toString().padStart(20, '0')).join('.');
const parts = fc.array(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), { minLength: 1, maxLength: 3 });

function referenceCompare(a: bigint[], b: bigint[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? 0n;
    const y = b[i] ?? 0n;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

describe('source sequences', () => {
  it('compare like bson-arrow compareSequence, in padded and compact form alike', () => {
    fc.assert(
      fc.property(parts, parts, (a, b) => {
        const want = referenceCompare(a, b);
        expect(compareSeq(padded(a), padded(b))).toBe(want);
        expect(compareSeq(compactSeq(padded(a)), compactSeq(padded(b)))).toBe(want);
        expect(compareSeq(compactSeq(padded(a)), padded(b))).toBe(want);
      }),
    );
  });

  it('compare near values alike: equal parts, shared prefixes, any padding, missing parts', () => {
    const small = fc.array(fc.bigInt({ min: 0n, max: 12n }), { minLength: 1, maxLength: 4 });
    const text = (p: bigint[], pad: number[]) =>
      p.map((x, i) => '0'.repeat(pad[i % pad.length] ?? 0) + x.toString()).join('.');
    const pads = fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 4 });
    fc.assert(
      fc.property(small, small, pads, pads, (a, b, pa, pb) => {
        const want = referenceCompare(a, b);
        expect(compareSeq(text(a, pa), text(b, pb))).toBe(want);
        expect(compareSeq(text(b, pb), text(a, pa))).toBe(want === 0 ? 0 : -want);
      }),
      { numRuns: 2000 },
    );
  });

  it('compacts without changing the value and refuses garbage', () => {
    expect(compactSeq('00000000001700000000000.00000000000000000000')).toBe('1700000000000.0');
    expect(() => compactSeq('12.x')).toThrow(/invalid source sequence/);
    expect(() => compactSeq('')).toThrow(/invalid source sequence/);
  });
});

describe('row versions', () => {
  it('order by sequence, then by offset only within one partition', () => {
    const v = (seq: string, partition: number, offset: number) => ({ seq, partition, offset });
    expect(supersedes(v('2', 0, 1), v('1', 5, 9))).toBe(true);
    expect(supersedes(v('1', 0, 8), v('1', 0, 7))).toBe(true);
    expect(supersedes(v('1', 0, 7), v('1', 0, 7))).toBe(false);
    expect(compareVersion(v('1', 1, 100), v('1', 0, 7))).toBe(0);
    expect(supersedes(v('1', 1, 100), v('1', 0, 7))).toBe(false);
  });
});
