import type { DataType, StructType } from '@delta-writer/delta-log';
import { describe, expect, it } from 'vitest';
import { admitSchemas } from '../src/schema/admission.js';
import { schemaSize } from '../src/schema/limits.js';
import { manifest } from './memory-table.js';

const wide = (n: number): StructType => ({
  type: 'struct',
  fields: Array.from({ length: n }, (_, i) => ({
    name: `f${i}`,
    type: 'long',
    nullable: true,
    metadata: {},
  })),
});
function deep(levels: number): StructType {
  let type: DataType = 'long';
  for (let i = 1; i < levels; i++)
    type = { type: 'struct', fields: [{ name: 'a', type, nullable: true, metadata: {} }] };
  return { type: 'struct', fields: [{ name: 'a', type, nullable: true, metadata: {} }] };
}
const limits = { maxColumns: 1_000, maxDepth: 100 };

describe('table schema limits', () => {
  it('measures columns at every level and the nesting depth', () => {
    expect(schemaSize(wide(3))).toEqual({ columns: 3, depth: 1 });
    expect(schemaSize(deep(5))).toEqual({ columns: 5, depth: 5 });
    const nested: StructType = {
      type: 'struct',
      fields: [
        {
          name: 'm',
          type: {
            type: 'map',
            keyType: 'string',
            valueType: { type: 'array', elementType: 'long', containsNull: true },
            valueContainsNull: true,
          },
          nullable: true,
          metadata: {},
        },
      ],
    };
    expect(schemaSize(nested)).toEqual({ columns: 1, depth: 3 });
    // a hostile depth is measured without recursion
    expect(schemaSize(deep(50_000), limits).depth).toBeGreaterThan(100);
  });

  it('refuses a manifest whose schema is too deep or too wide, and one that would make the table too wide', () => {
    const admission = (tableSchemaJson = '') =>
      admitSchemas({ tableSchemaJson, exists: tableSchemaJson !== '', mode: 'promote', limits });
    const deepRefusal = admission().admit(
      manifest(0, 0, 9, { deltaSchemaJson: JSON.stringify(deep(1_000)) }),
    );
    expect(deepRefusal?.message).toMatch(/nests deeper than 100 levels \(COMMITTER_MAX_SCHEMA_DEPTH\)/);
    expect(
      admission().admit(manifest(0, 0, 9, { deltaSchemaJson: JSON.stringify(deep(100)) })),
    ).toBeUndefined();
    const wideRefusal = admission().admit(
      manifest(0, 0, 9, { deltaSchemaJson: JSON.stringify(wide(50_000)) }),
    );
    expect(wideRefusal?.message).toMatch(/more than 1000 columns \(COMMITTER_MAX_SCHEMA_COLUMNS\)/);
    // 600 existing columns plus 600 new ones, each file schema alone within the limit
    const table = JSON.stringify(wide(600));
    const more: StructType = {
      type: 'struct',
      fields: wide(600).fields.map((f) => ({ ...f, name: `g${f.name}` })),
    };
    const grown = admission(table).admit(manifest(0, 0, 9, { deltaSchemaJson: JSON.stringify(more) }));
    expect(grown?.message).toMatch(/^with these files the table schema has more than 1000 columns/);
  });
});
