import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type BsonValue, bsonEquals, Double } from '../src/bson/values.js';
import { parseExtendedJson } from '../src/ejson/parse.js';
import { parseTape } from '../src/ejson/tape-parser.js';
import { DecodeError } from '../src/errors.js';

/**
 * Int64 text — `$numberLong` strings and bare integer literals — against an oracle written from the
 * Extended JSON spec rather than from our parsers: exact over the full signed 64-bit range, leading zeros
 * and signs included, and every text the spec rejects is rejected, by the lossless parser and the tape.
 */

const MIN = -(2n ** 63n);
const MAX = 2n ** 63n - 1n;

/** Any magnitude up to 2^64, biased to the Int64, Int32 and 2^53 edges. */
const magnitude = fc.oneof(
  fc.bigInt(0n, 2n ** 64n),
  fc.constantFrom(0n, 1n, 2n ** 31n - 1n, 2n ** 31n, 2n ** 53n, 2n ** 53n + 1n, 10n ** 15n, 10n ** 18n),
  fc.constantFrom(MAX - 1n, MAX, MAX + 1n, MAX + 2n, 10n ** 19n - 1n, 10n ** 19n),
);

const text = fc
  .tuple(
    fc.constantFrom('', '-', '+', '--', ' '),
    fc.nat(4),
    magnitude,
    fc.constantFrom('', '', '', ' ', '.0', 'e0', 'x', '\\u0030'),
  )
  .map(([sign, zeros, n, tail]) => `${sign}${'0'.repeat(zeros)}${n}${tail}`);

/** The spec's `$numberLong`: /^-?\d{1,19}$/ within the signed 64-bit range, else invalid. */
function numberLongOracle(t: string): bigint | 'invalid' {
  if (!/^-?\d{1,19}$/.test(t)) return 'invalid';
  const n = BigInt(t);
  return n >= MIN && n <= MAX ? n : 'invalid';
}

/** The spec's relaxed integer literal: Int32, else Int64, else (lossy) a double. */
function literalOracle(t: string): BsonValue {
  const n = BigInt(t);
  if (n >= -(2n ** 31n) && n < 2n ** 31n) return Number(n);
  if (n >= MIN && n <= MAX) return n;
  return new Double(Number(t));
}

function outcome(t: string): BsonValue | 'invalid' {
  try {
    return parseExtendedJson(t);
  } catch (e) {
    if (e instanceof DecodeError) return 'invalid';
    throw e;
  }
}

/** The tape's value where it answers (it may step aside, then the lossless parser decides). */
function tapeOutcome(t: string): BsonValue | 'invalid' | undefined {
  try {
    return parseTape(t, {})?.value();
  } catch (e) {
    if (e instanceof DecodeError) return 'invalid';
    throw e;
  }
}

function expectSame(got: BsonValue | 'invalid' | undefined, want: BsonValue | 'invalid', t: string): void {
  if (got === undefined) return;
  if (want === 'invalid' || got === 'invalid') expect(got, t).toBe(want);
  else expect(bsonEquals(got, want), `${t}: ${String(got)} ≠ ${String(want)}`).toBe(true);
}

describe('Int64 text', () => {
  it('$numberLong: exact over the signed 64-bit range; the spec-invalid forms are rejected', () => {
    fc.assert(
      fc.property(text, (t) => {
        const doc = `{"n": {"$numberLong": "${t}"}}`;
        const want = numberLongOracle(JSON.parse(`"${t}"`) as string); // the string's value: `\u0030` is `0`
        const got = outcome(doc);
        const wantDoc = want === 'invalid' ? want : new Map([['n', want]]);
        expectSame(got, wantDoc, doc);
        expectSame(tapeOutcome(doc), wantDoc, doc);
      }),
      { numRuns: 3000 },
    );
  });

  it('integer literals: Int32, Int64 or a double by range; leading zeros and `+` are invalid JSON', () => {
    fc.assert(
      fc.property(fc.boolean(), magnitude, fc.nat(2), (neg, n, zeros) => {
        const t = `${neg ? '-' : ''}${'0'.repeat(zeros)}${n}`;
        const doc = `{"n": ${t}}`;
        const want = zeros > 0 && t.replace('-', '') !== '0' ? 'invalid' : new Map([['n', literalOracle(t)]]);
        expectSame(outcome(doc), want, doc);
        expectSame(tapeOutcome(doc), want, doc);
        expect(outcome(`{"n": +${n}}`)).toBe('invalid');
      }),
      { numRuns: 3000 },
    );
  });
});
