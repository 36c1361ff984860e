/**
 * The Arrow side of one column that does not depend on the column being built: the field metadata that keeps what
 * the Arrow type cannot say (the document's field name, the BSON type), and the builder of a leaf of each kind. Here
 * rather than in `column.ts` or `schema.ts` so that a column and the schema code that names and orders columns can
 * both use it without importing each other.
 */
import { Field as ArrowField, Int64, Utf8 } from 'apache-arrow';
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
import type { Kind } from './kinds.js';

/** What of a column its field and its leaf builder depend on (a `Column` is one). */
export interface ColumnType {
  readonly kind: Kind;
  /** The document's field name. */
  readonly source: string;
  /** The column's name (the field name, sanitized or made unique). */
  readonly name: string;
  readonly bsonType?: string;
  readonly subtype?: number;
  readonly precision?: number;
  readonly scale?: number;
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

/** The Arrow field metadata of a column: its document name when renamed, its BSON type when the Arrow type loses it. */
export function fieldMetadata(c: ColumnType): Map<string, string> {
  const meta = new Map<string, string>();
  if (c.name !== c.source) meta.set(META.name, c.source);
  if (TAGGED[c.kind]) meta.set(META.type, c.kind === 'ejson' && c.bsonType ? c.bsonType : c.kind);
  if ((c.kind === 'binary' || c.kind === 'uuid') && c.subtype !== undefined)
    meta.set(META.subtype, String(c.subtype));
  return meta;
}

/** The Arrow builder of a leaf column (every kind but null, struct and list). */
export function leafFor(c: ColumnType): ColumnBuilder {
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
