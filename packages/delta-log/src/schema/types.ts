/**
 * The Delta schema model (PROTOCOL "Schema Serialization Format") and its JSON codec. Pure.
 */
import { InvalidTableError } from '../errors.js';
import { parseJson, stringifyJson } from '../util/json.js';

export type PrimitiveTypeName =
  | 'string'
  | 'long'
  | 'integer'
  | 'short'
  | 'byte'
  | 'float'
  | 'double'
  | 'boolean'
  | 'binary'
  | 'date'
  | 'timestamp'
  | 'timestamp_ntz'
  | 'variant'
  | 'void';

export interface DecimalType {
  type: 'decimal';
  precision: number;
  scale: number;
}
export interface ArrayType {
  type: 'array';
  elementType: DataType;
  containsNull: boolean;
}
export interface MapType {
  type: 'map';
  keyType: DataType;
  valueType: DataType;
  valueContainsNull: boolean;
}
export interface StructField {
  name: string;
  type: DataType;
  nullable: boolean;
  metadata: Record<string, unknown>;
}
export interface StructType {
  type: 'struct';
  fields: StructField[];
}
export type DataType = PrimitiveTypeName | DecimalType | ArrayType | MapType | StructType;

const PRIMITIVES = new Set<string>([
  'string',
  'long',
  'integer',
  'short',
  'byte',
  'float',
  'double',
  'boolean',
  'binary',
  'date',
  'timestamp',
  'timestamp_ntz',
  'variant',
  'void',
]);
const DECIMAL = /^decimal\(\s*(\d+)\s*,\s*(\d+)\s*\)$/;

function parseType(raw: unknown, at: string): DataType {
  if (typeof raw === 'string') {
    if (PRIMITIVES.has(raw)) return raw as PrimitiveTypeName;
    if (raw === 'decimal') return { type: 'decimal', precision: 10, scale: 0 };
    const m = DECIMAL.exec(raw);
    if (m) {
      const precision = Number(m[1]);
      const scale = Number(m[2]);
      if (precision < 1 || precision > 38 || scale > precision) {
        throw new InvalidTableError(`${at}: invalid decimal(${precision},${scale})`);
      }
      return { type: 'decimal', precision, scale };
    }
    throw new InvalidTableError(`${at}: unknown data type "${raw}"`);
  }
  if (raw === null || typeof raw !== 'object') throw new InvalidTableError(`${at}: invalid data type`);
  const obj = raw as Record<string, unknown>;
  switch (obj.type) {
    case 'struct':
      return parseStruct(obj, at);
    case 'array':
      return {
        type: 'array',
        elementType: parseType(obj.elementType, `${at}.element`),
        containsNull: obj.containsNull !== false,
      };
    case 'map':
      return {
        type: 'map',
        keyType: parseType(obj.keyType, `${at}.key`),
        valueType: parseType(obj.valueType, `${at}.value`),
        valueContainsNull: obj.valueContainsNull !== false,
      };
    default:
      throw new InvalidTableError(`${at}: unknown data type ${JSON.stringify(obj.type)}`);
  }
}

function parseStruct(obj: Record<string, unknown>, at: string): StructType {
  if (!Array.isArray(obj.fields)) throw new InvalidTableError(`${at}: struct without fields`);
  return {
    type: 'struct',
    fields: obj.fields.map((f: Record<string, unknown>, i: number) => {
      if (typeof f?.name !== 'string')
        throw new InvalidTableError(`${at}.fields[${i}]: field without a name`);
      return {
        name: f.name,
        type: parseType(f.type, `${at}.${f.name}`),
        nullable: f.nullable !== false,
        metadata: (f.metadata as Record<string, unknown>) ?? {},
      };
    }),
  };
}

/** Parses `metaData.schemaString`. */
export function parseSchema(schemaString: string): StructType {
  let raw: unknown;
  try {
    raw = parseJson(schemaString); // field metadata may hold longs (identity columns' high-water mark)
  } catch (err) {
    throw new InvalidTableError('metaData.schemaString is not valid JSON', { cause: err });
  }
  const t = parseType(raw, 'schema');
  if (typeof t !== 'object' || t.type !== 'struct')
    throw new InvalidTableError('the table schema must be a struct');
  return t;
}

function typeToJson(t: DataType): unknown {
  if (typeof t === 'string') return t;
  switch (t.type) {
    case 'decimal':
      return `decimal(${t.precision},${t.scale})`;
    case 'array':
      return { type: 'array', elementType: typeToJson(t.elementType), containsNull: t.containsNull };
    case 'map':
      return {
        type: 'map',
        keyType: typeToJson(t.keyType),
        valueType: typeToJson(t.valueType),
        valueContainsNull: t.valueContainsNull,
      };
    case 'struct':
      return {
        type: 'struct',
        fields: t.fields.map((f) => ({
          name: f.name,
          type: typeToJson(f.type),
          nullable: f.nullable,
          metadata: f.metadata,
        })),
      };
  }
}

/** Serializes a schema as `metaData.schemaString` expects it (Spark's field order and spelling). */
/** One data type in the Delta JSON form (`"long"`, `"decimal(10,2)"`, `{"type":"struct",…}`). */
export function serializeType(t: DataType): string {
  return stringifyJson(typeToJson(t));
}

export function serializeSchema(schema: StructType): string {
  return stringifyJson(typeToJson(schema));
}

/** Case-insensitive lookup, as Delta column names are case-insensitive. */
export function findField(struct: StructType, name: string): StructField | undefined {
  const lower = name.toLowerCase();
  return (
    struct.fields.find((f) => f.name === name) ?? struct.fields.find((f) => f.name.toLowerCase() === lower)
  );
}

export function typeName(t: DataType): string {
  if (typeof t === 'string') return t;
  if (t.type === 'decimal') return `decimal(${t.precision},${t.scale})`;
  return t.type;
}

export function isPrimitive(t: DataType): t is PrimitiveTypeName | DecimalType {
  return typeof t === 'string' || t.type === 'decimal';
}

/** Convenience constructors for building schemas in code. */
export const field = (
  name: string,
  type: DataType,
  nullable = true,
  metadata: Record<string, unknown> = {},
): StructField => ({
  name,
  type,
  nullable,
  metadata,
});
export const struct = (...fields: StructField[]): StructType => ({ type: 'struct', fields });
export const decimal = (precision: number, scale: number): DecimalType => ({
  type: 'decimal',
  precision,
  scale,
});
export const array = (elementType: DataType, containsNull = true): ArrayType => ({
  type: 'array',
  elementType,
  containsNull,
});
export const map = (keyType: DataType, valueType: DataType, valueContainsNull = true): MapType => ({
  type: 'map',
  keyType,
  valueType,
  valueContainsNull,
});

/** Whether the primitive type `name` occurs anywhere in `t` (nested fields, elements, keys, values). */
export function usesType(t: DataType, name: string): boolean {
  if (typeof t === 'string') return t === name;
  if (t.type === 'struct') return t.fields.some((f) => usesType(f.type, name));
  if (t.type === 'array') return usesType(t.elementType, name);
  if (t.type === 'map') return usesType(t.keyType, name) || usesType(t.valueType, name);
  return false;
}
