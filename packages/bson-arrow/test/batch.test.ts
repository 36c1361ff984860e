import { Int64, type Schema, Type } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { BatchBuilder, CDC_COLUMNS } from '../src/arrow/batch.js';
import { rowsFromTable } from '../src/arrow/read.js';
import { DateTime, ObjectId } from '../src/bson/values.js';
import { encodeMongoEvent, encodeMongoKey } from '../src/debezium/encoder.js';
import { decodeRecord } from '../src/debezium/record.js';
import type { ChangeEvent } from '../src/debezium/types.js';
import { parseExtendedJson } from '../src/ejson/parse.js';
import { fixture } from './helpers.js';

let offset = 0;
function event(after: string, op: 'c' | 'u' | 'd' | 'r' = 'c'): ChangeEvent {
  const doc = parseExtendedJson(after) as Map<string, never>;
  const value = encodeMongoEvent({
    op,
    after: op === 'd' ? null : doc,
    before: op === 'd' ? doc : null,
    tsMs: 1_700_000_000_000 + offset,
    source: { name: 'n', db: 'd', collection: 'c', tsMs: 1_700_000_000_000, ord: offset },
  });
  const r = decodeRecord({ topic: 'n.d.c', partition: 3, offset: offset++, key: null, value });
  if (r.kind !== 'change') throw new Error(JSON.stringify(r));
  return r;
}

function build(docs: string[], options = {}) {
  const b = new BatchBuilder(options);
  for (const d of docs) b.append(event(d));
  return b.finish();
}

const typeOf = (schema: Schema, name: string) => schema.fields.find((f) => f.name === name)?.type.toString();

