import { Field as ArrowField, type DataType, type Field, Int64, Type, Utf8 } from 'apache-arrow';
import { DecodeError } from '../errors.js';
import {
  BoolBuilder,
  BytesBuilder,
  type ColumnBuilder,
  Date32Builder,
  DecimalBuilder,
  Float64Builder,
  Int32Builder,
  Int64Builder,
  PairBuilder,
  splitRegex,
  splitTimestamp,
  TEXT,
} from './builders.js';
import type { Column } from './column.js';
import type { ConvertOptions, Kind } from './kinds.js';
import { assignNames } from './names.js';

/** Something the schema could not take as-is, and what was done about it: nothing is dropped silently. */
export interface SchemaResolution {
  kind:
    | 'conflict'
    | 'promoted'
    | 'renamed'
    | 'null_only'
    | 'empty_document'
    | 'empty_list'
    | 'overflow'
    | 'new_field';
  /** Document path (original field names, `[]` for array elements). */
  path: string;
  /** The Arrow column it landed in (dotted column names), where there is one. */
  column?: string;
  types?: string[];
  detail: string;
}

/** Field metadata keys, readable back by `columnFromField` and by users of the Delta table. */
export const META = {
  name: 'bson.name',
  type: 'bson.type',
  subtype: 'bson.subtype',
  overflowOf: 'bson.overflow_of',
};

const TAGGED: Partial<Record<Kind, true>> = {
  objectId: true,
  decimal128: true,
  decimalText: true,
  symbol: true,
  code: true,
  uuid: true,
  time: true,
  ejson: true,
  bsonTimestamp: true,
  regex: true,
  binary: true,
};

export function fieldMetadata(c: Column): Map<string, string> {
  const meta = new Map<string, string>();
  if (c.name !== c.source) meta.set(META.name, c.source);
  if (TAGGED[c.kind]) meta.set(META.type, c.kind === 'ejson' && c.bsonType ? c.bsonType : c.kind);
  if ((c.kind === 'binary' || c.kind === 'uuid') && c.subtype !== undefined)
    meta.set(META.subtype, String(c.subtype));
  return meta;
}

/** The Arrow builder of a leaf column (every kind but null, struct and list). */
export function leafFor(c: Column): ColumnBuilder {
  switch (c.kind) {
    case 'bool':
      return new BoolBuilder();
    case 'int32':
      return new Int32Builder();
    case 'int64':
      return new Int64Builder(false);
    case 'double':
      return new Float64Builder();
    case 'timestamp':
      return new Int64Builder(true);
    case 'date':
      return new Date32Builder();
    case 'decimal':
      return new DecimalBuilder(c.precision ?? 38, c.scale ?? 0);
    case 'binary':
      return new BytesBuilder(true, TEXT.string);
    case 'bsonTimestamp': {
      const fields = [new ArrowField('t', new Int64(), true), new ArrowField('i', new Int64(), true)];
      return new PairBuilder(new Int64Builder(false), new Int64Builder(false), fields, splitTimestamp);
    }
    case 'regex': {
      const fields = [
        new ArrowField('pattern', new Utf8(), true),
        new ArrowField('options', new Utf8(), true),
      ];
      return new PairBuilder(
        new BytesBuilder(false, TEXT.string),
        new BytesBuilder(false, TEXT.string),
        fields,
        splitRegex,
      );
    }
    default:
      return new BytesBuilder(false, TEXT[c.kind as keyof typeof TEXT] ?? TEXT.ejson);
  }
}

/**
 * Settles what Arrow/Delta cannot hold before a batch is finished — documents that were only ever empty
 * become Extended JSON text, arrays that never had an element get Extended JSON elements — and reports
 * those and every conflict or promotion, children first.
 */
