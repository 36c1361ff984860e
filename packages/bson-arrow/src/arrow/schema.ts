import {
  Binary as ArrowBinary,
  Bool,
  type DataType,
  DateDay,
  Decimal,
  Field,
  Float64,
  Int32,
  Int64,
  List,
  Struct,
  TimestampMicrosecond,
  Type,
  Utf8,
} from 'apache-arrow';
import type { BsonValue } from '../bson/values.js';
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
  ListBuilder,
  PairBuilder,
  StructBuilder,
  type StructChild,
  splitRegex,
  splitTimestamp,
  TEXT,
} from './builders.js';
import { accepts, type Node, newNode } from './infer.js';
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

/** Field metadata keys, readable back by `nodeFromField` and by users of the Delta table. */
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

interface Planned {
  field: Field;
  builder: ColumnBuilder;
}

/**
 * Turns the inferred children of a struct node into Arrow fields and their builders, deciding names
 * and the fallbacks for what Arrow/Delta cannot hold (empty documents, null-only fields), and recording
 * every such decision in `out`.
 */
export function planStruct(
  node: Node,
  path: string,
  columnPath: string,
  taken: string[],
  options: ConvertOptions,
  out: SchemaResolution[],
): StructChild[] {
  const kids = [...(node.children as Map<string, Node>).values()];
  for (const k of kids) settle(k, join(path, k.source), out);
  const live = kids.filter((k) => k.frozen || k.kind !== 'null');
  for (const k of kids) {
    if (!k.frozen && k.kind === 'null') {
      out.push({ kind: 'null_only', path: join(path, k.source), detail: 'only null values: no column' });
    }
  }
  const fixed = live.filter((k) => k.frozen).map((k) => k.name);
  const overflowFixed = live.filter((k) => k.frozen && k.overflowName).map((k) => k.overflowName as string);
  const names = assignNames(
    live.filter((k) => !k.frozen).map((k) => k.source),
    [...taken, ...fixed, ...overflowFixed],
  );
  const children: StructChild[] = [];
  for (const k of live) {
    if (!k.frozen) {
      k.name = names.get(k.source) as string;
      if (k.name !== k.source) {
        out.push({
          kind: 'renamed',
          path: join(path, k.source),
          column: join(columnPath, k.name),
          detail: `"${k.source}" is not a valid Delta/Spark column name here; stored as "${k.name}"`,
        });
      }
      if (node.frozen) {
        out.push({
          kind: 'new_field',
          path: join(path, k.source),
          column: join(columnPath, k.name),
          detail: `new ${k.kind} column`,
        });
      }
    }
    const { field, builder } = plan(k, join(path, k.source), join(columnPath, k.name), options, out);
    const child: StructChild = { source: k.source, field, builder };
    if (k.overflowTypes && !k.overflowName) {
      k.overflowName = assignNames([`${k.name}__ejson`], [...taken, ...live.map((x) => x.name)]).get(
        `${k.name}__ejson`,
      );
    }
    if (k.overflowName) {
      child.overflow = new BytesBuilder(false, TEXT.ejson);
      child.accepts = (v: BsonValue | undefined) => accepts(k, v, options);
      if (k.overflowTypes) {
        out.push({
          kind: 'overflow',
          path: join(path, k.source),
          column: join(columnPath, k.overflowName),
          types: [...k.overflowTypes].sort(),
          detail: `${k.overflowRows} value(s) do not fit the table's ${k.kind} column; stored as Extended JSON in "${k.overflowName}"`,
        });
      }
    }
    children.push(child);
  }
  return children;
}

/** Final fallbacks on an unfrozen node, before building. */
function settle(k: Node, path: string, out: SchemaResolution[]): void {
  if (k.frozen) return;
  if (k.resolution === 'conflict' && k.kind === 'ejson') {
    out.push({
      kind: 'conflict',
      path,
      types: [...k.seen].sort(),
      detail: `conflicting types ${[...k.seen].sort().join(', ')}: stored as canonical Extended JSON text`,
    });
  } else if (k.promotedFrom && k.kind !== 'ejson') {
    out.push({ kind: 'promoted', path, types: [...k.seen].sort(), detail: `numbers promoted to ${k.kind}` });
  }
  if (k.kind === 'struct') {
    const live = [...(k.children as Map<string, Node>).values()].some((c) => c.kind !== 'null' || c.frozen);
    if (!live) {
      k.kind = 'ejson';
      k.resolution = 'empty_document';
      k.children = undefined;
      out.push({
        kind: 'empty_document',
        path,
        detail: 'only empty documents: stored as Extended JSON text',
      });
    }
  } else if (k.kind === 'list') {
    const el = k.element as Node;
    if (!el.frozen && el.kind === 'null') {
      el.kind = 'ejson';
      k.resolution = 'empty_list';
      out.push({
        kind: 'empty_list',
        path,
        detail: 'no non-null array elements: elements typed as Extended JSON text',
      });
    }
  }
}

function plan(
  k: Node,
  path: string,
  column: string,
  options: ConvertOptions,
  out: SchemaResolution[],
): Planned {
  const meta = new Map<string, string>();
  if (k.name !== k.source) meta.set(META.name, k.source);
  if (TAGGED[k.kind]) meta.set(META.type, k.kind === 'ejson' && k.bsonType ? k.bsonType : k.kind);
  if ((k.kind === 'binary' || k.kind === 'uuid') && k.subtype !== undefined)
    meta.set(META.subtype, String(k.subtype));
  const { type, builder } = arrowFor(k, path, column, options, out);
  return { field: new Field(k.name, type, true, meta), builder };
}