describe('BatchBuilder: schema inference', () => {
  it('maps BSON types to Arrow types (README table) and reads back the same values', () => {
    const r = build([
      '{"_id": {"$oid": "67ab25755c0d5ac87eb8c632"}, "s": "x", "i": 1, "l": {"$numberLong": "2"}, "d": 1.5, "b": true, "t": {"$date": 1739455297970}, "u": {"$binary": "c//SZESzTGmQ6OfR38A11A==", "$type": "04"}, "bin": {"$binary": "AQI=", "$type": "00"}, "dec": {"$numberDecimal": "1.10"}, "ts": {"$timestamp": {"t": 1, "i": 2}}, "re": {"$regex": "^a", "$options": "i"}, "o": {"x": 1}, "a": [1, 2], "mk": {"$minKey": 1}}',
    ]);
    const s = r.schema;
    expect(typeOf(s, '_id')).toBe('Utf8');
    expect(s.fields.find((f) => f.name === '_id')?.metadata.get('bson.type')).toBe('objectId');
    expect(typeOf(s, 'i')).toBe('Int32');
    expect(typeOf(s, 'l')).toBe('Int64');
    expect(typeOf(s, 'd')).toBe('Float64');
    expect(typeOf(s, 'b')).toBe('Bool');
    expect(typeOf(s, 't')).toBe('Timestamp<MICROSECOND, UTC>');
    expect(typeOf(s, 'u')).toBe('Utf8');
    expect(typeOf(s, 'bin')).toBe('Binary');
    expect(typeOf(s, 'dec')).toBe('Utf8');
    expect(typeOf(s, 'ts')).toBe('Struct<{t:Int64, i:Int64}>');
    expect(typeOf(s, 'o')).toBe('Struct<{x:Int32}>');
    expect(typeOf(s, 'a')).toBe('List<Int32>');
    expect(r.table.getChild('u')?.get(0)).toBe('73ffd264-44b3-4c69-90e8-e7d1dfc035d4');
    expect(r.table.getChild('t')?.data[0]?.values[0]).toBe(1739455297970000n);
    const [row] = rowsFromTable(r.table, { dataOnly: true });
    expect(row?.get('_id')).toEqual(new ObjectId('67ab25755c0d5ac87eb8c632'));
    expect(row?.get('t')).toEqual(new DateTime(1739455297970n));
    expect(row?.get('l')).toBe(2n);
    expect(r.resolutions).toEqual([]);
  });

  it('unions fields, widens int32 → int64, records the widening', () => {
    const r = build([
      '{"_id": 1, "n": 1}',
      '{"_id": 2, "n": {"$numberLong": "5"}, "extra": "x"}',
      '{"_id": 3, "n": {"$numberLong": "9007199254740993"}}',
    ]);
    expect(typeOf(r.schema, 'n')).toBe('Int64');
    expect(r.table.getChild('n')?.toArray()).toEqual(new BigInt64Array([1n, 5n, 9007199254740993n]));
    expect(typeOf(r.schema, 'extra')).toBe('Utf8');
    expect(r.table.getChild('extra')?.toArray()).toEqual([null, 'x', null]);
    expect(r.resolutions).toContainEqual(expect.objectContaining({ kind: 'promoted', path: 'n' }));
  });

  it('a double column takes integers that stay exact; an integer column does not take doubles', () => {
    const d = build(['{"_id": 1, "n": 2.5}', '{"_id": 2, "n": 7}', '{"_id": 3, "n": {"$numberLong": "5"}}']);
    expect(typeOf(d.schema, 'n')).toBe('Float64');
    expect(d.table.getChild('n')?.toArray()).toEqual(new Float64Array([2.5, 7, 5]));
    expect(d.resolutions).toEqual([]);
    // The table's long column cannot become double (Delta has no long → double widening), and one batch must
    // decide like several: the first type keeps the column.
    const i = build(['{"_id": 1, "n": 7}', '{"_id": 2, "n": 2.5}']);
    expect(typeOf(i.schema, 'n')).toBe('Int32');
    expect(i.table.getChild('n__ejson')?.toArray()).toEqual([null, '{"$numberDouble":"2.5"}']);
  });

  it('int64 beyond 2^53 next to a double goes to the overflow column, not through a double', () => {
    const r = build(['{"_id": 1, "n": 0.5}', '{"_id": 2, "n": {"$numberLong": "9007199254740993"}}']);
    expect(typeOf(r.schema, 'n')).toBe('Float64');
    expect(r.table.getChild('n__ejson')?.toArray()).toEqual([null, '{"$numberLong":"9007199254740993"}']);
    expect(rowsFromTable(r.table, { dataOnly: true })[1]?.get('n')).toBe(9007199254740993n);
  });

  it('conflicting types: the first type keeps the column, the others go to <field>__ejson, recorded, read back exactly', () => {
    const r = build(['{"_id": 1, "v": "text"}', '{"_id": 2, "v": {"a": 1}}', '{"_id": 3, "v": [1, "x"]}']);
    expect(typeOf(r.schema, 'v')).toBe('Utf8');
    expect(r.schema.fields.map((f) => f.name)).toEqual(['_id', 'v', 'v__ejson', ...CDC_COLUMNS]);
    expect(r.schema.fields.find((f) => f.name === 'v__ejson')?.metadata.get('bson.overflow_of')).toBe('v');
    expect(r.resolutions).toContainEqual({
      kind: 'overflow',
      path: 'v',
      column: 'v__ejson',
      types: ['array', 'document'],
      detail: expect.stringContaining('2 value(s) do not fit the string column'),
    });
    expect(r.table.getChild('v')?.toArray()).toEqual(['text', null, null]);
    expect(r.table.getChild('v__ejson')?.toArray()).toEqual([
      null,
      '{"a":{"$numberInt":"1"}}',
      '[{"$numberInt":"1"},"x"]',
    ]);
    const rows = rowsFromTable(r.table, { dataOnly: true });
    expect(rows.map((x) => x.get('v'))).toEqual(['text', new Map([['a', 1]]), [1, 'x']]);
  });

  it('an array whose elements do not share one type goes whole to the overflow column', () => {
    const r = build([
      '{"_id": 1, "a": [1, "two", {"three": 3}]}',
      '{"_id": 2, "a": [4, {"$numberLong": "5"}]}',
    ]);
    // The first array types nothing (its elements conflict); the second types the column.
    expect(typeOf(r.schema, 'a')).toBe('List<Int64>');
    expect(r.table.getChild('a__ejson')?.get(0)).toBe(
      '[{"$numberInt":"1"},"two",{"three":{"$numberInt":"3"}}]',
    );
    expect(r.resolutions).toContainEqual(expect.objectContaining({ kind: 'overflow', path: 'a' }));
    expect(rowsFromTable(r.table, { dataOnly: true }).map((x) => x.get('a'))).toEqual([
      [1, 'two', new Map([['three', 3]])],
      [4n, 5n],
    ]);
  });

  it('values without a type of their own (empty documents and arrays) wait in the overflow column', () => {
    const r = build(['{"_id": 1, "e": {}, "l": [], "n": null}']);
    expect(r.resolutions.map((x) => [x.kind, x.path])).toEqual([
      ['null_only', 'n'],
      ['overflow', 'e'],
      ['overflow', 'l'],
    ]);
    expect(r.schema.fields.map((f) => f.name)).toEqual(['_id', 'e__ejson', 'l__ejson', ...CDC_COLUMNS]);
    expect(r.table.getChild('e__ejson')?.get(0)).toBe('{}');
    expect(r.table.getChild('l__ejson')?.get(0)).toBe('[]');
    expect(r.table.getChild('n')).toBeNull();
    // later documents with members type the column; empty ones then fit it
    const later = build(['{"_id": 1, "e": {}}', '{"_id": 2, "e": {"x": 1}}', '{"_id": 3, "e": {}}']);
    expect(typeOf(later.schema, 'e')).toBe('Struct<{x:Int32}>');
    expect(later.table.getChild('e__ejson')?.toArray()).toEqual(['{}', null, null]);
    expect(later.table.getChild('e')?.nullCount).toBe(1);
    const rows = rowsFromTable(later.table, { dataOnly: true });
    expect(rows.map((x) => x.get('e'))).toEqual([new Map(), new Map([['x', 1]]), new Map()]);
  });

  it('a batch without data columns (no events, only empty documents) keeps just the CDC columns', () => {
    const none = new BatchBuilder().finish();
    expect(none.rows).toBe(0);
    expect(none.schema.fields.map((f) => f.name)).toEqual([...CDC_COLUMNS]);
    const empty = new BatchBuilder();
    for (const id of [1, 2]) {
      const value = encodeMongoEvent({
        op: 'c',
        after: new Map(),
        tsMs: 1,
        source: { name: 'n', db: 'd', collection: 'c', tsMs: 1, ord: id },
      });
      const key = encodeMongoKey(id);
      empty.append(decodeRecord({ topic: 't', partition: 0, offset: id, key, value }) as ChangeEvent);
    }
    const r = empty.finish();
    expect(r.rows).toBe(2);
    expect(r.schema.fields.map((f) => f.name)).toEqual([...CDC_COLUMNS]);
    expect(r.resolutions).toEqual([]);
    // and such a schema is a valid target for the next batch
    const next = new BatchBuilder({ targetSchema: none.schema });
    next.append(event('{"_id": 1}'));
    expect(next.finish().schema.fields.map((f) => f.name)).toEqual(['_id', ...CDC_COLUMNS]);
  });

  it('field names Delta/Spark cannot take are renamed deterministically and recorded', () => {
    const r = build([
      '{"_id": 1, "a.b": 1, "": 2, "Name": 3, "name": 4, "x y": 5, "_cdc_op": 6, "tab\\t": 7}',
    ]);
    const names = r.schema.fields.map((f) => f.name);
    expect(names).toEqual(
      expect.arrayContaining(['a_b', '_', 'Name', 'name__2', 'x_y', '_cdc_op__2', 'tab_']),
    );
    expect(r.schema.fields.find((f) => f.name === 'name__2')?.metadata.get('bson.name')).toBe('name');
    expect(r.resolutions.filter((x) => x.kind === 'renamed').map((x) => x.path)).toEqual(
      expect.arrayContaining(['a.b', '', 'name', 'x y', '_cdc_op', 'tab\t']),
    );
    // among colliding names the first to hold a value keeps the bare name — in one batch as across batches
    const again = build(['{"_id": 1, "name": 4, "Name": 3}']);
    expect(again.schema.fields.map((f) => f.name).slice(0, 3)).toEqual(['_id', 'name', 'Name__2']);
    const nullFirst = build(['{"_id": 1, "Name": null, "name": 4}', '{"_id": 2, "Name": 3}']);
    expect(nullFirst.schema.fields.map((f) => f.name).slice(0, 3)).toEqual(['_id', 'name', 'Name__2']);
  });

  it('CDC metadata columns', () => {
    const b = new BatchBuilder();
    const e = event('{"_id": {"$oid": "67ab25755c0d5ac87eb8c632"}, "x": 1}');
    b.append(e);
    const r = b.finish();
    const row = r.table.get(0)?.toJSON() as Record<string, unknown>;
    expect(row._cdc_op).toBe('c');
    expect(row._cdc_key).toBe('{"$oid":"67ab25755c0d5ac87eb8c632"}');
    expect(row._cdc_seq).toBe(e.seq.text);
    expect(row._kafka_topic).toBe('n.d.c');
    expect(row._kafka_partition).toBe(3);
    expect(row._kafka_offset).toBe(e.record.offset);
    expect(r.schema.fields.find((f) => f.name === '_cdc_ts_ms')?.type).toBeInstanceOf(Int64);
  });

  it('partial updates keep their patch in _cdc_patch; the row holds the key', () => {
    const value = JSON.stringify({
      after: null,
      updateDescription: { updatedFields: '{"a.b": 1}', removedFields: ['c'], truncatedArrays: null },
      source: { connector: 'mongodb', ts_ms: 1, ord: 1 },
      op: 'u',
      ts_ms: 2,
    });
    const e = decodeRecord({ topic: 't', partition: 0, offset: 1, key: '{"id":"5"}', value });
    if (e.kind !== 'change') throw new Error('not a change');
    const b = new BatchBuilder();
    b.append(e);
    const r = b.finish();
    expect(r.table.getChild('_cdc_patch')?.get(0)).toBe(
      '{"set":{"a.b":{"$numberInt":"1"}},"unset":["c"],"truncatedArrays":[]}',
    );
    expect(r.table.getChild('_id')?.get(0)).toBe(5);
  });

  it('relational fixtures: decimals, big ints, timestamps', () => {
    const e = decodeRecord({
      topic: 'pg',
      partition: 0,
      offset: 1,
      key: null,
      value: fixture('postgres-2.2.0-update-decimal-with-schema.json'),
    });
    if (e.kind !== 'change') throw new Error('not a change');
    const b = new BatchBuilder();
    b.append(e);
    const r = b.finish();
    expect(typeOf(r.schema, 'decimal_test_5_2')).toBe('Decimal[5e+2]');
    expect(typeOf(r.schema, 'decimal_test_39')).toBe('Utf8'); // precision 39 > Delta's 38
    expect(r.table.getChild('decimal_test_39')?.get(0)).toBe('58569102859845154622791691858438258688');
    expect(typeOf(r.schema, 'decimal_test')).toBe('Utf8'); // variable scale
    expect(String(rowsFromTable(r.table)[0]?.get('decimal_test_5_2'))).toBe('123.45');
  });
});

