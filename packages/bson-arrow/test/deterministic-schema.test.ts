/**
 * A table's schema and rows must not depend on where flushes cut the stream: the same events, built as one batch
 * or as several batches each conformed to the schema the earlier ones left (the way the ingestor builds against
 * the table schema the committer merged), give the same columns, types, field metadata, column order and the same
 * values in the same columns. This is the one rule for conflicting types (README "Schema inference"): the first
 * type seen keeps the column, int32 widens to int64, every other misfit goes to the `<field>__ejson` overflow
 * column — in the first batch exactly as in later ones.
 */
import {
  type Data,
  type DataType,
  type Field,
  Int64,
  List,
  type Schema,
  Struct,
  type Table,
  Type,
} from 'apache-arrow';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BatchBuilder, CDC_COLUMNS } from '../src/arrow/batch.js';
import { rowsFromTable } from '../src/arrow/read.js';
import { type BsonDocument, type BsonValue, SqlDecimal } from '../src/bson/values.js';
import { encodeMongoEvent } from '../src/debezium/encoder.js';
import { Decoder } from '../src/debezium/record.js';
import { sequenceOf } from '../src/debezium/sequence.js';
import type { ChangeEvent } from '../src/debezium/types.js';
import { parseExtendedJson } from '../src/ejson/parse.js';
import { stringifyExtendedJson } from '../src/ejson/stringify.js';
import { mongoDocument as anyDocument, bsonValue, hasDbPointer, looseEqual } from './arbitraries.js';

const CDC = new Set<string>(CDC_COLUMNS);

/** Documents over a few shared fields whose values change type often, plus the usual random documents. */
const conflictingDocument: fc.Arbitrary<BsonDocument> = fc
  .tuple(
    fc.integer(),
    fc.uniqueArray(
      fc.tuple(
        fc.constantFrom('v', 'w', 'nested', 'list', 'Name', 'name'),
        fc.oneof(
          bsonValue,
          fc.constantFrom<BsonValue>(
            1,
            2n ** 40n,
            2n ** 60n,
            1.5,
            'text',
            new Map(),
            new Map([['x', 1]]),
            new Map([['x', 'one']]),
            new Map([['x', null]]),
            [],
            [null],
            [1, 2],
            [2n ** 40n],
            [1, 'two'],
            [new Map()],
            [new Map(), new Map([['y', true]])],
            [[], [1]],
            [[]],
          ),
        ),
      ),
      { maxLength: 4, selector: ([k]) => k },
    ),
  )
  .map(([id, entries]) => new Map<string, BsonValue>([['_id', id], ...entries]));

const streamDocument = fc.oneof(anyDocument, conflictingDocument).filter((d) => !hasDbPointer(d));

/** The committer's default `COMMITTER_TYPE_WIDENING=promote`: integer columns are created as long. */
function promote(schema: Schema): Field[] {
  return schema.fields.map(promoteField);
}
function promoteField(f: Field): Field {
  return f.clone({ type: promoteType(f.type) });
}
function promoteType(t: DataType): DataType {
  if (t.typeId === Type.Int) return new Int64();
  const children = (t as unknown as { children?: Field[] }).children;
  if (t.typeId === Type.Struct) return new Struct((children as Field[]).map(promoteField));
  if (t.typeId === Type.List) return new List(promoteField((children as Field[])[0] as Field));
  return t;
}

/** A schema as text: names, types, nullability and field metadata, in order (CDC columns left out). */
function describeFields(fields: readonly Field[]): string[] {
  return fields.filter((f) => !CDC.has(f.name)).map(describeField);
}
function describeField(f: Field): string {
  const meta = [...f.metadata].sort(([a], [b]) => (a < b ? -1 : 1));
  const kids = (f.type as unknown as { children?: Field[] }).children;
  const type = kids ? `${Type[f.type.typeId]}<${kids.map(describeField).join(', ')}>` : String(f.type);
  return `${f.name}: ${type}${meta.length ? ` ${JSON.stringify(meta)}` : ''}`;
}

/**
 * The rows as stored, column by column: values as a reader that upcasts narrower integer files sees them (int32
 * and int64 both as integers), nulls left out. Two tables are the same table iff these are equal.
 */
