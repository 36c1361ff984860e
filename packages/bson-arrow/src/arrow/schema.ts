/**
 * How a batch's columns become its Arrow schema and meet the table's: what could not be taken as-is is reported
 * (`SchemaResolution`, nothing is dropped silently), columns are named and ordered, and a table's fields are read
 * back into the target columns a batch is built against.
 */
import { type DataType, type Field, Type } from 'apache-arrow';
import { DecodeError } from '../errors.js';
import { TEXT } from './builders.js';
import { type Column, tick } from './column.js';
import { META } from './fields.js';
import type { ConvertOptions, Kind } from './kinds.js';
import { ColumnNames, sanitizeName } from './names.js';

/** Something the schema could not take as-is, and what was done about it: nothing is dropped silently. */
export interface SchemaResolution {
  kind: 'promoted' | 'renamed' | 'null_only' | 'overflow' | 'new_field';
  /** Document path (original field names, `[]` for array elements). */
  path: string;
  /** The Arrow column it landed in (dotted column names), where there is one. */
  column?: string;
  types?: string[];
  detail: string;
}

/** Reports, children first, the columns that hold only nulls (no column) and the int32 columns widened to int64. */
export function settle(c: Column, path: string, out: SchemaResolution[]): void {
  if (c.kind === 'struct') {
    const kids = [...(c.children as Map<string, Column>).values()];
    for (const k of kids) settle(k, join(path, k.source), out);
    for (const k of kids) {
      if (k.kind === 'null' && !k.overflow)
        out.push({ kind: 'null_only', path: join(path, k.source), detail: 'only null values: no column' });
    }
  } else if (c.kind === 'list') {
    settle(c.element as Column, `${path}[]`, out);
  }
  if (c.promotedFrom) {
    out.push({
      kind: 'promoted',
      path,
      types: [...c.promotedFrom, c.kind].sort(),
      detail: `column widened to ${c.kind}`,
    });
  }
}

/**
 * Column names for a struct's children, reporting renames, new fields of a target schema and overflow columns.
 * Target columns keep their names; the others are named in the order they first held a value (`typedAt`,
 * `overflowAt`), each taking the first free name (names.ts), so a column that appears in a later batch gets the
 * name it would have had in one batch. `taken` reserves names (the CDC columns).
 */
export function nameChildren(
  c: Column,
  path: string,
  columnPath: string,
  taken: string[],
  out: SchemaResolution[],
): void {
  const firstAt = (k: Column) => Math.min(k.typedAt ?? Infinity, k.overflowAt ?? Infinity);
  const live = [...(c.children as Map<string, Column>).values()]
    .filter((k) => k.kind !== 'null' || k.overflow)
    .sort((a, b) => firstAt(a) - firstAt(b));
  const names = new ColumnNames(taken);
  for (const k of live) {
    if (k.frozen) names.reserve(k.name);
    if (k.frozen && k.overflowName !== undefined) names.reserve(k.overflowName);
  }
  const order: { at: number; k: Column; overflow: boolean }[] = [];
  for (const k of live) {
    if (!k.frozen) order.push({ at: firstAt(k), k, overflow: false });
    if (k.overflow && k.overflowName === undefined) order.push({ at: k.overflowAt ?? 0, k, overflow: true });
  }
  // A column's own name comes before its overflow column's, which is derived from it.
  order.sort((a, b) => a.at - b.at || Number(a.overflow) - Number(b.overflow));
  for (const { k, overflow } of order) {
    if (overflow) k.overflowName = names.take(`${k.name}__ejson`);
    else k.name = names.take(sanitizeName(k.source));
  }
  for (const k of live) {
    const p = join(path, k.source);
    if (!k.frozen && k.name !== k.source) {
      out.push({
        kind: 'renamed',
        path: p,
        column: join(columnPath, k.name),
        detail: `"${k.source}" is not a valid Delta/Spark column name here; stored as "${k.name}"`,
      });
    }
    if (c.frozen && k.kind !== 'null' && (!k.frozen || k.targetUntyped)) {
      out.push({
        kind: 'new_field',
        path: p,
        column: join(columnPath, k.name),
        detail: `new ${k.kind} column`,
      });
    }
    if (k.overflowTypes) {
      const what =
        k.kind === 'null'
          ? 'have no column type of their own (no typed value came first)'
          : `do not fit the ${k.kind} column`;
      out.push({
        kind: 'overflow',
        path: p,
        column: join(columnPath, k.overflowName as string),
        types: [...k.overflowTypes].sort(),
        detail: `${k.overflowRows} value(s) ${what}; stored as Extended JSON in "${k.overflowName}"`,
      });
    }
    nameNested(k, p, join(columnPath, k.name), out);
  }
}

