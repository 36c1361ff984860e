/**
 * Physical → logical: turns the Arrow data read from one Parquet file into the table's logical shape.
 * Columns are matched by physical name (or Parquet field id in `id` column-mapping mode), renamed to their
 * logical names, cast where Parquet's representation differs from Delta's (INT96/ns or ms timestamps →
 * µs, widened types), and missing columns become nulls (schema evolution).
 */
import * as A from 'apache-arrow';
import { InvalidTableError } from '../errors.js';
import { arrowType } from '../schema/arrow.js';
import { type ColumnMappingMode, columnId, physicalName } from '../schema/column-mapping.js';
import type { DataType, StructField, StructType } from '../schema/types.js';
import { nullData } from '../util/arrow-build.js';

const FIELD_ID = 'PARQUET:field_id';

function findChild(children: readonly A.Field[], field: StructField, mode: ColumnMappingMode): number {
  if (mode === 'id') {
    const id = columnId(field);
    if (id !== undefined) {
      const byId = children.findIndex((c) => c.metadata.get(FIELD_ID) === String(id));
      if (byId >= 0) return byId;
    }
  }
  const name = physicalName(field, mode);
  const exact = children.findIndex((c) => c.name === name);
  if (exact >= 0) return exact;
  // Parquet column names written by older engines may differ in case only.
  const lower = name.toLowerCase();
  return children.findIndex((c) => c.name.toLowerCase() === lower);
}

function bigintValues(data: A.Data): BigInt64Array {
  return data.values as unknown as BigInt64Array;
}

const UNIT_TO_MICROS: Record<number, [bigint, bigint]> = {
  [A.TimeUnit.SECOND]: [1_000_000n, 1n],
  [A.TimeUnit.MILLISECOND]: [1000n, 1n],
  [A.TimeUnit.MICROSECOND]: [1n, 1n],
  [A.TimeUnit.NANOSECOND]: [1n, 1000n],
};

function castTimestamp(data: A.Data, target: A.Timestamp): A.Data {
  const src = data.type as A.Timestamp;
  const [mul, div] = UNIT_TO_MICROS[src.unit] ?? [1n, 1n];
  let values = bigintValues(data);
  if (mul !== 1n || div !== 1n) {
    const out = new BigInt64Array(values.length);
    for (let i = 0; i < values.length; i++) {
      const v = values[i] as bigint;
      // floor division so pre-1970 sub-µs values round down like Spark
      out[i] = div === 1n ? v * mul : v >= 0n ? v / div : -((-v + div - 1n) / div);
    }
    values = out;
  }
  return A.makeData({
    type: target,
    offset: data.offset,
    length: data.length,
    nullCount: data.nullCount,
    nullBitmap: data.nullBitmap,
    data: values,
  });
}

function castNumeric(data: A.Data, target: A.DataType): A.Data {
  const src = data.values as ArrayLike<number | bigint>;
  const Ctor = (target as A.Int).ArrayType as unknown as {
    new (n: number): ArrayLike<number | bigint> & { [i: number]: number | bigint };
  };
  const out = new Ctor(src.length);
  const toBig = out instanceof BigInt64Array;
  for (let i = 0; i < src.length; i++) {
    const v = src[i] as number | bigint;
    out[i] = toBig ? BigInt(v) : Number(v);
  }
  return A.makeData({
    type: target as A.Int32,
    offset: data.offset,
    length: data.length,
    nullCount: data.nullCount,
    nullBitmap: data.nullBitmap,
    data: out as Int32Array,
  });
}

function rescaleDecimal(data: A.Data, target: A.Decimal): A.Data {
  const src = data.type as A.Decimal;
  if (src.scale === target.scale) {
    return A.makeData({
      type: target,
      offset: data.offset,
      length: data.length,
      nullCount: data.nullCount,
      nullBitmap: data.nullBitmap,
      data: data.values as Uint32Array,
    });
  }
  const words = data.values as Uint32Array;
  const out = new Uint32Array(words.length);
  const factor = 10n ** BigInt(target.scale - src.scale);
  const mask = (1n << 128n) - 1n;
  for (let i = 0; i < words.length; i += 4) {
    let v = 0n;
    for (let k = 3; k >= 0; k--) v = (v << 32n) | BigInt(words[i + k] as number);
    if (v >> 127n) v -= 1n << 128n;
    let r = (v * factor) & mask;
    for (let k = 0; k < 4; k++) {
      out[i + k] = Number(r & 0xffffffffn);
      r >>= 32n;
    }
  }
  return A.makeData({
    type: target,
    offset: data.offset,
    length: data.length,
    nullCount: data.nullCount,
    nullBitmap: data.nullBitmap,
    data: out,
  });
}