function physicalRows(table: Table): unknown[] {
  const out: unknown[] = [];
  for (const batch of table.batches) {
    const fields = batch.schema.fields;
    for (let i = 0; i < batch.numRows; i++) {
      const row: Record<string, unknown> = {};
      fields.forEach((f, j) => {
        const v = physical(batch.data.children[j] as Data, f, i);
        if (v !== null) row[f.name] = v;
      });
      out.push(row);
    }
  }
  return out;
}
function physical(data: Data, field: Field, i: number): unknown {
  if (data.typeId === Type.Null || !data.getValid(i)) return null;
  const j = data.offset + i;
  switch (data.typeId) {
    case Type.Struct: {
      const row: Record<string, unknown> = {};
      const fields = (field.type as unknown as { children: Field[] }).children;
      fields.forEach((f, k) => {
        const v = physical(data.children[k] as Data, f, j);
        if (v !== null) row[f.name] = v;
      });
      return row;
    }
    case Type.List: {
      const offsets = data.valueOffsets as Int32Array;
      const el = (field.type as unknown as { children: Field[] }).children[0] as Field;
      const out: unknown[] = [];
      for (let k = offsets[j] as number; k < (offsets[j + 1] as number); k++)
        out.push(physical(data.children[0] as Data, el, k));
      return out;
    }
    case Type.Int:
      return `int ${BigInt((data.values as ArrayLike<number | bigint>)[j] as number | bigint)}`;
    case Type.Float: {
      const d = (data.values as Float64Array)[j] as number;
      return `double ${Object.is(d, -0) ? '-0' : String(d)}`;
    }
    case Type.Bool:
      return (((data.values[j >> 3] as number) >> (j & 7)) & 1) === 1;
    case Type.Timestamp:
    case Type.Date:
      return `${Type[data.typeId]} ${(data.values as ArrayLike<number | bigint>)[j]}`;
    case Type.Decimal: {
      const w = data.values as Uint32Array;
      let n = 0n;
      for (let k = 3; k >= 0; k--) n = (n << 32n) | BigInt(w[j * 4 + k] as number);
      return `decimal ${BigInt.asIntN(128, n)}`;
    }
    case Type.Utf8:
    case Type.Binary: {
      const offsets = data.valueOffsets as Int32Array;
      const bytes = (data.values as Uint8Array).subarray(offsets[j] as number, offsets[j + 1] as number);
      return data.typeId === Type.Utf8
        ? Buffer.from(bytes).toString('utf8')
        : Buffer.from(bytes).toString('hex');
    }
    default:
      throw new Error(`unexpected Arrow type ${String(data.type)}`);
  }
}

function mongoEvents(docs: BsonDocument[], fastPath: boolean): ChangeEvent[] {
  const decoder = new Decoder({ fastPath });
  return docs.map((doc, i) => {
    const value = encodeMongoEvent({
      op: 'c',
      after: doc,
      tsMs: i,
      source: { name: 'n', db: 'd', collection: 'c', tsMs: 1000, ord: i },
    });
    const e = decoder.decode({ topic: 't', partition: 0, offset: i, key: null, value });
    if (e.kind !== 'change') throw new Error(`not a change: ${JSON.stringify(e)}`);
    return e;
  });
}

interface Built {
  schema: Schema;
  table: Table;
  resolutions: unknown[];
}

/** The events as batches cut before each index of `cuts`, each built against the schema the earlier ones left. */
function buildSplit(events: ChangeEvent[], cuts: number[], carry: (s: Schema) => Schema): Built[] {
  const bounds = [0, ...[...new Set(cuts)].sort((a, b) => a - b).filter((c) => c > 0 && c < events.length)];
  let target: Schema | null = null;
  const out: Built[] = [];
  for (const [k, start] of bounds.entries()) {
    const b = new BatchBuilder({ targetSchema: target });
    for (const e of events.slice(start, bounds[k + 1] ?? events.length)) b.append(e);
    const r = b.finish();
    out.push(r);
    target = carry(r.schema);
  }
  return out;
}

const asIs = (s: Schema) => s;
const promoted = (s: Schema) => new (s.constructor as typeof Schema)(promote(s), s.metadata);

function checkSplitsAgree(
  events: ChangeEvent[],
  cuts: number[],
  docs: BsonDocument[],
  equal: (a: BsonValue, b: BsonValue) => boolean = looseEqual,
): void {
  const whole = buildSplit(events, [], asIs)[0] as Built;
  for (const carry of [asIs, promoted]) {
    const parts = buildSplit(events, cuts, carry);
    const last = parts[parts.length - 1] as Built;
    const finalWhole = carry === asIs ? whole.schema.fields : promote(whole.schema);
    const finalSplit = carry === asIs ? last.schema.fields : promote(last.schema);
    expect(describeFields(finalSplit)).toEqual(describeFields(finalWhole));
    expect(parts.flatMap((p) => physicalRows(p.table))).toEqual(physicalRows(whole.table));
  }
  // and nothing is lost: the rows read back (overflow values included) are the documents
  const rows = rowsFromTable(whole.table, { dataOnly: true });
  rows.forEach((row, i) => {
    if (!equal(row, docs[i] as BsonDocument))
      throw new Error(
        `row ${i}: got ${stringifyExtendedJson(row)}, expected ${stringifyExtendedJson(docs[i] as BsonDocument)}`,
      );
  });
}

