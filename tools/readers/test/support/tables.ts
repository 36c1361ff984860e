import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DeltaStructField, DeltaStructType, DeltaType, EncodedRow } from '../../src/index.js';

export const field = (name: string, type: DeltaType, nullable = true): DeltaStructField => ({
  name,
  type,
  nullable,
  metadata: {},
});

/** Every type the encoding covers, all nullable (timestamp_ntz + NOT NULL trips delta-rs#2882, see README). */
export const ALL_TYPES: DeltaStructType = {
  type: 'struct',
  fields: [
    field('id', 'long'),
    field('big', 'long'),
    field('i32', 'integer'),
    field('i16', 'short'),
    field('i8', 'byte'),
    field('flag', 'boolean'),
    field('f64', 'double'),
    field('f32', 'float'),
    field('amount', 'decimal(20,4)'),
    field('wide', 'decimal(38,10)'),
    field('name', 'string'),
    field('bytes', 'binary'),
    field('day', 'date'),
    field('at', 'timestamp'),
    field('wall', 'timestamp_ntz'),
    field('nested', {
      type: 'struct',
      fields: [
        field('a', 'integer'),
        field('tags', { type: 'array', elementType: 'string', containsNull: true }),
      ],
    }),
    field('longs', { type: 'array', elementType: 'long', containsNull: true }),
    field('attrs', { type: 'map', keyType: 'string', valueType: 'long', valueContainsNull: true }),
    field('region', 'string'),
  ],
};

export const ALL_TYPES_ROWS: EncodedRow[] = [
  {
    id: '1',
    big: '9007199254740993', // 2^53 + 1: not a safe JS number
    i32: -2147483648,
    i16: 32767,
    i8: -128,
    flag: true,
    f64: 'NaN',
    f32: 0.10000000149011612, // float32 0.1, widened exactly
    amount: '12345678901234.5678',
    wide: '-1234567890123456789012345678.0123456789',
    name: 'zoë ✓ \u0000 "quoted"',
    bytes: 'AAEC/w==',
    day: '2024-02-29',
    at: '2024-01-02T03:04:05.123456Z',
    wall: '2024-01-02T03:04:05.000001',
    nested: { a: 1, tags: ['x', null] },
    longs: ['-9223372036854775808', '9223372036854775807', null],
    attrs: { k: '-9223372036854775808', empty: null },
    region: 'eu',
  },
  {
    id: '2',
    big: '-9007199254740993',
    i32: 0,
    i16: 0,
    i8: 0,
    flag: false,
    f64: '-Infinity',
    f32: 'Infinity',
    amount: '-0.5000',
    wide: '0.0000000001',
    name: '',
    bytes: '',
    day: '1970-01-01',
    at: '1969-12-31T23:59:59.999999Z',
    wall: '1970-01-01T00:00:00.000000',
    nested: { a: null, tags: [] },
    longs: [],
    attrs: {},
    region: 'us',
  },
  {
    id: '3',
    big: null,
    i32: null,
    i16: null,
    i8: null,
    flag: null,
    f64: 1e300,
    f32: null,
    amount: null,
    wide: null,
    name: null,
    bytes: null,
    day: null,
    at: null,
    wall: null,
    nested: null,
    longs: null,
    attrs: null,
    region: null, // the __HIVE_DEFAULT_PARTITION__
  },
];

/** A fresh directory for tables; removed by the returned cleanup. */
export function scratchDir(prefix: string): {
  dir: string;
  table: (name: string) => string;
  cleanup: () => void;
} {
  const dir = mkdtempSync(join(tmpdir(), `dw-readers-${prefix}-`));
  return {
    dir,
    table: (name) => join(dir, name),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** The parts of a schema that both engines must agree on (field metadata may differ between them). */
export function shape(schema: DeltaStructType): unknown {
  const strip = (t: DeltaType): unknown => {
    if (typeof t === 'string') return t;
    if (t.type === 'struct') return t.fields.map((f) => [f.name, strip(f.type), f.nullable]);
    if (t.type === 'array') return ['array', strip(t.elementType), t.containsNull];
    return ['map', strip(t.keyType), strip(t.valueType), t.valueContainsNull];
  };
  return strip(schema);
}
