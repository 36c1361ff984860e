/**
 * The table schema of data written from Arrow, and the Arrow schema of a table: Delta types for the Arrow types a
 * Parquet writer stores (PROTOCOL "Schema Serialization Format"), with Arrow field metadata kept as Delta column
 * metadata both ways, so a writer can read back what it tagged (e.g. which string column holds ObjectIds). Pure.
 */
import * as A from 'apache-arrow';
import { arrowType } from '../schema/arrow.js';
import type { DataType, StructField, StructType } from '../schema/types.js';

export class UnsupportedArrowTypeError extends Error {
  override name = 'UnsupportedArrowTypeError';
  constructor(
    readonly path: string,
    readonly type: A.DataType,
  ) {
    super(`column ${path} has Arrow type ${type}, which Delta tables cannot store`);
  }
}

/**
 * The Delta struct of an Arrow schema.
 * @param options.ensureColumns top-level columns the table must have even when the data lacks them (partition
 *   columns: Delta requires them in the schema); they are added as nullable strings.
 * @param options.skipColumns top-level columns left out.
 */
export function deltaSchemaOfArrow(
  schema: A.Schema,
  options: { skipColumns?: readonly string[]; ensureColumns?: readonly string[] } = {},
): StructType {
  const skip = new Set(options.skipColumns ?? []);
  const fields = schema.fields.filter((f) => !skip.has(f.name)).map((f) => deltaField(f, f.name));
  for (const name of options.ensureColumns ?? []) {
    if (!fields.some((f) => f.name === name))
      fields.push({ name, type: 'string', nullable: true, metadata: {} });
  }
  return { type: 'struct', fields };
}

function deltaField(field: A.Field, path: string): StructField {
  return {
    name: field.name,
    type: deltaTypeOfArrow(field.type, path),
    nullable: field.nullable,
    metadata: Object.fromEntries(field.metadata),
  };
}

/** The Delta type a column of Arrow type `type` has once written to Parquet and read back. */
export function deltaTypeOfArrow(type: A.DataType, path = ''): DataType {
  if (A.DataType.isInt(type)) {
    if (!type.isSigned) throw new UnsupportedArrowTypeError(path, type);
    return ({ 8: 'byte', 16: 'short', 32: 'integer', 64: 'long' } as const)[type.bitWidth as 8] ?? 'long';
  }
  if (A.DataType.isFloat(type)) {
    if (type.precision === A.Precision.HALF) throw new UnsupportedArrowTypeError(path, type);
    return type.precision === A.Precision.SINGLE ? 'float' : 'double';
  }
  if (A.DataType.isUtf8(type) || A.DataType.isLargeUtf8(type)) return 'string';
  if (A.DataType.isBinary(type) || A.DataType.isLargeBinary(type) || A.DataType.isFixedSizeBinary(type))
    return 'binary';
  if (A.DataType.isBool(type)) return 'boolean';
  if (A.DataType.isDate(type)) return 'date';
  if (A.DataType.isTimestamp(type)) {
    // Delta timestamps are microseconds; nanoseconds would be written as INT64 nanos, which Spark cannot read.
    if (type.unit === A.TimeUnit.NANOSECOND) throw new UnsupportedArrowTypeError(path, type);
    return type.timezone ? 'timestamp' : 'timestamp_ntz';
  }
  if (A.DataType.isDecimal(type)) {
    if (type.precision > 38) throw new UnsupportedArrowTypeError(path, type);
    return { type: 'decimal', precision: type.precision, scale: type.scale };
  }
  if (A.DataType.isStruct(type))
    return { type: 'struct', fields: type.children.map((c: A.Field) => deltaField(c, `${path}.${c.name}`)) };
  if (A.DataType.isList(type) || A.DataType.isFixedSizeList(type)) {
    const element = type.children[0] as A.Field;
    return {
      type: 'array',
      elementType: deltaTypeOfArrow(element.type, `${path}[]`),
      containsNull: element.nullable,
    };
  }
  if (A.DataType.isMap(type)) {
    const entries = type.children[0] as A.Field;
    const [key, value] = entries.type.children as [A.Field, A.Field];
    return {
      type: 'map',
      keyType: deltaTypeOfArrow(key.type, `${path}.key`),
      valueType: deltaTypeOfArrow(value.type, `${path}.value`),
      valueContainsNull: value.nullable,
    };
  }
  throw new UnsupportedArrowTypeError(path, type);
}

/**
 * The Arrow schema of a Delta struct, with each column's string metadata as Arrow field metadata (the inverse of
 * {@link deltaSchemaOfArrow} for the types it produces; array elements are named `element`).
 */
export function arrowSchemaOfDelta(schema: StructType): A.Schema {
  return new A.Schema(schema.fields.map(arrowFieldOf));
}

function arrowFieldOf(f: StructField): A.Field {
  const metadata = new Map<string, string>();
  for (const [k, v] of Object.entries(f.metadata ?? {})) if (typeof v === 'string') metadata.set(k, v);
  return new A.Field(f.name, arrowTypeWithMetadata(f.type), f.nullable, metadata);
}

function arrowTypeWithMetadata(t: DataType): A.DataType {
  if (typeof t === 'object' && t.type === 'struct') return new A.Struct(t.fields.map(arrowFieldOf));
  if (typeof t === 'object' && t.type === 'array')
    return new A.List(new A.Field('element', arrowTypeWithMetadata(t.elementType), t.containsNull));
  return arrowType(t);
}