describe('the schema does not depend on batch boundaries', () => {
  for (const fastPath of [true, false]) {
    it(`random streams cut at random places give the same schema and rows (${fastPath ? 'token tape' : 'documents'})`, () => {
      fc.assert(
        fc.property(
          fc.array(streamDocument, { minLength: 1, maxLength: 12 }),
          fc.array(fc.nat({ max: 12 }), { maxLength: 6 }),
          (docs, cuts) => checkSplitsAgree(mongoEvents(docs, fastPath), cuts, docs),
        ),
        { numRuns: 200 },
      );
    });
  }

  it('the reported case: an integer field that is sometimes a string keeps its long column, both ways', () => {
    const docs = ['{"_id": 1, "v": 886}', '{"_id": 2, "v": "886a"}', '{"_id": 3, "v": 7}'].map(
      (t) => parseExtendedJson(t) as BsonDocument,
    );
    const events = mongoEvents(docs, true);
    for (const cuts of [[], [1], [2], [1, 2]]) checkSplitsAgree(events, cuts, docs);
    const [whole] = buildSplit(events, [], asIs);
    expect(describeFields(whole?.schema.fields ?? [])).toEqual([
      '_id: Int32',
      'v: Int32',
      'v__ejson: Utf8 [["bson.overflow_of","v"],["bson.type","ejson"]]',
    ]);
    expect(whole?.table.getChild('v')?.toArray()).toEqual(new Int32Array([886, 0, 7]));
    expect(whole?.table.getChild('v')?.nullCount).toBe(1);
    expect(whole?.table.getChild('v__ejson')?.toArray()).toEqual([null, '"886a"', null]);
  });

  it('relational decimals: one column type from the first value; values that do not fit it overflow', () => {
    const rows = [
      new SqlDecimal(12345n, 2, 10),
      new SqlDecimal(99n, 2, 20), // declared wider, but its digits fit decimal(10,2)
      new SqlDecimal(123456789012n, 2, 20), // 12 digits: not decimal(10,2)
      new SqlDecimal(5n, 3, 10), // another scale
    ];
    const events = rows.map((d, i) => relational(new Map([['d', d]]), i));
    const docs = rows.map((d) => new Map([['d', d]]) as BsonDocument);
    // An overflowing relational decimal reads back as Decimal128 (its Extended JSON): the same number.
    const sameText = (a: BsonValue, b: BsonValue) => stringifyExtendedJson(a) === stringifyExtendedJson(b);
    for (const cuts of [[], [1], [2], [3], [1, 2, 3]]) checkSplitsAgree(events, cuts, docs, sameText);
    const [whole] = buildSplit(events, [], asIs);
    expect(describeFields(whole?.schema.fields ?? [])).toEqual([
      'd: Decimal[10e+2]',
      'd__ejson: Utf8 [["bson.overflow_of","d"],["bson.type","ejson"]]',
    ]);
    expect(whole?.table.getChild('d__ejson')?.toArray()).toEqual([
      null,
      null,
      '{"$numberDecimal":"1234567890.12"}',
      '{"$numberDecimal":"0.005"}',
    ]);
  });
});

describe('relational arrays', () => {
  it('an empty array whose Connect schema declares its elements types the column like a non-empty one', () => {
    const value = (scores: number[]) =>
      JSON.stringify({
        schema: {
          type: 'struct',
          fields: [
            {
              type: 'struct',
              optional: true,
              field: 'after',
              fields: [
                { type: 'int32', optional: false, field: 'id' },
                { type: 'array', optional: true, field: 'scores', items: { type: 'int32', optional: true } },
              ],
            },
            { type: 'struct', optional: false, field: 'source', fields: [] },
            { type: 'string', optional: false, field: 'op' },
          ],
        },
        payload: {
          after: { id: scores.length, scores },
          source: { connector: 'postgresql', lsn: 1, ts_ms: 1 },
          op: 'c',
        },
      });
    const decoder = new Decoder({ connector: 'relational' });
    const events = [[], [1, 2], []].map((scores, i) => {
      const e = decoder.decode({
        topic: 'pg.public.t',
        partition: 0,
        offset: i,
        key: null,
        value: value(scores),
      });
      if (e.kind !== 'change') throw new Error(JSON.stringify(e));
      return e;
    });
    const docs = events.map((e) => e.after as BsonDocument);
    for (const cuts of [[], [1], [2], [1, 2]]) checkSplitsAgree(events, cuts, docs);
    const [whole] = buildSplit(events, [], asIs);
    expect(describeFields(whole?.schema.fields ?? [])).toEqual(['id: Int32', 'scores: List<element: Int32>']);
    expect(whole?.resolutions).toEqual([]);
  });
});

function relational(after: BsonDocument, i: number): ChangeEvent {
  return {
    kind: 'change',
    op: 'c',
    connector: 'relational',
    source: {
      connector: 'postgresql',
      name: 'n',
      db: 'd',
      collection: 's.t',
      snapshot: null,
      version: null,
      txId: null,
    },
    key: null,
    keyCanonical: null,
    after,
    before: null,
    patch: null,
    unavailable: [],
    tsMs: 1,
    sourceTsMs: 1,
    seq: sequenceOf([i, i]),
    record: { topic: 't', partition: 0, offset: BigInt(i), timestampMs: null },
  };
}
