/**
 * The Arrow schema of a Delta table schema (with the field metadata bson-arrow keeps there), so the batch builder can
 * conform new batches to the table: existing columns keep their types, values that do not fit go to overflow columns
 * instead of making the commit fail. The inverse of `deltaSchemaOf` for the types bson-arrow writes.
 */
import {
  Binary,
  Bool,
  type DataType,
  DateDay,
  Decimal,
  Field,
  Float32,
  Float64,
  Int8,
  Int16,
  Int32,
  Int64,
  List,
  Schema,
  Struct,
  TimestampMicrosecond,
  Utf8,
} from 'apache-arrow';
import type { DeltaField, DeltaType } from '../parquet/delta-schema.js';

export function arrowSchemaOfDelta(json: string): Schema | undefined {
  let parsed: { type?: string; fields?: DeltaField[] };
  try {
    parsed = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (parsed.type !== 'struct' || !Array.isArray(parsed.fields)) return undefined;
  try {
    return new Schema(parsed.fields.map(arrowField));
  } catch {
    return undefined; // a type this ingestor does not write (map, …): build without conforming
  }
}

function arrowField(f: DeltaField): Field {
  const metadata = new Map<string, string>();
  for (const [k, v] of Object.entries(f.metadata ?? {})) if (typeof v === 'string') metadata.set(k, v);
  return new Field(f.name, arrowType(f.type), f.nullable, metadata);
}

function arrowType(t: DeltaType): DataType {
  if (typeof t === 'string') {
    const decimal = /^decimal\((\d+),\s*(\d+)\)$/.exec(t);
    if (decimal) return new Decimal(Number(decimal[2]), Number(decimal[1]), 128);
    switch (t) {
      case 'string':
        return new Utf8();
      case 'long':
        return new Int64();
      case 'integer':
        return new Int32();
      case 'short':
        return new Int16();
      case 'byte':
        return new Int8();
      case 'double':
        return new Float64();
      case 'float':
        return new Float32();
      case 'boolean':
        return new Bool();
      case 'binary':
        return new Binary();
      case 'date':
        return new DateDay();
      case 'timestamp':
        return new TimestampMicrosecond('UTC');
      case 'timestamp_ntz':
        return new TimestampMicrosecond();
    }
    throw new Error(`unsupported Delta type ${t}`);
  }
  if (t.type === 'struct') return new Struct(t.fields.map(arrowField));
  if (t.type === 'array') return new List(new Field('element', arrowType(t.elementType), t.containsNull));
  throw new Error(`unsupported Delta type ${t.type}`);
}
