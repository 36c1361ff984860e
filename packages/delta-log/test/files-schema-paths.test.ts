/** `@delta-writer/delta-log/files`: the Delta schema of Arrow data and back, partition paths and file names. */
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
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  arrowSchemaOfDelta,
  dataFileLocation,
  dataFileName,
  deltaSchemaOfArrow,
  escapePartitionPathSegment,
  HIVE_NULL_PARTITION,
  partitionDirectory,
  serializeSchema,
  UnsupportedArrowTypeError,
} from '../src/files/index.js';

const deltaSchemaOf = (schema: Schema, options = {}) => serializeSchema(deltaSchemaOfArrow(schema, options));

describe('deltaSchemaOfArrow', () => {
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

  it('keeps field metadata both ways, and reads back the Arrow schema it came from', () => {
    const meta = new Map([
      ['bson.type', 'objectId'],
      ['bson.name', 'a b'],
    ]);
    const schema = new Schema([
      new Field('a_b', new Utf8(), true, meta),
      new Field('st', new Struct([new Field('t', new TimestampMicrosecond('UTC'), true, meta)]), true),
      new Field('arr', new List(new Field('element', new Decimal(2, 10, 128), true)), true),
    ]);
    const delta = deltaSchemaOfArrow(schema);
    expect(delta.fields[0]?.metadata).toEqual({ 'bson.type': 'objectId', 'bson.name': 'a b' });
    const back = arrowSchemaOfDelta(delta);
    expect(String(back)).toBe(String(schema));
    expect(back.fields[0]?.metadata).toEqual(meta);
    expect(((back.fields[1] as Field).type as Struct).children[0]?.metadata).toEqual(meta);
  });

  it('adds the partition columns a batch lacks as strings', () => {
    const schema = new Schema([new Field('v', new Int32(), true)]);
    expect(deltaSchemaOfArrow(schema, { ensureColumns: ['day', 'v'] }).fields).toEqual([
      { name: 'v', type: 'integer', nullable: true, metadata: {} },
      { name: 'day', type: 'string', nullable: true, metadata: {} },
    ]);
  });

  it.each([
    ['unsigned', new Uint32()],
    ['half float', new Float16()],
    ['nanosecond timestamp', new TimestampNanosecond('UTC')],
  ])('refuses %s, naming the column', (_, type) => {
    const schema = new Schema([new Field('st', new Struct([new Field('bad', type, true)]), true)]);
    expect(() => deltaSchemaOf(schema)).toThrow(UnsupportedArrowTypeError);
    expect(() => deltaSchemaOf(schema)).toThrow(/st\.bad/);
  });
});

describe('data file names', () => {
  it('follows the Spark pattern with the codec', () => {
    expect(dataFileName(3, 'zstd', '0f8fad5b-d9cb-469f-a165-70867728950e')).toBe(
      'part-00003-0f8fad5b-d9cb-469f-a165-70867728950e-c000.zstd.parquet',
    );
    expect(dataFileName(12, 'uncompressed', 'u-u-u-u-u')).toBe('part-00012-u-u-u-u-u-c000.parquet');
  });
});

describe('partition paths', () => {
  it('escapes like Spark (golden: data-reader-partition-values)', () => {
    const dir = partitionDirectory(['as_timestamp'], { as_timestamp: '2021-09-08 11:11:11' });
    expect(dir).toBe('as_timestamp=2021-09-08 11%3A11%3A11');
    expect(dataFileLocation(dir, 'f.parquet').addPath).toBe(
      'as_timestamp=2021-09-08%2011%253A11%253A11/f.parquet',
    );
  });

  it('writes nulls and empty strings as the Hive default partition', () => {
    expect(partitionDirectory(['a', 'b'], { a: null, b: '' })).toBe(
      `a=${HIVE_NULL_PARTITION}/b=${HIVE_NULL_PARTITION}`,
    );
  });

  it('is unpartitioned without columns', () => {
    expect(partitionDirectory([], {})).toBe('');
    expect(dataFileLocation('', 'part-1.parquet')).toEqual({
      relativeKey: 'part-1.parquet',
      addPath: 'part-1.parquet',
    });
  });

  it('never lets a value add a path segment, and decodes back to the value (property)', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 30 }).filter((s) => !/\p{Cs}/u.test(s)),
        (v) => {
          const escaped = escapePartitionPathSegment(v);
          expect(escaped).not.toContain('/');
          expect(escaped.split('=')).toHaveLength(1);
          expect(decodeURIComponent(escaped)).toBe(v);
          const { relativeKey, addPath } = dataFileLocation(`p=${escaped}`, 'f.parquet');
          expect(decodeURIComponent(addPath)).toBe(relativeKey);
        },
      ),
    );
  });
});