function nameNested(k: Column, path: string, columnPath: string, out: SchemaResolution[]): void {
  if (k.kind === 'struct') nameChildren(k, path, columnPath, [], out);
  else if (k.kind === 'list') nameNested(k.element as Column, `${path}[]`, `${columnPath}[]`, out);
}

function join(path: string, name: string): string {
  return path ? `${path}.${name}` : name;
}

/** A frozen column for an existing table field, so new batches conform to the table's schema. */
export function columnFromField(f: Field, options: ConvertOptions, make: (source: string) => Column): Column {
  const source = f.metadata.get(META.name) ?? f.name;
  const tag = f.metadata.get(META.type);
  const c = make(source);
  c.name = f.name;
  const t = f.type as DataType;
  const subtype = (kind: Kind) => Number(f.metadata.get(META.subtype) ?? (kind === 'uuid' ? 4 : 0));
  switch (t.typeId) {
    case Type.Bool:
      c.init('bool');
      break;
    case Type.Int:
      c.init((t as unknown as { bitWidth: number }).bitWidth === 64 ? 'int64' : 'int32');
      break;
    case Type.Float:
      c.init('double');
      break;
    case Type.Utf8:
    case Type.LargeUtf8: {
      const kind: Kind = tag && tag in TEXT ? (tag as Kind) : tag ? 'ejson' : 'string';
      c.init(kind, {
        bsonType: kind === 'ejson' && tag !== 'ejson' ? tag : undefined,
        subtype: kind === 'uuid' ? subtype('uuid') : undefined,
      });
      break;
    }
    case Type.Binary:
    case Type.LargeBinary:
      c.init('binary', { subtype: subtype('binary') });
      break;
    case Type.Timestamp:
      c.init('timestamp');
      break;
    case Type.Date:
      c.init('date');
      break;
    case Type.Decimal: {
      const d = t as unknown as { precision: number; scale: number };
      c.init('decimal', { precision: d.precision, scale: d.scale });
      break;
    }
    case Type.Struct: {
      if (tag === 'bsonTimestamp' || tag === 'regex') {
        c.init(tag);
        break;
      }
      c.init('struct');
      const fields = (t as unknown as { children: Field[] }).children;
      addTargetChildren(c, fields, options, make);
      break;
    }
    case Type.List:
      c.init('list');
      c.element = columnFromField(
        (t as unknown as { children: Field[] }).children[0] as Field,
        options,
        make,
      );
      break;
    default:
      throw new DecodeError(
        'unsupported_type',
        `target column ${f.name} has unsupported Arrow type ${String(t)}`,
      );
  }
  return c;
}

/**
 * Adds a target schema's fields as frozen children, each column paired with its overflow column. An overflow
 * column without its main column (values that never had a type of their own) becomes an untyped column, typed by
 * the first value that has one. The clock readings follow the table's column order, so new columns go after.
 */
export function addTargetChildren(
  c: Column,
  fields: Field[],
  options: ConvertOptions,
  make: (source: string) => Column,
  skip?: (f: Field) => boolean,
): void {
  const children = c.children as Map<string, Column>;
  const byName = new Map<string, Column>();
  const kept = fields.filter((f) => !skip?.(f));
  for (const f of kept) {
    if (f.metadata.has(META.overflowOf)) continue;
    const child = columnFromField(f, options, make);
    byName.set(f.name, child);
    children.set(child.source, child);
  }
  for (const f of kept) {
    const of = f.metadata.get(META.overflowOf);
    if (of === undefined) {
      (byName.get(f.name) as Column).typedAt = tick();
      continue;
    }
    let child = byName.get(of);
    if (!child) {
      child = make(f.metadata.get(META.name) ?? of);
      child.name = of;
      child.targetUntyped = true;
      byName.set(of, child);
      children.set(child.source, child);
    }
    child.overflowName = f.name;
    child.ensureOverflow();
    child.overflowAt = tick();
  }
}
