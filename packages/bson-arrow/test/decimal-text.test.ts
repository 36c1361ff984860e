import { Decimal128 as BsonDecimal128 } from 'bson';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalizeDecimal } from '../src/ejson/wrappers.js';

/**
 * normalizeDecimal answers plain decimals without the `bson` parser; the `bson` package's own
 * `Decimal128.fromString(t).toString()` is the oracle for every text, plain or not.
 */

function oracle(t: string): string | 'invalid' {
  try {
    return BsonDecimal128.fromString(t).toString();
  } catch {
    return 'invalid';
  }
}

function ours(t: string): string | 'invalid' {
  try {
    return normalizeDecimal(t);
  } catch {
    return 'invalid';
  }
}

const digits = (min: number, max: number) =>
  fc.array(fc.constantFrom(...'0123456789'), { minLength: min, maxLength: max }).map((d) => d.join(''));

/** Plain texts around the edges that matter: leading/trailing zeros, 34 digits, the −6 adjusted exponent. */
const plain = fc
  .tuple(fc.constantFrom('', '-', '+'), digits(1, 36), fc.option(digits(0, 40)))
  .map(([sign, int, frac]) => (frac === null ? `${sign}${int}` : `${sign}${int}.${frac}`));

const scientific = fc
  .tuple(plain, fc.constantFrom('E', 'e'), fc.integer({ min: -6200, max: 6200 }))
  .map(([p, e, x]) => `${p}${e}${x}`);

describe('normalizeDecimal', () => {
  it('equals the bson oracle on plain decimal texts', () => {
    fc.assert(
      fc.property(plain, (t) => {
        expect(ours(t)).toBe(oracle(t));
      }),
      { numRuns: 5000 },
    );
  });

  it('equals the bson oracle on scientific and special texts', () => {
    fc.assert(
      fc.property(
        fc.oneof(scientific, fc.constantFrom('NaN', '-NaN', 'Infinity', '-Inf', '', '.5', '5.', '1..2')),
        (t) => {
          expect(ours(t)).toBe(oracle(t));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('keeps the exponent a plain text gives and switches notation at the spec edges', () => {
    expect(normalizeDecimal('12.50')).toBe('12.50');
    expect(normalizeDecimal('-0.0')).toBe('-0.0');
    expect(normalizeDecimal('0.000001')).toBe('0.000001');
    expect(normalizeDecimal('0.0000001')).toBe('1E-7');
    expect(normalizeDecimal('0.0000000')).toBe('0E-7');
    expect(normalizeDecimal('007')).toBe('7');
  });
});