/** Adapts one physical column to its logical Delta type. */
export function adaptData(data: A.Data, type: DataType, mode: ColumnMappingMode, at: string): A.Data {
  const target = arrowType(type);
  // Empty columns may come without child buffers; an empty column of the target type is equivalent.
  if (data.length === 0) return nullData(target, 0);
  if (typeof type === 'object' && type.type === 'struct') {
    if (!A.DataType.isStruct(data.type))
      throw new InvalidTableError(`${at}: expected a struct in the data file, got ${data.type}`);
    return adaptStruct(data as A.Data<A.Struct>, type, mode, at);
  }
  if (typeof type === 'object' && type.type === 'array') {
    if (!A.DataType.isList(data.type))
      throw new InvalidTableError(`${at}: expected a list in the data file, got ${data.type}`);
    const child = adaptData(data.children[0] as A.Data, type.elementType, mode, `${at}.element`);
    return A.makeData({
      type: new A.List(new A.Field('element', child.type, type.containsNull)),
      offset: data.offset,
      length: data.length,
      nullCount: data.nullCount,
      nullBitmap: data.nullBitmap,
      valueOffsets: data.valueOffsets as Int32Array,
      child,
    });
  }
  if (typeof type === 'object' && type.type === 'map') {
    if (!A.DataType.isMap(data.type))
      throw new InvalidTableError(`${at}: expected a map in the data file, got ${data.type}`);
    const entries = data.children[0] as A.Data<A.Struct>;
    const key = adaptData(entries.children[0] as A.Data, type.keyType, mode, `${at}.key`);
    const value = adaptData(entries.children[1] as A.Data, type.valueType, mode, `${at}.value`);
    const entryType = new A.Struct([
      new A.Field('key', key.type, false),
      new A.Field('value', value.type, type.valueContainsNull),
    ]);
    const child = A.makeData({
      type: entryType,
      offset: entries.offset,
      length: entries.length,
      nullCount: 0,
      children: [key, value],
    });
    return A.makeData({
      type: new A.Map_(new A.Field('key_value', entryType, false)),
      offset: data.offset,
      length: data.length,
      nullCount: data.nullCount,
      nullBitmap: data.nullBitmap,
      valueOffsets: data.valueOffsets as Int32Array,
      child,
    });
  }
  if (A.DataType.isTimestamp(target)) {
    if (A.DataType.isTimestamp(data.type)) return castTimestamp(data, target);
    if (A.DataType.isDate(data.type)) {
      // date → timestamp_ntz widening: days → µs
      const days = data.values as Int32Array;
      const out = new BigInt64Array(days.length);
      for (let i = 0; i < days.length; i++) out[i] = BigInt(days[i] as number) * 86_400_000_000n;
      return A.makeData({
        type: target,
        offset: data.offset,
        length: data.length,
        nullCount: data.nullCount,
        nullBitmap: data.nullBitmap,
        data: out,
      });
    }
  }
  if (A.DataType.isDecimal(target) && A.DataType.isDecimal(data.type)) return rescaleDecimal(data, target);
  if (
    (A.DataType.isInt(target) || A.DataType.isFloat(target)) &&
    (A.DataType.isInt(data.type) || A.DataType.isFloat(data.type))
  ) {
    if (target.typeId === data.type.typeId && String(target) === String(data.type)) return data;
    return castNumeric(data, target);
  }
  if (
    A.DataType.isDate(target) &&
    A.DataType.isDate(data.type) &&
    (data.type as A.Date_).unit === A.DateUnit.DAY
  )
    return data;
  if (target.typeId !== data.type.typeId && !(A.DataType.isUtf8(target) && A.DataType.isUtf8(data.type))) {
    if (A.DataType.isBinary(target) && A.DataType.isBinary(data.type)) return data;
    throw new InvalidTableError(`${at}: data file has type ${data.type}, table schema says ${target}`);
  }
  return data;
}

/** Adapts a struct (or a whole record batch) field by field, filling absent columns with nulls. */
export function adaptStruct(
  data: A.Data<A.Struct>,
  struct: StructType,
  mode: ColumnMappingMode,
  at: string,
  override?: (field: StructField, length: number) => A.Data | undefined,
): A.Data<A.Struct> {
  const children: A.Data[] = [];
  const fields: A.Field[] = [];
  for (const f of struct.fields) {
    let child = override?.(f, data.length);
    if (!child) {
      const idx = findChild(data.type.children, f, mode);
      child =
        idx < 0
          ? nullData(arrowType(f.type), data.length)
          : adaptData(data.children[idx] as A.Data, f.type, mode, `${at}.${f.name}`);
    }
    children.push(child);
    fields.push(new A.Field(f.name, child.type, f.nullable));
  }
  return A.makeData({
    type: new A.Struct(fields),
    offset: data.offset,
    length: data.length,
    nullCount: data.nullCount,
    nullBitmap: data.nullBitmap,
    children,
  });
}