describe('BatchBuilder: conforming to a target schema', () => {
  it('keeps the table types, sends misfits to an overflow column, adds new fields', () => {
    const first = build(['{"_id": 1, "n": {"$numberLong": "1"}, "s": "a"}']);
    const b = new BatchBuilder({ targetSchema: first.schema });
    b.append(event('{"_id": 2, "n": 7, "s": {"nested": true}, "fresh": 1.5}'));
    b.append(event('{"_id": 3, "n": 8, "s": "b"}'));
    const r = b.finish();
    expect(typeOf(r.schema, 'n')).toBe('Int64'); // int32 values widened into the table's int64
    expect(r.table.getChild('n')?.toArray()).toEqual(new BigInt64Array([7n, 8n]));
    expect(r.table.getChild('s')?.toArray()).toEqual([null, 'b']);
    expect(r.table.getChild('s__ejson')?.toArray()).toEqual(['{"nested":true}', null]);
    expect(r.resolutions).toContainEqual(
      expect.objectContaining({ kind: 'overflow', path: 's', column: 's__ejson', types: ['document'] }),
    );
    expect(r.resolutions).toContainEqual(expect.objectContaining({ kind: 'new_field', path: 'fresh' }));
    expect(r.schema.fields.find((f) => f.name === 'fresh')?.type.typeId).toBe(Type.Float);
    // the overflow column is part of the next target schema: later batches keep filling it
    const next = new BatchBuilder({ targetSchema: r.schema });
    next.append(event('{"_id": 4, "s": [1]}'));
    expect(next.finish().table.getChild('s__ejson')?.get(0)).toBe('[{"$numberInt":"1"}]');
  });
});
