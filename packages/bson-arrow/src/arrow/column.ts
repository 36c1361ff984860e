import { type Data, Field, List, makeData, Null, Struct, Utf8 } from 'apache-arrow';
import type { BsonDocument, BsonValue } from '../bson/values.js';
import { noteColumn } from '../limits.js';
import { BytesBuilder, type ColumnBuilder, TEXT, ValidityBuilder } from './builders.js';
import { fieldMetadata, leafFor, META } from './fields.js';
import { type ConvertOptions, type Kind, kindOf, type ValueKind } from './kinds.js';
import { readValue } from './read.js';
import { admit, type Shape } from './rule.js';

/**
 * One column of the batch being built — its type and Arrow buffers together. Values are written as they arrive
 * (one pass, documents are not retained). One rule decides where a value goes, the same for a column inferred in
 * this batch and for a column of the table's schema (README "Schema inference"):
 *
 * - the first value that has a column type of its own types the column;
 * - a later value that fits the type is written (int32 into int64 or double, int64 ≤ 2^53 into double);
 * - an int64 arriving at an int32 column widens the column to int64 (its earlier values re-written);
 * - anything else goes, as canonical Extended JSON, to the sibling overflow column `<name>__ejson`.
 *
 * The outcome depends only on the order of the values, never on where batches were cut: a batch built against the
 * schema an earlier batch left makes the same decisions the single batch would have made.
 */
export class Column {
  kind: Kind = 'null';
  name: string;
  subtype?: number;
  precision?: number;
  scale?: number;
  /** For `ejson` columns holding one rare BSON type (minKey, dbPointer …): that type; none: any value. */
  bsonType?: string;
  /** The column was widened from int32 (reported as `promoted`). */
  promotedFrom?: Set<string>;
  /** Values that went to the overflow column: their types and how many. */
  overflowName?: string;
  overflowTypes?: Set<string>;
  overflowRows = 0;
  overflow?: BytesBuilder;
  /**
   * When the column got its type and when its overflow column appeared, on one clock shared by every column:
   * columns are named and ordered by it, so a column that appears in a later batch takes the same place and name
   * it would have taken in one batch. Target columns get theirs, in the table's order, before any value arrives.
   */
  typedAt?: number;
  overflowAt?: number;
  /** A target column the table has only as an overflow column: typing it adds its main column. */
  targetUntyped = false;
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
    /** A column of the target (table) schema: its name is fixed, and it is written even when all null. */
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
    for (let i = 0; i < n; i++) this.appendMainNull();
  }

  appendNull(): void {
    this.appendMainNull();
    this.overflow?.appendNull();
  }

  appendMainNull(): void {
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
    const vk = kindOf(v, this.options);
    // Same simple kind as the column (the common case): it fits as it is.
    if (vk.kind !== this.kind || !SIMPLE[vk.kind]) {
      const shape = admit(this, v, vk, this.options);
      if (shape === null) {
        this.putOverflow(v, vk);
        return;
      }
      if (shape !== this) this.conform(shape);
    }
    this.write(v);
    this.overflow?.appendNull();
  }

  /** Sends a value that has no place in the column to the overflow column; the column is null for the row. */
  putOverflow(v: BsonValue, vk: ValueKind): void {
    this.overflowTypes ??= new Set();
    this.overflowTypes.add(typeName(vk));
    this.overflowRows++;
    this.ensureOverflow().append(v);
    this.appendMainNull();
  }

  /** A struct's new child for field `k`: null in each of the `n` earlier rows. */
  addChild(k: string, n: number): Column {
    noteColumn(this.options);
    const c = new Column(k, this.options);
    c.length = n;
    (this.children as Map<string, Column>).set(k, c);
    return c;
  }

  ensureOverflow(): BytesBuilder {
    if (!this.overflow) {
      this.overflow = new BytesBuilder(false, TEXT.ejson);
      for (let i = 0; i < this.length; i++) this.overflow.appendNull();
      this.overflowAt ??= tick();
    }
    return this.overflow;
  }

  /** Establishes or widens the column to `shape` (which `admit` computed from it): never narrows. */
  conform(shape: Shape): void {
    if (this.kind === 'null') {
      if (shape.kind === 'null') return;
      this.init(shape.kind, shape);
      this.typedAt ??= tick();
    } else if (this.kind === 'int32' && shape.kind === 'int64') {
      this.promotedFrom ??= new Set();
      this.promotedFrom.add('int32');
      this.retype('int64');
    }
    if (this.element && shape.element) this.element.conform(shape.element);
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
      // `admit` checked every element against the element column (and widened it): each one fits.
      const el = this.element;
      for (const x of v as BsonValue[]) el.put(x);
      this.offsets.push(el.length);
      this.validity?.append(true);
    }
    this.length++;
  }

  /** Changes the column's type, re-writing the values it already holds. */
  private retype(kind: Kind): void {
    const old = this.values();
    this.length = 0;
    this.init(kind, {});
    for (const v of old) {
      if (v === null) this.appendMainNull();
      else this.write(v);
    }
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
    // Only while building (an element of arrays that were all empty so far).
    if (this.kind === 'null') return makeData({ type: new Null(), length: this.length });
    const v = this.validity as ValidityBuilder;
    const nullBitmap = v.bitmap();
    if (this.children) {
      const out: { at: number; field: Field; data: Data }[] = [];
      for (const c of this.children.values()) {
        // An untyped column (only nulls, or only values without a type of their own) has no main column.
        if (c.kind !== 'null') {
          const built = c.build();
          out.push({ at: c.typedAt ?? 0, ...built });
        }
        if (c.overflow)
          out.push({ at: c.overflowAt ?? 0, field: overflowField(c), data: c.overflow.finish() });
      }
      out.sort((a, b) => a.at - b.at);
      const fields = out.map((x) => x.field);
      return makeData({
        type: new Struct(fields),
        length: this.length,
        nullCount: v.nullCount,
        nullBitmap,
        children: out.map((x) => x.data),
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

let clock = 0;
/** The shared clock of `typedAt`/`overflowAt`: only the order of its readings matters. */
export function tick(): number {
  return ++clock;
}

export function overflowField(c: Column): Field {
  const meta = new Map([
    [META.type, 'ejson'],
    [META.overflowOf, c.name],
  ]);
  // Without a main column the overflow column is the only place that remembers the document's field name.
  if (c.kind === 'null' && c.source !== c.name) meta.set(META.name, c.source);
  return new Field(c.overflowName ?? `${c.name}__ejson`, new Utf8(), true, meta);
}

/** Kinds whose values always fit a column of the same kind. */
const SIMPLE: Partial<Record<ValueKind['kind'], true>> = {
  bool: true,
  int32: true,
  int64: true,
  double: true,
  string: true,
  objectId: true,
  decimal128: true,
  decimalText: true,
  symbol: true,
  code: true,
  timestamp: true,
  date: true,
  time: true,
  bsonTimestamp: true,
  regex: true,
  struct: true,
};

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
