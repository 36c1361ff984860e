/**
 * The Delta schema (`schemaString`, StructType JSON) of an Arrow schema, as the files written from it are read: the
 * types parquet-wasm writes for each Arrow type, named as Delta names them (PROTOCOL.md "Schema Serialization Format").
 */
import { DataType, type Field, type Schema, TimeUnit } from 'apache-arrow';

export type DeltaType =
  | string
  | { type: 'struct'; fields: DeltaField[] }
  | { type: 'array'; elementType: DeltaType; containsNull: boolean }
  | { type: 'map'; keyType: DeltaType; valueType: DeltaType; valueContainsNull: boolean };

export interface DeltaField {
  name: string;
  type: DeltaType;
  nullable: boolean;
  metadata: Record<string, unknown>;
}

export class UnsupportedTypeError extends Error {
  constructor(path: string, type: DataType) {
    super(`column ${path} has Arrow type ${type}, which Delta tables cannot store`);
    this.name = 'UnsupportedTypeError';
  }
}

/**
 * @param options.ensureColumns top-level columns the table must have even when this batch lacks them (partition
 *   columns: Delta requires them in the schema); they are added as nullable strings.
 */
export function deltaSchemaOf(
  schema: Schema,
  options: { skipColumns?: readonly string[]; ensureColumns?: readonly string[] } = {},
): string {
  const skip = new Set(options.skipColumns ?? []);
  const fields = schema.fields.filter((f) => !skip.has(f.name)).map((f) => deltaField(f, f.name));
  for (const name of options.ensureColumns ?? []) {
    if (!fields.some((f) => f.name === name))
      fields.push({ name, type: 'string', nullable: true, metadata: {} });
  }
  return JSON.stringify({ type: 'struct', fields });
}

/** Arrow field metadata (bson-arrow's `bson.*` type tags) is kept as Delta column metadata. */
function deltaField(field: Field, path: string): DeltaField {
  return {
    name: field.name,
    type: deltaType(field.type, path),
    nullable: field.nullable,
    metadata: Object.fromEntries(field.metadata),
  };
}

function deltaType(type: DataType, path: string): DeltaType {
  if (DataType.isInt(type)) {
    if (!type.isSigned) throw new UnsupportedTypeError(path, type);
    return (
      ({ 8: 'byte', 16: 'short', 32: 'integer', 64: 'long' } as Record<number, string>)[type.bitWidth] ??
      'long'
    );
  }
  if (DataType.isFloat(type)) {
    if (type.precision === 0) throw new UnsupportedTypeError(path, type);
    return type.precision === 1 ? 'float' : 'double';
  }
  if (DataType.isUtf8(type) || DataType.isLargeUtf8(type)) return 'string';
  if (DataType.isBinary(type) || DataType.isLargeBinary(type) || DataType.isFixedSizeBinary(type))
    return 'binary';
  if (DataType.isBool(type)) return 'boolean';
  if (DataType.isDate(type)) return 'date';
  if (DataType.isTimestamp(type)) {
    // Delta timestamps are microseconds; nanoseconds would be written as INT64 nanos, which Spark cannot read.
    if (type.unit === TimeUnit.NANOSECOND) throw new UnsupportedTypeError(path, type);
    return type.timezone ? 'timestamp' : 'timestamp_ntz';
  }
  if (DataType.isDecimal(type)) {
    if (type.precision > 38) throw new UnsupportedTypeError(path, type);
    return `decimal(${type.precision},${type.scale})`;
  }
  if (DataType.isStruct(type)) {
    return { type: 'struct', fields: type.children.map((c: Field) => deltaField(c, `${path}.${c.name}`)) };
  }
  if (DataType.isList(type) || DataType.isFixedSizeList(type)) {
    const element = type.children[0] as Field;
    return {
      type: 'array',
      elementType: deltaType(element.type, `${path}[]`),
      containsNull: element.nullable,
    };
  }
  if (DataType.isMap(type)) {
    const entries = type.children[0] as Field;
    const [key, value] = entries.type.children as [Field, Field];
    return {
      type: 'map',
      keyType: deltaType(key.type, `${path}.key`),
      valueType: deltaType(value.type, `${path}.value`),
      valueContainsNull: value.nullable,
    };
  }
  throw new UnsupportedTypeError(path, type);
}
