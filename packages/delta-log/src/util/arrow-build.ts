/**
 * Building Arrow data directly from buffers: all-null columns (for columns a file lacks) and constant
 * columns (partition values). Buffers are built by hand because the builders round timestamps to ms.
 */
import * as A from 'apache-arrow';
import type { Scalar } from '../scan/partition-values.js';

function bitmap(length: number, set: boolean): Uint8Array {
  return new Uint8Array(Math.ceil(length / 8)).fill(set ? 0xff : 0);
}

/** An all-null column of any type (nested types get empty/null children of matching shape). */
export function nullData(type: A.DataType, length: number): A.Data {
  const nullBitmap = bitmap(length, false);
  if (A.DataType.isStruct(type)) {
    return A.makeData({
      type,
      length,
      nullCount: length,
      nullBitmap,
      children: type.children.map((f) => nullData(f.type, length)),
    });
  }
  if (A.DataType.isList(type)) {
    return A.makeData({
      type,
      length,
      nullCount: length,
      nullBitmap,
      valueOffsets: new Int32Array(length + 1),
      child: nullData((type.children[0] as A.Field).type, 0),
    });
  }
  if (A.DataType.isMap(type)) {
    return A.makeData({
      type,
      length,
      nullCount: length,
      nullBitmap,
      valueOffsets: new Int32Array(length + 1),
      child: nullData((type.children[0] as A.Field).type, 0) as A.Data<A.Struct>,
    });
  }
  if (A.DataType.isNull(type)) return A.makeData({ type, length });
  if (A.DataType.isUtf8(type) || A.DataType.isBinary(type)) {
    return A.makeData({
      type: type as A.Utf8,
      length,
      nullCount: length,
      nullBitmap,
      valueOffsets: new Int32Array(length + 1),
      data: new Uint8Array(0),
    });
  }
  return constantData(type, null, length);
}

/** A column repeating `value` (`null` gives an all-null column). */
export function constantData(type: A.DataType, value: Scalar, length: number): A.Data {
  const isNull = value === null;
  const nullCount = isNull ? length : 0;
  const nullBitmap = bitmap(length, !isNull);
  const common = { type, length, nullCount, nullBitmap } as const;
  if (A.DataType.isUtf8(type) || A.DataType.isBinary(type)) {
    const bytes = isNull
      ? new Uint8Array(0)
      : typeof value === 'string'
        ? new TextEncoder().encode(value)
        : (value as Uint8Array);
    const offsets = new Int32Array(length + 1);
    const data = new Uint8Array(isNull ? 0 : bytes.length * length);
    for (let i = 0; i < length; i++) {
      offsets[i + 1] = isNull ? 0 : (i + 1) * bytes.length;
      if (!isNull) data.set(bytes, i * bytes.length);
    }
    return A.makeData({ ...common, type: type as A.Utf8, valueOffsets: offsets, data });
  }
  if (A.DataType.isBool(type)) {
    return A.makeData({ ...common, type: type as A.Bool, data: bitmap(length, value === true) });
  }
  if (A.DataType.isDecimal(type)) {
    const words = new Uint32Array(length * 4);
    if (!isNull) {
      let v = BigInt(value as bigint);
      const mask = (1n << 128n) - 1n;
      v &= mask; // two's complement
      const w = [0, 1, 2, 3].map((k) => Number((v >> BigInt(32 * k)) & 0xffffffffn));
      for (let i = 0; i < length; i++) words.set(w, i * 4);
    }
    return A.makeData({ ...common, type: type as A.Decimal, data: words });
  }
  if (A.DataType.isTimestamp(type) || (A.DataType.isInt(type) && type.bitWidth === 64)) {
    const data = new BigInt64Array(length);
    if (!isNull) data.fill(BigInt(value as bigint));
    return A.makeData({ ...common, type: type as A.Int64, data });
  }
  if (A.DataType.isInt(type) || A.DataType.isFloat(type) || A.DataType.isDate(type)) {
    const data = new type.ArrayType(length) as Int32Array;
    if (!isNull) data.fill(Number(value));
    return A.makeData({ ...common, type: type as A.Int32, data });
  }
  if (
    A.DataType.isStruct(type) ||
    A.DataType.isList(type) ||
    A.DataType.isMap(type) ||
    A.DataType.isNull(type)
  ) {
    return nullData(type, length);
  }
  throw new Error(`cannot build a constant column of type ${type}`);
}