export function settle(c: Column, path: string, out: SchemaResolution[], root = false): void {
  if (c.kind === 'struct') {
    const kids = [...(c.children as Map<string, Column>).values()];
    for (const k of kids) settle(k, join(path, k.source), out);
    for (const k of kids) {
      if (!k.frozen && k.kind === 'null')
        out.push({ kind: 'null_only', path: join(path, k.source), detail: 'only null values: no column' });
    }
  } else if (c.kind === 'list') {
    const el = c.element as Column;
    settle(el, `${path}[]`, out);
  }
  if (c.frozen) return;
  if (c.resolution === 'conflict' && c.kind === 'ejson') {
    const types = [...c.seen].sort();
    out.push({
      kind: 'conflict',
      path,
      types,
      detail: `conflicting types ${types.join(', ')}: stored as canonical Extended JSON text`,
    });
  } else if (c.promotedFrom && c.kind !== 'ejson') {
    out.push({ kind: 'promoted', path, types: [...c.seen].sort(), detail: `numbers promoted to ${c.kind}` });
  }
  // The row itself stays a struct even when it has no data column (no events, only empty documents).
  if (
    !root &&
    c.kind === 'struct' &&
    ![...(c.children as Map<string, Column>).values()].some((k) => k.kind !== 'null' || k.frozen)
  ) {
    c.resolution = 'empty_document';
    c.retype('ejson');
    out.push({ kind: 'empty_document', path, detail: 'only empty documents: stored as Extended JSON text' });
  } else if (c.kind === 'list' && (c.element as Column).kind === 'null' && !(c.element as Column).frozen) {
    c.resolution = 'empty_list';
    (c.element as Column).retype('ejson');
    out.push({
      kind: 'empty_list',
      path,
      detail: 'no non-null array elements: elements typed as Extended JSON text',
    });
  }
}

/**
 * Column names for a struct's children (names.ts rules; target columns keep theirs), reporting renames,
 * new fields of a target schema and overflow columns. `taken` reserves names (the CDC columns).
 */
export function nameChildren(
  c: Column,
  path: string,
  columnPath: string,
  taken: string[],
  out: SchemaResolution[],
): void {
  const live = [...(c.children as Map<string, Column>).values()].filter((k) => k.frozen || k.kind !== 'null');
  const fixed = live
    .filter((k) => k.frozen)
    .flatMap((k) => (k.overflowName ? [k.name, k.overflowName] : [k.name]));
  const names = assignNames(
    live.filter((k) => !k.frozen).map((k) => k.source),
    [...taken, ...fixed],
  );
  for (const k of live) {
    const p = join(path, k.source);
    if (!k.frozen) {
      k.name = names.get(k.source) as string;
      if (k.name !== k.source) {
        out.push({
          kind: 'renamed',
          path: p,
          column: join(columnPath, k.name),
          detail: `"${k.source}" is not a valid Delta/Spark column name here; stored as "${k.name}"`,
        });
      }
      if (c.frozen)
        out.push({
          kind: 'new_field',
          path: p,
          column: join(columnPath, k.name),
          detail: `new ${k.kind} column`,
        });
    }
    if (k.overflow && !k.overflowName) {
      const want = `${k.name}__ejson`;
      k.overflowName = assignNames([want], [...taken, ...live.map((x) => x.name), ...fixed]).get(want);
    }
    if (k.overflowTypes) {
      out.push({
        kind: 'overflow',
        path: p,
        column: join(columnPath, k.overflowName as string),
        types: [...k.overflowTypes].sort(),
        detail: `${k.overflowRows} value(s) do not fit the table's ${k.kind} column; stored as Extended JSON in "${k.overflowName}"`,
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

/** Adds a target schema's fields as frozen children, pairing each column with its overflow column. */
export function addTargetChildren(
  c: Column,
  fields: Field[],
  options: ConvertOptions,
  make: (source: string) => Column,
  skip?: (f: Field) => boolean,
): void {
  const overflowOf = new Map<string, string>();
  for (const f of fields) {
    const of = f.metadata.get(META.overflowOf);
    if (of !== undefined) overflowOf.set(of, f.name);
  }
  for (const f of fields) {
    if (f.metadata.has(META.overflowOf) || skip?.(f)) continue;
    const child = columnFromField(f, options, make);
    const of = overflowOf.get(f.name);
    if (of !== undefined) {
      child.overflowName = of;
      child.ensureOverflow();
    }
    (c.children as Map<string, Column>).set(child.source, child);
  }
}
