import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseActions, serializeActions } from '../src/actions.js';
import {
  JsonNumber,
  parseJson,
  sameDecimal,
  setTopLevelMember,
  stringifyJson,
  topLevelMembers,
} from '../src/util/json.js';

/** A number literal of any size: integers across the int64 range and beyond, decimals with many digits. */
const numberText = fc.oneof(
  fc.bigInt(-(2n ** 64n), 2n ** 64n).map(String),
  fc.integer().map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => JSON.stringify(d)),
  fc.tuple(fc.bigInt(-(10n ** 40n), 10n ** 40n), fc.integer({ min: 1, max: 30 })).map(([u, scale]) => {
    const digits = (u < 0n ? -u : u).toString().padStart(scale + 1, '0');
    return `${u < 0n ? '-' : ''}${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  }),
  fc.tuple(fc.integer({ min: 1, max: 9 }), fc.integer({ min: -400, max: 400 })).map(([m, e]) => `${m}E${e}`),
);

/** Member names that are not array indexes (JS objects list those first, out of document order). */
const key = fc.string().filter((k) => !/^\d+$/.test(k));

/** A JSON text whose numbers are written as generated, with the literals in document order. */
const jsonText: fc.Arbitrary<{ text: string; numbers: string[] }> = fc
  .letrec<{ v: { text: string; numbers: string[] } }>((tie) => ({
    v: fc.oneof(
      { depthSize: 'small' },
      numberText.map((t) => ({ text: t, numbers: [t] })),
      fc.string().map((s) => ({ text: JSON.stringify(s), numbers: [] })),
      fc.array(tie('v'), { maxLength: 4 }).map((xs) => ({
        text: `[${xs.map((x) => x.text).join(',')}]`,
        numbers: xs.flatMap((x) => x.numbers),
      })),
      fc.uniqueArray(fc.tuple(key, tie('v')), { maxLength: 4, selector: ([k]) => k }).map((xs) => ({
        text: `{${xs.map(([k, x]) => `${JSON.stringify(k)}:${x.text}`).join(',')}}`,
        numbers: xs.flatMap(([, x]) => x.numbers),
      })),
    ),
  }))
  .v.filter(({ text }) => !text.includes('"__proto__"'));

function numbersOf(v: unknown, out: unknown[] = []): unknown[] {
  if (typeof v === 'number' || typeof v === 'bigint' || v instanceof JsonNumber) out.push(v);
  else if (Array.isArray(v)) for (const x of v) numbersOf(x, out);
  else if (v !== null && typeof v === 'object') for (const x of Object.values(v)) numbersOf(x, out);
  return out;
}

describe('parseJson / stringifyJson', () => {
  it('keep every number literal exactly, through a parse and a serialization', () => {
    fc.assert(
      fc.property(jsonText, ({ text, numbers }) => {
        const parsed = parseJson(text);
        const got = numbersOf(parsed);
        expect(got.length).toBe(numbers.length);
        got.forEach((n, i) => {
          const want = numbers[i] as string;
          if (!sameDecimal(want, String(n))) throw new Error(`${want} became ${String(n)}`);
        });
        // and the serialized text parses to the same numbers again
        const again = numbersOf(parseJson(stringifyJson(parsed)));
        for (const [i, n] of again.entries()) expect(sameDecimal(String(n), String(got[i]))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('uses plain numbers where a double is exact, bigint beyond ±2^53, JsonNumber for the rest', () => {
    expect(parseJson('[9007199254740991, 9007199254740993, -9223372036854775808, 1.5, 0.1]')).toEqual([
      9007199254740991,
      9007199254740993n,
      -9223372036854775808n,
      1.5,
      0.1,
    ]);
    const [dec, big] = parseJson('[12345678901234567890.12, 1E400]') as JsonNumber[];
    expect(dec).toEqual(new JsonNumber('12345678901234567890.12'));
    expect(big).toEqual(new JsonNumber('1E400'));
    expect(stringifyJson({ a: 9223372036854775807n, b: dec, c: [1, 'x'] })).toBe(
      '{"a":9223372036854775807,"b":12345678901234567890.12,"c":[1,"x"]}',
    );
    // what JSON.parse → JSON.stringify did to the same text
    expect(JSON.stringify(JSON.parse('{"max":9007199254740993}'))).toBe('{"max":9007199254740992}');
  });

  it('sameDecimal compares values, not spellings', () => {
    expect(sameDecimal('1.50E+3', '1500')).toBe(true);
    expect(sameDecimal('-0.0', '0')).toBe(true);
    expect(sameDecimal('0.1', '0.10')).toBe(true);
    expect(sameDecimal('9007199254740993', '9007199254740992')).toBe(false);
    expect(sameDecimal('1e-7', '0.0000001')).toBe(true);
  });
});

describe('setTopLevelMember', () => {
  const statsLike = fc
    .tuple(
      jsonText,
      fc.boolean(),
      fc.constantFrom('', ' ', '\n  '),
      fc.option(fc.boolean(), { nil: undefined }),
    )
    .map(([inner, nested, ws, tight]) => {
      const members = [
        `"numRecords":${inner.numbers.length}`,
        `"minValues":${nested ? `{"tightBounds":${inner.text}}` : inner.text}`,
        ...(tight === undefined ? [] : [`"tightBounds":${tight}`]),
      ];
      return `{${ws}${members.join(`,${ws}`)}${ws}}`;
    });

  it('changes that member only: every other byte stays, numbers are never re-serialized', () => {
    fc.assert(
      fc.property(statsLike, (text) => {
        const out = setTopLevelMember(text, 'tightBounds', 'false');
        const before = topLevelMembers(text);
        const after = topLevelMembers(out);
        const tight = after.find((m) => m.key === 'tightBounds');
        expect(tight && out.slice(tight.valueStart, tight.valueEnd)).toBe('false');
        for (const m of before.filter((x) => x.key !== 'tightBounds')) {
          const n = after.find((x) => x.key === m.key);
          expect(n && out.slice(n.valueStart, n.valueEnd)).toBe(text.slice(m.valueStart, m.valueEnd));
        }
        const old = before.find((m) => m.key === 'tightBounds');
        const rest = old
          ? out.slice(0, old.valueStart) + out.slice(old.valueStart + 'false'.length)
          : out.replace(/,"tightBounds":false(\s*)\}$/, '$1}');
        expect(rest).toBe(old ? text.slice(0, old.valueStart) + text.slice(old.valueEnd) : text);
      }),
      { numRuns: 300 },
    );
  });

  it('an empty object, and text that is not an object', () => {
    expect(setTopLevelMember('{}', 'tightBounds', 'false')).toBe('{"tightBounds":false}');
    expect(() => setTopLevelMember('[1]', 'k', '1')).toThrow(SyntaxError);
  });
});

describe('log lines', () => {
  it('round-trip txn versions, commitInfo numbers and stats beyond 2^53 exactly', () => {
    const text = [
      '{"commitInfo":{"timestamp":1,"highWaterMark":9223372036854775807,"ratio":0.30000000000000004}}',
      '{"txn":{"appId":"a","version":9007199254740993,"lastUpdated":1}}',
      '{"add":{"path":"p","partitionValues":{"k":"-9223372036854775808"},"size":1,"modificationTime":2,"dataChange":true,"stats":"{\\"numRecords\\":1,\\"minValues\\":{\\"l\\":-9223372036854775808},\\"maxValues\\":{\\"l\\":9007199254740993}}","baseRowId":9007199254740995}}',
      '',
    ].join('\n');
    const actions = parseActions(text, 'x.json');
    expect((actions[1] as { txn: { version: unknown } }).txn.version).toBe(9007199254740993n);
    expect(serializeActions(actions)).toBe(text);
  });
});
