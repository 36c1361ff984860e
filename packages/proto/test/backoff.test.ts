import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../src/index.js';

describe('backoffDelay', () => {
  it('stays within [0, min(max, initial·2^(n-1))] for any attempt and random draw', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 200 }),
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: 1, max: 100_000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (attempt, initialMs, maxMs, draw) => {
          const delay = backoffDelay(attempt, { initialMs, maxMs }, () => draw);
          expect(delay).toBeGreaterThanOrEqual(0);
          expect(delay).toBeLessThanOrEqual(Math.min(maxMs, initialMs * 2 ** (attempt - 1)));
          expect(Number.isInteger(delay)).toBe(true);
        },
      ),
    );
  });

  it('reaches the cap with the largest draw', () => {
    expect(backoffDelay(30, { initialMs: 100, maxMs: 5_000 }, () => 0.9999999)).toBe(4_999);
  });
});
