import type { DataType, Field, Schema } from 'apache-arrow';
import type { SchemaResolution } from '../arrow/schema.js';

/** The schema as an indented tree, one field a line, with the `bson.*` metadata that explains it. */
export function describeSchema(schema: Schema): string[] {
  const lines: string[] = [];
  for (const f of schema.fields) describeField(f, '', lines);
  return lines;
}

function describeField(f: Field, indent: string, lines: string[]): void {
  const meta = [...f.metadata].map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ');
  lines.push(
    `${indent}${f.name}: ${typeName(f.type)}${f.nullable ? '' : ' not null'}${meta ? `  [${meta}]` : ''}`,
  );
  const kids = (f.type as DataType & { children?: Field[] }).children;
  const nested = String(f.type).startsWith('Struct') || String(f.type).startsWith('List');
  if (kids && nested) for (const c of kids) describeField(c, `${indent}  `, lines);
}

function typeName(t: DataType): string {
  const s = String(t);
  if (s.startsWith('Struct')) return 'struct';
  if (s.startsWith('List')) return 'list';
  return s;
}

export function describeResolutions(rs: SchemaResolution[]): string[] {
  return rs.map(
    (r) =>
      `${r.kind.padEnd(14)} ${r.path === '' ? '""' : r.path}${r.column ? ` → ${r.column}` : ''}: ${r.detail}`,
  );
}
