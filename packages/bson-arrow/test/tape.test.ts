import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type BsonValue, bsonEquals } from '../src/bson/values.js';
import { type ParseOptions, parseExtendedJson } from '../src/ejson/parse.js';
import { type EjsonMode, type EjsonStyle, stringifyExtendedJson } from '../src/ejson/stringify.js';
import { parseTape } from '../src/ejson/tape-parser.js';
import { DecodeError } from '../src/errors.js';
import { bsonValue, mongoDocument } from './arbitraries.js';
import { testdataDir, testdataFile } from './helpers.js';

/** The lossless parser's outcome: its value or its error. */
function lossless(text: string, options: ParseOptions): { value: BsonValue } | { error: string } {
  try {
    return { value: parseExtendedJson(text, options) };
  } catch (e) {
    if (e instanceof DecodeError) return { error: `${e.reason}: ${e.message}` };
    throw e;
  }
}

/**
 * The tape either steps aside (the lossless parser then decides) or means exactly the lossless value;
 * returns whether it answered.
 */
export function tapeAgrees(text: string, options: ParseOptions = {}): boolean {
  const tape = parseTape(text, options);
  if (tape === undefined) return false;
  const expected = lossless(text, options);
  if ('error' in expected)
    throw new Error(`tape accepted what the lossless parser rejects (${expected.error}): ${text}`);
  const got = tape.value();
  if (!bsonEquals(got, expected.value)) {
    throw new Error(
      `tape differs on ${text}\n  tape     ${stringifyExtendedJson(got)}\n  lossless ${stringifyExtendedJson(expected.value)}`,
    );
  }
  return true;
}

const MODES: [EjsonMode, EjsonStyle][] = [
  ['legacy', 'java'],
  ['legacy', 'java-plain'],
  ['legacy', 'compact'],
  ['canonical', 'java'],
  ['canonical', 'compact'],
  ['relaxed', 'java'],
  ['relaxed', 'compact'],
];

/** Arbitrary JSON-like texts: every number form, escapes, whitespace, `$`-keys, duplicate keys. */
const jsonText = (() => {
  const key = fc.oneof(
    fc.string({ maxLength: 4 }),
    fc.constantFrom(
      'a',
      'b',
      '$oid',
      '$date',
      '$numberLong',
      '$numberInt',
      '$numberDouble',
      '$binary',
      '$type',
    ),
  );
  const numberText = fc.oneof(
    fc.double({ noNaN: true, noDefaultInfinity: true }).map(String),
    fc.integer().map(String),
    fc.integer().map((n) => `${n}.0`),
    fc.integer().map((n) => `${n}e0`),
    fc.integer().map((n) => `${n}E+2`),
    fc.integer().map((n) => `${n}.25e-3`),
    fc.bigInt(-(2n ** 70n), 2n ** 70n).map(String),
    fc.constantFrom(
      '-0',
      '-0.0',
      '0.0',
      '1e400',
      '-1e-400',
      '9007199254740993',
      '1.00000000000000001',
      '007',
      '1.',
      'NaN',
      '-Infinity',
    ),
  );
  const stringText = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 6 }).map((x) => JSON.stringify(x)),
    fc
      .tuple(
        fc.oneof(fc.nat(3), fc.nat(12)),
        fc.oneof(
          fc.integer().map(BigInt),
          fc.bigInt(-(2n ** 64n), 2n ** 64n),
          fc.constantFrom(
            0n,
            2147483647n,
            2147483648n,
            -2147483648n,
            -2147483649n,
            999999999999999n,
            10n ** 15n,
          ),
        ),
      )
      .map(([zeros, n]) => `"${n < 0n ? '-' : ''}${'0'.repeat(zeros)}${n < 0n ? -n : n}"`),
    fc.constantFrom(
      '"0123456789abcdef01234567"',
      '"0123456789ABCDEF01234567"',
      '"0123456789abcdef0123456"',
      '"-0"',
      '"\\u0031"',
      '"1.5"',
      '"2020-01-01T00:00:00Z"',
      '"NaN"',
    ),
  );
  const ws = fc.constantFrom('', ' ', '\n ', '\t');
  return fc.letrec<{ v: string }>((tie) => ({
    v: fc.oneof(
      { depthSize: 'small' },
      fc.constantFrom('null', 'true', 'false'),
      numberText,
      stringText,
      fc.tuple(fc.array(tie('v'), { maxLength: 4 }), ws).map(([xs, w]) => `[${w}${xs.join(`,${w}`)}]`),
      fc
        .tuple(fc.array(fc.tuple(key, tie('v')), { maxLength: 4 }), ws)
        .map(([ms, w]) => `{${w}${ms.map(([k, x]) => `${JSON.stringify(k)}${w}:${w}${x}`).join(`,${w}`)}}`),
    ),
  })).v;
})();

