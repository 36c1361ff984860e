import { type Data, Field, List, makeData, Null, Struct, Utf8 } from 'apache-arrow';
import type { BsonDocument, BsonValue } from '../bson/values.js';
import { noteColumn } from '../limits.js';
import { BytesBuilder, type ColumnBuilder, TEXT, ValidityBuilder } from './builders.js';
import { type ConvertOptions, type Kind, kindOf, type ValueKind } from './kinds.js';
import { readValue } from './read.js';
import { fieldMetadata, leafFor } from './schema.js';

/**
 * One column of the batch being built — inferred type and Arrow buffers together. Values are written
 * as they arrive (one pass, documents are not retained); when a value does not fit the type so far, the
 * column is widened and its earlier values re-written in the new type (int32 → int64 → double, or
 * canonical Extended JSON text for a conflict). Widening happens at most a few times per column.
 */
export class Column {
  kind: Kind = 'null';
  name: string;
  subtype?: number;
  precision?: number;
  scale?: number;
  /** For `ejson` columns holding one rare BSON type (minKey, dbPointer …): that type. */
  bsonType?: string;
  /** BSON types seen, for conflict reports. */
  readonly seen = new Set<string>();
  resolution?: 'conflict' | 'empty_document' | 'empty_list';
  promotedFrom?: Set<string>;
  /** Target-schema mode: values that do not fit go, as Extended JSON, to the column `overflowName`. */
  overflowName?: string;
  overflowTypes?: Set<string>;
  overflowRows = 0;
  overflow?: BytesBuilder;
  /** Slots written so far (values and nulls). */
  length = 0;
  leaf: ColumnBuilder | null = null;
  children: Map<string, Column> | null = null;
  element: Column | null = null;
  /** Struct and list nulls. */
  validity: ValidityBuilder | null = null;
  /** List offsets. */
  offsets: number[] = [];
  /** Struct columns: the children of the last document's members, by position (see `tokens.ts`). */
  shapeKeys: string[] = [];
  shapeColumns: Column[] = [];

  constructor(
    readonly source: string,
    readonly options: ConvertOptions,
    readonly frozen = false,
  ) {
    this.name = source;
  }

  /** Sets the type (for a new or target column) and allocates its buffers, `length` nulls long. */
  init(kind: Kind, shape: Omit<ValueKind, 'kind'> = {}): void {
    this.kind = kind;
    this.subtype = shape.subtype;
    this.precision = shape.precision;
    this.scale = shape.scale;
    this.bsonType = shape.bsonType;
    const n = this.length;
    this.length = 0;
    this.leaf = null;
    this.children = null;
    this.element = null;
    this.validity = null;
    this.offsets = [];
    this.shapeKeys = [];
    this.shapeColumns = [];
    if (kind === 'struct') {
      this.children = new Map();
      this.validity = new ValidityBuilder();
    } else if (kind === 'list') {
      this.element = new Column('element', this.options, this.frozen);
      this.validity = new ValidityBuilder();
      this.offsets = [0];
    } else if (kind !== 'null') {
      this.leaf = leafFor(this);
    }
    for (let i = 0; i < n; i++) this.appendNull();
  }

  appendNull(): void {
    this.appendMainNull();
    this.overflow?.appendNull();
  }

  private appendMainNull(): void {
    if (this.leaf) this.leaf.appendNull();
    else if (this.children) {
      this.validity?.appendNull();
      for (const c of this.children.values()) c.appendNull();
    } else if (this.element) {
      this.validity?.appendNull();
      this.offsets.push(this.element.length);
    }
    this.length++;
  }

  put(v: BsonValue | undefined): void {
    if (v === null || v === undefined) {
      this.appendNull();
      return;
    }
    if (this.frozen) {
      if (accepts(this, v)) {
        this.write(v);
        this.overflow?.appendNull();
      } else {
        const vk = kindOf(v, this.options);
        this.overflowTypes ??= new Set();
        this.overflowTypes.add(typeName(vk));
        this.overflowRows++;
        this.ensureOverflow().append(v);
        this.appendMainNull();
      }
      return;
    }
    const vk = kindOf(v, this.options);
    // Same kind as the column already has (the common case): nothing to widen or record.
    if (
      vk.kind !== this.kind ||
      vk.kind === 'binary' ||
      vk.kind === 'uuid' ||
      vk.kind === 'decimal' ||
      vk.kind === 'ejson'
    ) {
      this.seen.add(typeName(vk));
      widen(this, vk);
    }
    this.write(v);
  }

  /** A struct's new child for field `k`: null in each of the `n` earlier rows. */
  addChild(k: string, n: number): Column {
    noteColumn(this.options);
    const c = new Column(k, this.options);
    c.length = n;
    c.init('null');
    (this.children as Map<string, Column>).set(k, c);
    return c;
  }

  ensureOverflow(): BytesBuilder {
    if (!this.overflow) {
      this.overflow = new BytesBuilder(false, TEXT.ejson);
      for (let i = 0; i < this.length; i++) this.overflow.appendNull();
    }
    return this.overflow;
  }

  private write(v: BsonValue): void {
    if (this.leaf) this.leaf.append(v);
    else if (this.children) {
      const n = this.length;
      const children = this.children;
      const doc = v as BsonDocument;
      const before = children.size;
      doc.forEach((x, k) => {
        (children.get(k) ?? this.addChild(k, n)).put(x);
      });
      // Keys are unique, so when the document has every column, every column got its value.
      if (doc.size !== before || children.size !== before) {
        for (const c of children.values()) if (c.length === n) c.appendNull();
      }
      this.validity?.append(true);
    } else if (this.element) {
      const el = this.element;
      for (const x of v as BsonValue[]) el.put(x);
      this.offsets.push(el.length);
      this.validity?.append(true);
    }
    this.length++;
  }

