import {
  type DataType,
  parseSchema,
  type StructField,
  type StructType,
  serializeSchema,
} from '@delta-writer/delta-log';
import { RefusalReason } from '@delta-writer/proto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { admitSchemas } from '../src/schema/admission.js';
import { mergeSchema, newTableSchema, type WideningMode } from '../src/schema/merge.js';
import { manifest } from './memory-table.js';

const f = (name: string, type: DataType, nullable = true): StructField => ({
  name,
  type,
  nullable,
  metadata: {},
});
const s = (...fields: StructField[]): StructType => ({ type: 'struct', fields });

describe('mergeSchema', () => {
  it('creates new columns nullable, promoting numeric types to the widest of their kind', () => {
    const files = s(
      f('id', 'integer', false),
      f('price', 'float'),
      f('address', { type: 'struct', fields: [f('zip', 'short', false)] }, false),
      f('tags', { type: 'array', elementType: 'byte', containsNull: false }),
      f('m', { type: 'map', keyType: 'integer', valueType: 'integer', valueContainsNull: false }),
    );
    const created = newTableSchema(files, 'promote');
    expect(created.conflicts).toEqual([]);
    expect(created.schema).toEqual(
      s(
        f('id', 'long'),
        f('price', 'double'),
        f('address', { type: 'struct', fields: [f('zip', 'long')] }),
        f('tags', { type: 'array', elementType: 'long', containsNull: true }),
        f('m', { type: 'map', keyType: 'integer', valueType: 'long', valueContainsNull: true }),
      ),
    );
    // the same files again merge without a change (narrower Parquet types are read as the table's)
    expect(mergeSchema(created.schema, files, 'promote')).toMatchObject({ changed: false, conflicts: [] });
  });

  it('adds top-level and nested columns, keeping the table order first', () => {
    const table = s(f('id', 'long'), f('address', { type: 'struct', fields: [f('city', 'string')] }));
    const files = s(
      f('address', { type: 'struct', fields: [f('zip', 'string'), f('city', 'string')] }),
      f('email', 'string'),
    );
    const merged = mergeSchema(table, files, 'promote');
    expect(merged).toMatchObject({ changed: true, widened: false, conflicts: [] });
    expect(merged.schema).toEqual(
      s(
        f('id', 'long'),
        f('address', { type: 'struct', fields: [f('city', 'string'), f('zip', 'string')] }),
        f('email', 'string'),
      ),
    );
  });

  it.each<[WideningMode, DataType, DataType, { widened?: boolean; conflict?: RegExp }]>([
    ['promote', 'long', 'integer', {}],
    ['promote', 'double', 'integer', {}],
    ['promote', 'double', 'float', {}],
    [
      'promote',
      'integer',
      'long',
      { conflict: /cannot store long in a integer column; widening .*=feature/ },
    ],
    ['promote', 'long', 'double', { conflict: /cannot store double in a long column$/ }],
    ['feature', 'integer', 'long', { widened: true }],
    ['feature', 'integer', 'double', { widened: true }],
    ['feature', 'long', 'double', { conflict: /cannot store double in a long column/ }],
    ['feature', 'long', 'integer', {}],
    ['off', 'long', 'integer', { conflict: /type widening is off/ }],
    ['off', 'integer', 'long', { conflict: /type widening is off/ }],
    ['promote', 'string', 'long', { conflict: /cannot store long in a string column/ }],
    [
      'promote',
      'long',
      { type: 'struct', fields: [] },
      { conflict: /struct in the files cannot be stored in a long/ },
    ],
  ])('%s: table %j, files %j', (mode, tableType, fileType, expected) => {
    const merged = mergeSchema(s(f('x', tableType)), s(f('x', fileType)), mode);
    if (expected.conflict) {
      expect(merged.conflicts).toHaveLength(1);
      expect(merged.conflicts[0]?.path).toBe('x');
      expect(merged.conflicts[0]?.reason).toMatch(expected.conflict);
      expect(merged.schema).toEqual(s(f('x', tableType)));
    } else {
      expect(merged.conflicts).toEqual([]);
      expect(merged.widened).toBe(expected.widened ?? false);
      expect(merged.schema.fields[0]?.type).toEqual(expected.widened ? fileType : tableType);
    }
  });

  it('reports every conflicting column with its path', () => {
    const table = s(
      f('a.b', 'long'),
      f('addr', { type: 'struct', fields: [f('zip', 'long')] }),
      f('tags', { type: 'array', elementType: 'long', containsNull: true }),
      f('m', { type: 'map', keyType: 'string', valueType: 'long', valueContainsNull: true }),
      f('Name', 'string'),
      f('required', 'string', false),
    );
    const files = s(
      f('a.b', 'string'),
      f('addr', { type: 'struct', fields: [f('zip', 'string')] }),
      f('tags', { type: 'array', elementType: 'string', containsNull: true }),
      f('m', { type: 'map', keyType: 'long', valueType: 'long', valueContainsNull: true }),
      f('name', 'string'),
      f('bad name', 'string'),
    );
    const merged = mergeSchema(table, files, 'promote');
    expect(merged.conflicts.map((c) => c.path)).toEqual([
      '`a.b`',
      'addr.zip',
      'tags.element',
      'm.key',
      'Name',
      'required',
      'bad name',
    ]);
    expect(merged.changed).toBe(false);
  });

  it("widens under 'feature' by delta-log's widenings, but never an integer column to a decimal", () => {
    const dec = (precision: number, scale: number): DataType => ({ type: 'decimal', precision, scale });
    const table = s(f('n', 'integer'), f('d', dec(10, 2)), f('day', 'date'), f('i', 'integer'));
    const files = s(f('n', 'long'), f('d', dec(12, 3)), f('day', 'timestamp_ntz'), f('i', dec(12, 0)));
    const merged = mergeSchema(table, files, 'feature');
    expect(merged.conflicts.map((c) => [c.path, c.reason])).toEqual([
      ['i', 'cannot store decimal(12,0) in a integer column'],
    ]);
    const without = mergeSchema(
      table,
      s(f('n', 'long'), f('d', dec(12, 3)), f('day', 'timestamp_ntz')),
      'feature',
    );
    expect(without).toMatchObject({ changed: true, widened: true, conflicts: [] });
    expect(without.schema.fields.map((x) => x.type)).toEqual([
      'long',
      dec(12, 3),
      'timestamp_ntz',
      'integer',
    ]);
    // The same pairs under promote are refused with the setting that would widen them.
    expect(mergeSchema(table, s(f('d', dec(12, 3))), 'promote').conflicts[0]?.reason).toMatch(
      /COMMITTER_TYPE_WIDENING=feature/,
    );
  });

  it('relaxes a NOT NULL table column that the files may leave null', () => {
    const merged = mergeSchema(s(f('id', 'long', false)), s(f('id', 'long', true)), 'off');
    expect(merged).toMatchObject({ changed: true, conflicts: [] });
    expect(merged.schema.fields[0]?.nullable).toBe(true);
  });
});

