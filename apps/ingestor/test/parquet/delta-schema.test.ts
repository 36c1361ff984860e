import {
  Binary,
  Bool,
  DateDay,
  Decimal,
  Field,
  Float16,
  Float32,
  Float64,
  Int8,
  Int16,
  Int32,
  Int64,
  List,
  Map_,
  Schema,
  Struct,
  TimestampMicrosecond,
  TimestampNanosecond,
  Uint32,
  Utf8,
} from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { deltaSchemaOf, UnsupportedTypeError } from '../../src/parquet/delta-schema.js';

describe('deltaSchemaOf', () => {
  it('maps every supported Arrow type to its Delta name', () => {
    const schema = new Schema([
      new Field('b', new Int8(), true),
      new Field('s', new Int16(), true),
      new Field('i', new Int32(), false),
      new Field('l', new Int64(), true),
      new Field('f', new Float32(), true),
      new Field('d', new Float64(), true),
      new Field('str', new Utf8(), true),
      new Field('bin', new Binary(), true),
      new Field('bool', new Bool(), true),
      new Field('day', new DateDay(), true),
      new Field('ts', new TimestampMicrosecond('UTC'), true),
      new Field('ntz', new TimestampMicrosecond(), true),
      new Field('dec', new Decimal(2, 10, 128), true),
      new Field('st', new Struct([new Field('x', new Utf8(), true)]), true),
      new Field('arr', new List(new Field('element', new Int64(), false)), true),
      new Field(
        'm',
        new Map_(
          new Field(
            'entries',
            new Struct<{ key: Utf8; value: Int32 }>([
              new Field('key', new Utf8(), false),
              new Field('value', new Int32(), true),
            ]) as never,
            false,
          ),
        ),
        true,
      ),
    ]);
    const delta = JSON.parse(deltaSchemaOf(schema));
    expect(delta.type).toBe('struct');
    expect(delta.fields.map((f: { name: string; type: unknown }) => [f.name, f.type])).toEqual([
      ['b', 'byte'],
      ['s', 'short'],
      ['i', 'integer'],
      ['l', 'long'],
      ['f', 'float'],
      ['d', 'double'],
      ['str', 'string'],
      ['bin', 'binary'],
      ['bool', 'boolean'],
      ['day', 'date'],
      ['ts', 'timestamp'],
      ['ntz', 'timestamp_ntz'],
      ['dec', 'decimal(10,2)'],
      ['st', { type: 'struct', fields: [{ name: 'x', type: 'string', nullable: true, metadata: {} }] }],
      ['arr', { type: 'array', elementType: 'long', containsNull: false }],
      ['m', { type: 'map', keyType: 'string', valueType: 'integer', valueContainsNull: true }],
    ]);
    expect(delta.fields[2].nullable).toBe(false);
  });

  it('leaves out partition columns', () => {
    const schema = new Schema([new Field('p', new Utf8(), true), new Field('v', new Int32(), true)]);
    expect(
      JSON.parse(deltaSchemaOf(schema, { skipColumns: ['p'] })).fields.map((f: { name: string }) => f.name),
    ).toEqual(['v']);
  });

  it.each([
    ['unsigned', new Uint32()],
    ['half float', new Float16()],
    ['nanosecond timestamp', new TimestampNanosecond('UTC')],
  ])('refuses %s, naming the column', (_, type) => {
    const schema = new Schema([new Field('st', new Struct([new Field('bad', type, true)]), true)]);
    expect(() => deltaSchemaOf(schema)).toThrow(UnsupportedTypeError);
    expect(() => deltaSchemaOf(schema)).toThrow(/st\.bad/);
  });
});
