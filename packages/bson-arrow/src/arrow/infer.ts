import type { BsonDocument, BsonValue } from '../bson/values.js';
import { type ConvertOptions, type Kind, kindOf, type ValueKind } from './kinds.js';

/**
 * One column (or nested field) of the schema being inferred. `source` is the document's own field
 * name; `name` the column name after Delta/Spark sanitizing (names.ts).
 */
export interface Node {
  kind: Kind;
  source: string;
  name: string;
  /** Original BSON types seen, for conflict reports. */
  seen: Set<string>;
  children?: Map<string, Node>;
  element?: Node;
  subtype?: number;
  precision?: number;
  scale?: number;
  /** For `ejson` leaves holding one rare BSON type (minKey, dbPointer …), that type. */
  bsonType?: string;
  /** Part of the given target schema: its type cannot change, odd values overflow instead. */
  frozen: boolean;
  /** Target mode: some values do not fit, they go to the sibling column `overflowName`. */
  overflowName?: string;
  overflowTypes?: Set<string>;
  overflowRows?: number;
  /** How the node came to be, for the resolution report. */
  resolution?: 'conflict' | 'empty_document' | 'empty_list';
  promotedFrom?: Set<string>;
  /** Inferred from values (false for nodes read from a target schema with no value seen yet). */
  observed: boolean;
}

export function newNode(source: string, kind: Kind = 'null', frozen = false): Node {
  return { kind, source, name: source, seen: new Set(), frozen, observed: false };
}

export function newStruct(): Node {
  const n = newNode('', 'struct');
  n.children = new Map();
  return n;
}

/** Folds one document into a struct node (the root or a nested document). */
export function observeDocument(node: Node, doc: BsonDocument, options: ConvertOptions): void {
  const children = node.children as Map<string, Node>;
  for (const [k, v] of doc) {
    let child = children.get(k);
    if (child === undefined) {
      child = newNode(k);
      children.set(k, child);
    }
    observe(child, v, options);
  }
}

/** Folds one value into a node: widens unfrozen nodes, records overflow on frozen ones. */
export function observe(node: Node, v: BsonValue | undefined, options: ConvertOptions): void {
  const vk = kindOf(v, options);
  if (vk.kind === 'null') return;
  node.observed = true;
  if (node.frozen) {
    if (!accepts(node, v, options)) {
      node.overflowTypes ??= new Set();
      node.overflowTypes.add(typeName(vk, v));
      node.overflowRows = (node.overflowRows ?? 0) + 1;
      return;
    }
    descend(node, v, options);
    return;
  }
  // Same kind as the column already has (the common case): nothing to merge or record.
  if (
    vk.kind !== node.kind ||
    vk.kind === 'binary' ||
    vk.kind === 'uuid' ||
    vk.kind === 'decimal' ||
    vk.kind === 'ejson'
  ) {
    node.seen.add(typeName(vk, v));
    merge(node, vk);
  }
  descend(node, v, options);
}

function descend(node: Node, v: BsonValue | undefined, options: ConvertOptions): void {
  if (node.kind === 'struct') observeDocument(node, v as BsonDocument, options);
  else if (node.kind === 'list') {
    const el = node.element as Node;
    for (const x of v as BsonValue[]) observe(el, x, options);
  }
}

/** The type a node becomes once it has seen a value of kind `vk` (unfrozen nodes only). */
function merge(node: Node, vk: ValueKind): void {
  const k = node.kind;
  const v = vk.kind;
  if (k === 'ejson') {
    if (node.bsonType !== vk.bsonType) node.bsonType = undefined; // mixed rare types: plain ejson
    return;
  }
  if (k === 'null') {
    if (v === 'wideDate' || v === 'wideDecimal') {
      toEjson(node);
      return;
    }
    node.kind = v === 'unsafeInt64' ? 'int64' : v;
    node.subtype = vk.subtype;
    node.precision = vk.precision;
    node.scale = vk.scale;
    node.bsonType = vk.bsonType;
    if (v === 'struct') node.children = new Map();
    if (v === 'list') node.element = newNode('element');
    return;
  }
  if (k === v) {
    if ((k === 'binary' || k === 'uuid') && node.subtype !== vk.subtype) {
      toEjson(node);
      return;
    }
    if (k === 'decimal') {
      if (node.scale !== vk.scale) {
        toEjson(node);
        return;
      }
      node.precision = Math.max(node.precision ?? 0, vk.precision ?? 0);
    }
    return;
  }
  // Numeric promotion int32 → int64 → double, only where every value stays exact.
  const numeric = (x: string) => x === 'int32' || x === 'int64' || x === 'double' || x === 'unsafeInt64';
  if (numeric(k) && numeric(v)) {
    if (v === 'unsafeInt64' && k === 'int64') return;
    const wide = k === 'double' || v === 'double' ? 'double' : 'int64';
    // An int64 beyond 2^53 is not exact as a double: that is a conflict, not a promotion.
    if (wide === 'double' && (v === 'unsafeInt64' || node.seen.has('int64>2^53'))) {
      toEjson(node);
      return;
    }
    if (wide !== k) {
      node.promotedFrom ??= new Set();
      node.promotedFrom.add(k);
      node.kind = wide;
    }
    return;
  }
  toEjson(node);
}

function toEjson(node: Node): void {
  node.kind = 'ejson';
  node.resolution = 'conflict';
  node.children = undefined;
  node.element = undefined;
  node.bsonType = undefined;
  node.promotedFrom = undefined;
}

function typeName(vk: ValueKind, v: BsonValue | undefined): string {
  switch (vk.kind) {
    case 'unsafeInt64':
      return 'int64>2^53';
    case 'wideDate':
      return 'date(beyond µs range)';
    case 'wideDecimal':
      return 'decimal128(beyond configured decimal)';
    case 'struct':
      return 'document';
    case 'list':
      return 'array';
    case 'binary':
    case 'uuid':
      return `binary(${(vk.subtype ?? 0).toString(16).padStart(2, '0')})`;
    case 'decimal':
      return `decimal(${vk.precision},${vk.scale})`;
    case 'ejson':
      return vk.bsonType ?? 'ejson';
    default:
      return typeof v === 'object' && v !== null && 'kind' in v && v.kind.startsWith('sql')
        ? v.kind
        : vk.kind;
  }
}

/** Whether a value can be stored in the node's column exactly (nested arrays checked element-wise). */
export function accepts(node: Node, v: BsonValue | undefined, options: ConvertOptions): boolean {
  const vk = kindOf(v, options);
  const k = node.kind;
  if (vk.kind === 'null' || k === 'ejson') return true;
  switch (vk.kind) {
    case 'int32':
      return k === 'int32' || k === 'int64' || k === 'double';
    case 'int64':
      return k === 'int64' || k === 'double';
    case 'unsafeInt64':
      return k === 'int64';
    case 'struct':
      return k === 'struct';
    case 'list': {
      if (k !== 'list') return false;
      const el = node.element as Node;
      if (!el.frozen) return true;
      return (v as BsonValue[]).every((x) => accepts(el, x, options));
    }
    case 'binary':
    case 'uuid':
      return k === vk.kind && node.subtype === vk.subtype;
    case 'decimal':
      return k === 'decimal' && node.scale === vk.scale && (node.precision ?? 38) >= (vk.precision ?? 38);
    case 'ejson':
      return false; // only an ejson column, handled above
    default:
      return k === vk.kind;
  }
}