const names = fc.constantFrom('a', 'b', 'c', 'd', 'e');
const primitive = fc.constantFrom<DataType>(
  'string',
  'long',
  'integer',
  'short',
  'double',
  'float',
  'boolean',
  'date',
);
const { struct: structArb } = fc.letrec<{ type: DataType; struct: StructType }>((tie) => ({
  type: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    primitive,
    tie('struct'),
    fc.record({ type: fc.constant('array' as const), elementType: tie('type'), containsNull: fc.boolean() }),
    fc.record({
      type: fc.constant('map' as const),
      keyType: fc.constant<DataType>('string'),
      valueType: tie('type'),
      valueContainsNull: fc.boolean(),
    }),
  ),
  struct: fc
    .uniqueArray(fc.record({ name: names, type: tie('type'), nullable: fc.boolean() }), {
      selector: (x) => x.name,
      maxLength: 4,
    })
    .map((fields) => ({ type: 'struct' as const, fields: fields.map((x) => ({ ...x, metadata: {} })) })),
}));
const mode = fc.constantFrom<WideningMode>('promote', 'feature', 'off');

describe('mergeSchema properties', () => {
  it('a table created from files takes the same files again without a change', () => {
    fc.assert(
      fc.property(structArb, mode, (files, m) => {
        const created = newTableSchema(files, m);
        expect(created.conflicts).toEqual([]);
        expect(mergeSchema(created.schema, files, m)).toMatchObject({ changed: false, conflicts: [] });
      }),
    );
  });

  it('is idempotent, never drops a table column, and changes nothing when it refuses', () => {
    fc.assert(
      fc.property(structArb, structArb, mode, (table, files, m) => {
        const base = newTableSchema(table, m).schema;
        const merged = mergeSchema(base, files, m);
        if (merged.conflicts.length > 0) {
          expect(merged.schema).toBe(base);
          return;
        }
        expect(merged.schema.fields.slice(0, base.fields.length).map((x) => x.name)).toEqual(
          base.fields.map((x) => x.name),
        );
        for (const file of files.fields) expect(merged.schema.fields.map((x) => x.name)).toContain(file.name);
        expect(mergeSchema(merged.schema, files, m)).toMatchObject({ changed: false, conflicts: [] });
      }),
    );
  });
});