describe('tape parser ≡ lossless parser', () => {
  it('random documents in every dialect and style', () => {
    let answered = 0;
    fc.assert(
      fc.property(mongoDocument, fc.constantFrom(...MODES), (doc, [mode, style]) => {
        if (tapeAgrees(stringifyExtendedJson(doc, { mode, style }))) answered++;
      }),
      { numRuns: 1000 },
    );
    expect(answered).toBeGreaterThan(900); // the tape steps aside only for limits and duplicate keys
  });

  it('random BSON values (any root)', () => {
    fc.assert(
      fc.property(bsonValue, fc.constantFrom(...MODES), (v, [mode, style]) => {
        tapeAgrees(stringifyExtendedJson(v, { mode, style }), { maxDepth: 1000 });
      }),
      { numRuns: 1000 },
    );
  });

  it('arbitrary JSON-like texts, also near the depth and value-count limits', () => {
    fc.assert(
      fc.property(jsonText, (text) => {
        tapeAgrees(text);
        tapeAgrees(text, { maxDepth: 2, maxFields: 6 });
      }),
      { numRuns: 3000 },
    );
  });

  it('the wrappers with a fast form, around their boundaries (digits, ranges, leading zeros, case, -0)', () => {
    const digits = fc
      .tuple(
        fc.boolean(),
        fc.nat(3),
        fc.oneof(
          fc.nat(),
          fc.constantFrom(0, 2147483647, 2147483648, 2147483649, 999999999999999, 1e15, 2 ** 53),
          fc.bigInt(0n, 10n ** 20n),
        ),
      )
      .map(([neg, zeros, n]) => `${neg ? '-' : ''}${'0'.repeat(zeros)}${n}`);
    const value = fc.oneof(
      digits,
      digits.map((d) => `"${d}"`),
      digits.map((d) => `${d}.0`),
      digits.map((d) => `${d}e1`),
      fc.constantFrom(
        '"0123456789abcdef01234567"',
        '"0123456789ABCDEF01234567"',
        '"0123456789abcdef0123456"',
        '"0123456789abcdef012345678"',
        '"01234\\u0035789abcdef01234567"',
        '"2020-01-01T00:00:00Z"',
        'null',
        '{"$numberLong": "12"}',
      ),
    );
    const wrapper = fc
      .tuple(
        fc.constantFrom('$oid', '$date', '$numberLong', '$numberInt'),
        value,
        fc.constantFrom('', ' ', ', "x": 1'),
      )
      .map(([k, v, tail]) => `{"w": {"${k}": ${v}${tail}}}`);
    fc.assert(
      fc.property(wrapper, (text) => {
        tapeAgrees(text);
      }),
      { numRuns: 3000 },
    );
  });

  it('corrupted documents: the tape never accepts what the lossless parser rejects', () => {
    const edit = fc.tuple(
      fc.nat(),
      fc.nat(2),
      fc.constantFrom(...'"{}[],:.05eE-+\\ NI$xa\n\u0001'.split('')),
    );
    fc.assert(
      fc.property(
        mongoDocument,
        fc.constantFrom(...MODES),
        fc.array(edit, { minLength: 1, maxLength: 3 }),
        (doc, [mode, style], edits) => {
          let text = stringifyExtendedJson(doc, { mode, style });
          for (const [at, how, c] of edits) {
            const i = at % (text.length + 1);
            text = text.slice(0, i) + (how === 2 ? '' : c) + text.slice(how === 0 ? i : i + 1);
          }
          tapeAgrees(text);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('types numbers and the legacy wrappers exactly', () => {
    const cases: [string, string][] = [
      ['{"a": 5}', '{"a":{"$numberInt":"5"}}'],
      ['{"a": 5.0}', '{"a":{"$numberDouble":"5.0"}}'],
      ['{"a": -0}', '{"a":{"$numberInt":"0"}}'],
      ['{"a": -0.0}', '{"a":{"$numberDouble":"-0.0"}}'],
      ['{"a": 2147483648}', '{"a":{"$numberLong":"2147483648"}}'],
      ['{"a": 9007199254740993}', '{"a":{"$numberLong":"9007199254740993"}}'],
      ['{"a": 1.31}', '{"a":{"$numberDouble":"1.31"}}'],
      ['{"a": 0.30000000000000004}', '{"a":{"$numberDouble":"0.30000000000000004"}}'],
      ['{"a": 1.0E+10, "b": 1.5E-7}', '{"a":{"$numberDouble":"1.0E+10"},"b":{"$numberDouble":"1.5E-7"}}'],
      ['{"a": NaN, "b": -Infinity}', '{"a":{"$numberDouble":"NaN"},"b":{"$numberDouble":"-Infinity"}}'],
      ['{"a": "x\\"y\\u0041"}', '{"a":"x\\"yA"}'],
      [
        '{"_id": {"$oid": "67ab25755c0d5ac87eb8c632"}, "t": {"$date": 1739455297970}, "n": {"$numberLong": "-12"}, "i": {"$numberInt": "7"}}',
        '{"_id":{"$oid":"67ab25755c0d5ac87eb8c632"},"t":{"$date":{"$numberLong":"1739455297970"}},"n":{"$numberLong":"-12"},"i":{"$numberInt":"7"}}',
      ],
      ['{"u": {"$oid": "67AB25755C0D5AC87EB8C632"}}', '{"u":{"$oid":"67ab25755c0d5ac87eb8c632"}}'],
      [
        '{"r": {"$ref": "c", "$id": 1}, "e": {}, "l": []}',
        '{"r":{"$ref":"c","$id":{"$numberInt":"1"}},"e":{},"l":[]}',
      ],
    ];
    for (const [text, canonical] of cases) {
      const tape = parseTape(text);
      expect(tape, text).toBeDefined();
      expect(stringifyExtendedJson((tape as NonNullable<typeof tape>).value())).toBe(canonical);
    }
  });

  it('tapes stay valid across chunk boundaries (documents moved mid-parse, huge documents)', () => {
    const texts: string[] = [];
    // Mostly key and escaped-string tokens (both kept in `refs`), so that chunk ends fall on them.
    for (let i = 0; i < 4000; i++) {
      const members = Array.from({ length: 1 + (i % 13) }, (_, k) => `"m${k}": "v\\n${i}"`);
      texts.push(`{"_id": {"$oid": "67ab25755c0d5ac87eb8c632"}, ${members.join(', ')}, "d": ${i}.5}`);
    }
    texts.push(`{"big": [${Array.from({ length: 70_000 }, (_, k) => k).join(',')}]}`);
    texts.push('{"after": "big"}');
    const tapes = texts.map((t) => parseTape(t, { maxFields: 1e6 }));
    tapes.forEach((tape, i) => {
      expect(tape).toBeDefined();
      expect(
        bsonEquals(
          (tape as NonNullable<typeof tape>).value(),
          parseExtendedJson(texts[i] as string, { maxFields: 1e6 }),
        ),
      ).toBe(true);
    });
  });

  it('steps aside for duplicate keys, limits and invalid text', () => {
    for (const text of [
      '{"a": 1, "a": 2}',
      '{"x": {"a": 1, "b": [1], "a": 2}}',
      '{"a": 0123}',
      '{"$date": 01}',
      '{"a": 1',
      '{"$oid": "zz"}',
    ]) {
      expect(parseTape(text), text).toBeUndefined();
      tapeAgrees(text);
    }
    expect(parseTape('{"a": [[1]]}', { maxDepth: 2 })).toBeUndefined();
    expect(parseTape('{"a": [1, 2, 3]}', { maxFields: 4 })).toBeUndefined();
    expect(parseTape('{"a": [1, 2, 3]}', { maxFields: 5 })).toBeDefined();
    expect(parseTape('{"a": 1}', { extended: false })).toBeUndefined();
  });

  it('every BSON corpus text: the same value, and every parse-error vector is rejected', () => {
    for (const file of testdataDir('extjson-corpus').filter((f) => f.endsWith('.json'))) {
      const corpus = JSON.parse(testdataFile('extjson-corpus', file)) as {
        valid?: Record<string, string>[];
        parseErrors?: { string: string }[];
      };
      for (const c of corpus.valid ?? []) {
        for (const k of ['canonical_extjson', 'relaxed_extjson', 'degenerate_extjson', 'converted_extjson']) {
          if (typeof c[k] === 'string') tapeAgrees(c[k] as string);
        }
      }
      for (const c of corpus.parseErrors ?? [])
        expect(parseTape(c.string), `${file}: ${c.string}`).toBeUndefined();
    }
  });
});