  /** Changes the column's type, re-writing the values it already holds. */
  retype(kind: Kind, shape: Omit<ValueKind, 'kind'> = {}): void {
    if (this.kind === 'null') {
      this.init(kind, shape); // only nulls so far: `init` re-creates them
      return;
    }
    const old = this.values();
    this.length = 0;
    this.init(kind, shape);
    for (const v of old) this.write2(v);
  }

  private write2(v: BsonValue): void {
    if (v === null) this.appendMainNull();
    else this.write(v);
  }

  /** The values written so far, read back from the buffers (documents without their null fields). */
  values(): BsonValue[] {
    const { data, field } = this.build();
    const out: BsonValue[] = new Array(this.length);
    for (let i = 0; i < this.length; i++) out[i] = readValue(data, field, i);
    return out;
  }

  /** Arrow data and field of the column as it stands (children under their current `name`). */
  build(): { data: Data; field: Field } {
    const data = this.buildData();
    return { data, field: new Field(this.name, data.type, true, fieldMetadata(this)) };
  }

  private buildData(): Data {
    if (this.leaf) return this.leaf.finish();
    // Only while building (an element of arrays that were all empty so far); `settle` retypes it.
    if (this.kind === 'null') return makeData({ type: new Null(), length: this.length });
    const v = this.validity as ValidityBuilder;
    const nullBitmap = v.bitmap();
    if (this.children) {
      const fields: Field[] = [];
      const children: Data[] = [];
      for (const c of this.children.values()) {
        if (c.kind === 'null' && !c.frozen) continue; // null-only: no column (reported by finalize)
        const built = c.build();
        fields.push(built.field);
        children.push(built.data);
        if (c.overflow) {
          fields.push(overflowField(c));
          children.push(c.overflow.finish());
        }
      }
      return makeData({
        type: new Struct(fields),
        length: this.length,
        nullCount: v.nullCount,
        nullBitmap,
        children,
      });
    }
    const el = (this.element as Column).build();
    const valueOffsets = Int32Array.from(this.offsets);
    const type = new List(el.field);
    return makeData({
      type,
      length: this.length,
      nullCount: v.nullCount,
      nullBitmap,
      valueOffsets,
      child: el.data,
    });
  }
}

export function overflowField(c: Column): Field {
  return new Field(
    c.overflowName ?? `${c.name}__ejson`,
    new Utf8(),
    true,
    new Map([
      ['bson.type', 'ejson'],
      ['bson.overflow_of', c.name],
    ]),
  );
}

const NUMERIC = new Set(['int32', 'int64', 'double', 'unsafeInt64']);

/** Widens an unfrozen column so that it can hold a value of kind `vk` exactly. */
export function widen(c: Column, vk: ValueKind): void {
  const k = c.kind;
  const v = vk.kind;
  if (k === 'ejson') {
    if (c.bsonType !== vk.bsonType) c.bsonType = undefined; // mixed rare types: plain ejson
    return;
  }
  if (k === 'null') {
    if (v === 'wideDate' || v === 'wideDecimal') {
      toEjson(c);
      return;
    }
    c.init(v === 'unsafeInt64' ? 'int64' : v, vk);
    return;
  }
  if (k === v) {
    if ((k === 'binary' || k === 'uuid') && c.subtype !== vk.subtype) {
      toEjson(c);
      return;
    }
    if (k === 'decimal' && (c.scale !== vk.scale || (c.precision ?? 0) < (vk.precision ?? 0))) {
      if (c.scale !== vk.scale) {
        toEjson(c);
        return;
      }
      c.retype('decimal', { precision: vk.precision, scale: vk.scale });
    }
    return;
  }
  if (NUMERIC.has(k) && NUMERIC.has(v)) {
    if (v === 'unsafeInt64' && k === 'int64') return;
    const wide = k === 'double' || v === 'double' ? 'double' : 'int64';
    // An int64 beyond 2^53 is not exact as a double: a conflict, not a promotion.
    if (wide === 'double' && (v === 'unsafeInt64' || c.seen.has('int64>2^53'))) {
      toEjson(c);
      return;
    }
    if (wide !== k) {
      c.promotedFrom ??= new Set();
      c.promotedFrom.add(k);
      c.retype(wide);
    }
    return;
  }
  toEjson(c);
}

function toEjson(c: Column): void {
  c.resolution = 'conflict';
  c.promotedFrom = undefined;
  c.retype('ejson');
}

export function typeName(vk: ValueKind): string {
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
      return vk.kind;
  }
}

/** Whether a frozen (target-schema) column can store a value exactly; arrays are checked element-wise. */
export function accepts(c: Column, v: BsonValue | undefined): boolean {
  const vk = kindOf(v, c.options);
  if (vk.kind === 'list' && c.kind === 'list') {
    const el = c.element as Column;
    return !el.frozen || (v as BsonValue[]).every((x) => accepts(el, x));
  }
  return acceptsKind(c, vk);
}

/** `accepts` by the value's kind alone (for an array: whether the column is a list at all). */
export function acceptsKind(c: Column, vk: ValueKind): boolean {
  const k = c.kind;
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
    case 'list':
      return k === 'list';
    case 'binary':
    case 'uuid':
      return k === vk.kind && c.subtype === vk.subtype;
    case 'decimal':
      return k === 'decimal' && c.scale === vk.scale && (c.precision ?? 38) >= (vk.precision ?? 38);
    case 'ejson':
      return false;
    default:
      return k === vk.kind;
  }
}