function arrowFor(
  k: Node,
  path: string,
  column: string,
  options: ConvertOptions,
  out: SchemaResolution[],
): { type: DataType; builder: ColumnBuilder } {
  switch (k.kind) {
    case 'bool':
      return { type: new Bool(), builder: new BoolBuilder() };
    case 'int32':
      return { type: new Int32(), builder: new Int32Builder() };
    case 'int64':
      return { type: new Int64(), builder: new Int64Builder(false) };
    case 'double':
      return { type: new Float64(), builder: new Float64Builder() };
    case 'timestamp':
      return { type: new TimestampMicrosecond('UTC'), builder: new Int64Builder(true) };
    case 'date':
      return { type: new DateDay(), builder: new Date32Builder() };
    case 'decimal': {
      const p = k.precision ?? 38;
      const s = k.scale ?? 0;
      return { type: new Decimal(s, p, 128), builder: new DecimalBuilder(p, s) };
    }
    case 'binary':
      return { type: new ArrowBinary(), builder: new BytesBuilder(true, TEXT.string) };
    case 'bsonTimestamp': {
      const fields = [new Field('t', new Int64(), true), new Field('i', new Int64(), true)];
      const b = new PairBuilder(new Int64Builder(false), new Int64Builder(false), fields, splitTimestamp);
      return { type: new Struct(fields), builder: b };
    }
    case 'regex': {
      const fields = [new Field('pattern', new Utf8(), true), new Field('options', new Utf8(), true)];
      const b = new PairBuilder(
        new BytesBuilder(false, TEXT.string),
        new BytesBuilder(false, TEXT.string),
        fields,
        splitRegex,
      );
      return { type: new Struct(fields), builder: b };
    }
    case 'struct': {
      const children = planStruct(k, path, column, [], options, out);
      const fields = children.flatMap((c) =>
        c.overflow ? [c.field, overflowField(k.children?.get(c.source) as Node)] : [c.field],
      );
      return { type: new Struct(fields), builder: new StructBuilder(children, fields) };
    }
    case 'list': {
      const el = k.element as Node;
      el.name = 'element';
      settle(el, `${path}[]`, out);
      const { field, builder } = plan(el, `${path}[]`, `${column}[]`, options, out);
      return { type: new List(field), builder: new ListBuilder(builder, field) };
    }
    case 'null':
      // A frozen target column that no value reached: still built, all null, in its own type.
      throw new DecodeError('unsupported_type', `column ${column} has no type`);
    default:
      return {
        type: new Utf8(),
        builder: new BytesBuilder(false, TEXT[k.kind as keyof typeof TEXT] ?? TEXT.ejson),
      };
  }
}

export function overflowField(k: Node): Field {
  return new Field(
    k.overflowName as string,
    new Utf8(),
    true,
    new Map([
      [META.type, 'ejson'],
      [META.overflowOf, k.name],
    ]),
  );
}

function join(path: string, name: string): string {
  return path ? `${path}.${name}` : name;
}

/** A frozen node for an existing table column, so new batches conform to the table's schema. */
export function nodeFromField(f: Field): Node {
  const source = f.metadata.get(META.name) ?? f.name;
  const tag = f.metadata.get(META.type);
  const n = newNode(source, 'null', true);
  n.name = f.name;
  const t = f.type as DataType;
  switch (t.typeId) {
    case Type.Bool:
      n.kind = 'bool';
      break;
    case Type.Int:
      n.kind = (t as unknown as { bitWidth: number }).bitWidth === 64 ? 'int64' : 'int32';
      break;
    case Type.Float:
      n.kind = 'double';
      break;
    case Type.Utf8:
    case Type.LargeUtf8:
      n.kind = tag && tag in TEXT ? (tag as Kind) : tag ? 'ejson' : 'string';
      if (n.kind === 'ejson' && tag !== 'ejson') n.bsonType = tag;
      break;
    case Type.Binary:
    case Type.LargeBinary:
      n.kind = 'binary';
      n.subtype = Number(f.metadata.get(META.subtype) ?? 0);
      break;
    case Type.Timestamp:
      n.kind = 'timestamp';
      break;
    case Type.Date:
      n.kind = 'date';
      break;
    case Type.Decimal:
      n.kind = 'decimal';
      n.precision = (t as Decimal).precision;
      n.scale = (t as Decimal).scale;
      break;
    case Type.Struct:
      if (tag === 'bsonTimestamp' || tag === 'regex') n.kind = tag;
      else {
        n.kind = 'struct';
        n.children = new Map();
        const fields = (t as Struct).children;
        const overflowOf = new Map<string, string>();
        for (const c of fields) {
          const of = c.metadata.get(META.overflowOf);
          if (of !== undefined) overflowOf.set(of, c.name);
        }
        for (const c of fields) {
          if (c.metadata.has(META.overflowOf)) continue;
          const child = nodeFromField(c);
          child.overflowName = overflowOf.get(c.name);
          n.children.set(child.source, child);
        }
      }
      break;
    case Type.List:
      n.kind = 'list';
      n.element = nodeFromField((t as List).children[0] as Field);
      break;
    default:
      throw new DecodeError(
        'unsupported_type',
        `target column ${f.name} has unsupported Arrow type ${String(t)}`,
      );
  }
  if (n.kind === 'uuid' || n.kind === 'binary')
    n.subtype = Number(f.metadata.get(META.subtype) ?? (n.kind === 'uuid' ? 4 : 0));
  return n;
}