describe('string columns and what their text means (bson.type)', () => {
  const tagged = (name: string, tag?: string): StructField => ({
    name,
    type: 'string',
    nullable: true,
    metadata: tag ? { 'bson.type': tag } : {},
  });
  it('refuses files whose text encodes a column differently from the table, accepts the same encoding', () => {
    const table = s(tagged('discount'), tagged('_id', 'objectId'), tagged('x', 'regex'));
    expect(mergeSchema(table, s(tagged('discount', 'ejson')), 'promote').conflicts).toMatchObject([
      { path: 'discount', reason: expect.stringContaining('plain text in the table but Extended JSON') },
    ]);
    expect(mergeSchema(table, s(tagged('_id')), 'promote').conflicts).toHaveLength(1);
    expect(
      mergeSchema(table, s(tagged('discount'), tagged('_id', 'objectId'), tagged('x', 'ejson')), 'promote'),
    ).toMatchObject({ conflicts: [], changed: false });
  });
});

describe('admitSchemas', () => {
  const json = (x: StructType) => serializeSchema(x);

  it('merges manifests in order and refuses an incompatible one with per-column conflicts', () => {
    const admission = admitSchemas({
      tableSchemaJson: json(s(f('id', 'long'))),
      exists: true,
      mode: 'promote',
    });
    expect(
      admission.admit(manifest(0, 0, 1, { deltaSchemaJson: json(s(f('id', 'long'), f('x', 'string'))) })),
    ).toBe(undefined);
    const refusal = admission.admit(manifest(0, 2, 3, { deltaSchemaJson: json(s(f('x', 'long'))) }));
    expect(refusal).toMatchObject({
      reason: RefusalReason.SCHEMA_INCOMPATIBLE,
      schemaConflicts: [{ columnPath: 'x', tableTypeJson: '"string"', fileTypeJson: '"long"' }],
    });
    expect(admission.changed).toBe(true);
    expect(parseSchema(admission.schemaJson)).toEqual(s(f('id', 'long'), f('x', 'string')));
  });

  it('hands the merged schema on in Delta JSON, where a decimal is "decimal(p,s)"', () => {
    const amount = f('amount', { type: 'decimal', precision: 12, scale: 2 });
    const admission = admitSchemas({ tableSchemaJson: '', exists: false, mode: 'promote' });
    expect(admission.admit(manifest(0, 0, 1, { deltaSchemaJson: json(s(f('id', 'long'), amount)) }))).toBe(
      undefined,
    );
    expect(admission.schemaJson).toContain('"type":"decimal(12,2)"');
    expect(parseSchema(admission.schemaJson)).toEqual(s(f('id', 'long'), amount));
    const refusal = admitSchemas({ tableSchemaJson: admission.schemaJson, exists: true, mode: 'off' }).admit(
      manifest(0, 2, 3, { deltaSchemaJson: json(s(f('amount', 'string'))) }),
    );
    expect(refusal?.schemaConflicts).toMatchObject([
      { tableTypeJson: '"decimal(12,2)"', fileTypeJson: '"string"' },
    ]);
  });

  it("refuses a new table whose partition columns are not in the files' schema", () => {
    const admission = admitSchemas({ tableSchemaJson: '', exists: false, mode: 'promote' });
    const refusal = admission.admit(
      manifest(0, 0, 1, { deltaSchemaJson: json(s(f('id', 'long'))), partitionColumns: ['day'] }),
    );
    expect(refusal?.reason).toBe(RefusalReason.PARTITIONING_MISMATCH);
  });

  it('admits a manifest without files (no schema) on an existing table', () => {
    const admission = admitSchemas({ tableSchemaJson: json(s(f('id', 'long'))), exists: true, mode: 'off' });
    expect(admission.admit(manifest(0, 0, 1, { deltaSchemaJson: '', files: [] }))).toBeUndefined();
    expect(admission.changed).toBe(false);
  });
});
