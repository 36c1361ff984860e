/**
 * Delta types ↔ Arrow types. Delta timestamps are microseconds (UTC-adjusted for `timestamp`, local for
 * `timestamp_ntz`); decimals are 128-bit; maps use the Parquet `key_value` entry layout with required keys.
 */
import * as A from 'apache-arrow';
import { UnsupportedFeatureError } from '../errors.js';
import type { DataType, StructType } from './types.js';

/** The Arrow type of a Delta type. */
export function arrowType(t: DataType): A.DataType {
  if (typeof t === 'string') {
    switch (t) {
      case 'string':
        return new A.Utf8();
      case 'long':
        return new A.Int64();
      case 'integer':
        return new A.Int32();
      case 'short':
        return new A.Int16();
      case 'byte':
        return new A.Int8();
      case 'float':
        return new A.Float32();
      case 'double':
        return new A.Float64();
      case 'boolean':
        return new A.Bool();
      case 'binary':
        return new A.Binary();
      case 'date':
        return new A.DateDay();
      case 'timestamp':
        return new A.TimestampMicrosecond('UTC');
      case 'timestamp_ntz':
        return new A.TimestampMicrosecond();
      case 'void':
        return new A.Null();
      case 'variant':
        throw new UnsupportedFeatureError('the variant type is not supported', ['variantType']);
    }
  }
  switch (t.type) {
    case 'decimal':
      return new A.Decimal(t.scale, t.precision, 128);
    case 'array':
      return new A.List(new A.Field('element', arrowType(t.elementType), t.containsNull));
    case 'map':
      return new A.Map_(
        new A.Field(
          'key_value',
          new A.Struct<{ key: A.DataType; value: A.DataType }>([
            new A.Field('key', arrowType(t.keyType), false),
            new A.Field('value', arrowType(t.valueType), t.valueContainsNull),
          ] as A.Field[] as never),
          false,
        ),
      );
    case 'struct':
      return new A.Struct(arrowFields(t));
  }
}

export function arrowFields(struct: StructType): A.Field[] {
  return struct.fields.map((f) => new A.Field(f.name, arrowType(f.type), f.nullable));
}

/** The Arrow schema of a Delta struct type (the logical schema scans return). */
export function arrowSchema(struct: StructType): A.Schema {
  return new A.Schema(arrowFields(struct));
}
