import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BatchBuilder } from '../src/arrow/batch.js';
import { rowsFromTable } from '../src/arrow/read.js';
import { decodeBson, encodeBson } from '../src/bson/codec.js';
import { type BsonDocument, type BsonValue, bsonEquals } from '../src/bson/values.js';
import { encodeMongoEvent, encodeMongoKey } from '../src/debezium/encoder.js';
import { canonicalKey } from '../src/debezium/key.js';
import { Decoder } from '../src/debezium/record.js';
import type { ChangeEvent } from '../src/debezium/types.js';
import { parseExtendedJson } from '../src/ejson/parse.js';
import { type EjsonMode, type EjsonStyle, stringifyExtendedJson } from '../src/ejson/stringify.js';
import { mongoDocument as anyDocument, bsonValue, hasDbPointer, looseEqual } from './arbitraries.js';

const mongoDocument = anyDocument.filter((d) => !hasDbPointer(d));

const RUNS = { numRuns: 300 };

function asRelaxedKey(v: BsonValue): BsonValue {
  if (typeof v === 'bigint') return v >= -(2n ** 31n) && v < 2n ** 31n ? Number(v) : v;
  if (Array.isArray(v)) return v.map(asRelaxedKey);
  if (v instanceof Map) return new Map([...v].map(([k, x]) => [k, asRelaxedKey(x)]));
  return v;
}

describe('properties', () => {
  it('Extended JSON canonical and v1 strict round-trip every BSON value exactly', () => {
    const modes = fc.constantFrom<[EjsonMode, EjsonStyle]>(
      ['canonical', 'compact'],
      ['canonical', 'java'],
      ['legacy', 'java'],
      ['legacy', 'compact'],
    );
    fc.assert(
      fc.property(bsonValue, modes, (v, [mode, style]) => {
        fc.pre(mode !== 'legacy' || !hasDbPointer(v));
        const text = stringifyExtendedJson(v, { mode, style });
        expect(bsonEquals(parseExtendedJson(text, { maxDepth: 1000 }), v)).toBe(true);
      }),
      RUNS,
    );
  });

  it('BSON binary round-trips every document exactly', () => {
    fc.assert(
      fc.property(anyDocument, (doc) => {
        expect(bsonEquals(decodeBson(encodeBson(doc)), doc)).toBe(true);
      }),
      RUNS,
    );
  });

  it('document → Debezium event (any dialect, with/without schema) → decoded event with the same document and key', () => {
    const dialect = fc.constantFrom('legacy', 'strict', 'extended') as fc.Arbitrary<
      'legacy' | 'strict' | 'extended'
    >;
    fc.assert(
      fc.property(
        mongoDocument,
        dialect,
        fc.boolean(),
        fc.constantFrom('c', 'u', 'r', 'd'),
        (doc, serialization, schemas, op) => {
          const id = doc.get('_id') ?? null;
          const value = encodeMongoEvent(
            {
              op: op as 'c',
              after: op === 'd' ? null : doc,
              before: op === 'd' ? doc : null,
              tsMs: 1,
              source: { name: 'n', db: 'd', collection: 'c', tsMs: 1000, ord: 1 },
            },
            { serialization, schemas },
          );
          const key = encodeMongoKey(id, { schemas });
          const e = new Decoder().decode({ topic: 't', partition: 0, offset: 0, key, value });
          expect(e.kind).toBe('change');
          const ev = e as ChangeEvent;
          expect(bsonEquals(ev.after ?? (ev.before as BsonDocument), doc)).toBe(true);
          // The key keeps the types the Kafka key carries: relaxed Extended JSON, an Int64 within 32 bits
          // reads as an Int32 there.
          expect(ev.keyCanonical).toBe(canonicalKey(asRelaxedKey(id)));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('documents → Arrow batch → rows read back equal the originals (modulo declared promotions)', () => {
    fc.assert(
      fc.property(fc.array(mongoDocument, { minLength: 1, maxLength: 8 }), (docs) => {
        const decoder = new Decoder();
        const batch = new BatchBuilder();
        docs.forEach((doc, i) => {
          const value = encodeMongoEvent({
            op: 'c',
            after: doc,
            tsMs: i,
            source: { name: 'n', db: 'd', collection: 'c', tsMs: 1000, ord: i },
          });
          batch.append(
            decoder.decode({ topic: 't', partition: 0, offset: i, key: null, value }) as ChangeEvent,
          );
        });
        const result = batch.finish();
        const rows = rowsFromTable(result.table, { dataOnly: true });
        expect(rows.length).toBe(docs.length);
        rows.forEach((row, i) => {
          if (!looseEqual(row, docs[i] as BsonDocument)) {
            throw new Error(
              `row ${i} differs:\n  got      ${stringifyExtendedJson(row)}\n  expected ${stringifyExtendedJson(docs[i] as BsonDocument)}\n  resolutions ${JSON.stringify(result.resolutions)}`,
            );
          }
        });
      }),
      { numRuns: 200 },
    );
  });

  it('a batch built against its own schema needs no new column and sends no more to overflow columns', () => {
    fc.assert(
      fc.property(fc.array(mongoDocument, { minLength: 1, maxLength: 6 }), (docs) => {
        const events = docs.map((doc, i) => {
          const value = encodeMongoEvent({
            op: 'c',
            after: doc,
            tsMs: i,
            source: { name: 'n', db: 'd', collection: 'c', tsMs: 1, ord: i },
          });
          return new Decoder().decode({
            topic: 't',
            partition: 0,
            offset: i,
            key: null,
            value,
          }) as ChangeEvent;
        });
        const first = new BatchBuilder();
        for (const e of events) first.append(e);
        const a = first.finish();
        const again = new BatchBuilder({ targetSchema: a.schema });
        for (const e of events) again.append(e);
        const b = again.finish();
        expect(b.resolutions.filter((r) => r.kind === 'new_field' || r.kind === 'promoted')).toEqual([]);
        // Against the finished schema a value can only find more room, never less: an empty array or document
        // that waited in an overflow column for its field's first typed value (README "Schema inference") fits
        // the typed column now. Every other value goes where it went.
        const overflows = (x: typeof a) =>
          new Map(
            x.resolutions.flatMap((r) =>
              r.kind === 'overflow' ? [[r.column, new Set(r.types)] as const] : [],
            ),
          );
        const before = overflows(a);
        for (const [column, types] of overflows(b)) {
          expect(before.has(column)).toBe(true);
          for (const t of types) expect(before.get(column)?.has(t)).toBe(true);
        }
        expect(b.schema.fields.map((f) => f.name)).toEqual(a.schema.fields.map((f) => f.name));
        const rows = rowsFromTable(b.table, { dataOnly: true });
        for (const [i, row] of rows.entries()) expect(looseEqual(row, docs[i] as BsonDocument)).toBe(true);
      }),
      { numRuns: 100 },
    );
  });
});
