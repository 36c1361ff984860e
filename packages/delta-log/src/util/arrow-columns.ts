/**
 * Arrow columns from plain JavaScript values (objects for structs, records for string maps, arrays for lists),
 * built straight into buffers. apache-arrow's builders record every null of a string column in a `Map` entry, and a
 * checkpoint's rows are mostly nulls (one action per row, a dozen string fields per action): encoding 100k
 * tombstones through them took 3–6 s, ~36 % of it in `VariableWidthBuilder.setValid` (bench/checkpoint.ts).
 *
 * Types covered: the ones checkpoints use — Utf8, Int32, Int64, Bool, Struct, Map_<Utf8, Utf8>, List<Utf8>.
 * `undefined` and `null` are both null. Int64 takes numbers (safe integers), bigints, or anything whose string is
 * an integer (`JsonNumber`).
 */
import * as A from 'apache-arrow';

/** The Arrow data of `type` holding `values`. Throws for a type outside the ones above. */
export function dataFromValues(type: A.DataType, values: readonly unknown[]): A.Data {
  const length = values.length;
  const { nullBitmap, nullCount } = validityOf(values);
  const common = { length, nullCount, nullBitmap } as const;
  if (A.DataType.isUtf8(type)) {
    const { offsets, data } = utf8Buffers(values as readonly (string | null | undefined)[]);
    return A.makeData({ ...common, type, valueOffsets: offsets, data });
  }
  if (A.DataType.isInt(type) && type.bitWidth === 64) {
    return A.makeData({ ...common, type: type as A.Int64, data: int64Buffer(values) });
  }
  if (A.DataType.isInt(type) && type.bitWidth === 32) {
    const data = new Int32Array(length);
    for (let i = 0; i < length; i++) {
      const v = values[i];
      if (v !== undefined && v !== null) data[i] = Number(v);
    }
    return A.makeData({ ...common, type: type as A.Int32, data });
  }
  if (A.DataType.isBool(type)) {
    const data = new Uint8Array(Math.ceil(length / 8));
    for (let i = 0; i < length; i++) if (values[i] === true) setBit(data, i);
    return A.makeData({ ...common, type, data });
  }
  if (A.DataType.isStruct(type)) {
    const children = type.children.map((field) =>
      dataFromValues(
        field.type,
        values.map((v) =>
          v === undefined || v === null ? undefined : (v as Record<string, unknown>)[field.name],
        ),
      ),
    );
    return A.makeData({ ...common, type, children });
  }
  if (A.DataType.isMap(type)) return mapData(type, values, common);
  if (A.DataType.isList(type)) {
    const offsets = new Int32Array(length + 1);
    const items: unknown[] = [];
    for (let i = 0; i < length; i++) {
      const v = values[i];
      if (v !== undefined && v !== null) for (const item of v as readonly unknown[]) items.push(item);
      offsets[i + 1] = items.length;
    }
    const child = dataFromValues((type.children[0] as A.Field).type, items);
    return A.makeData({ ...common, type, valueOffsets: offsets, child });
  }
  throw new Error(`no column of type ${type} is built from values`);
}

function validityOf(values: readonly unknown[]): { nullBitmap: Uint8Array; nullCount: number } {
  const nullBitmap = new Uint8Array(Math.ceil(values.length / 8));
  let nullCount = 0;
  for (let i = 0; i < values.length; i++) {
    if (values[i] === undefined || values[i] === null) nullCount++;
    else setBit(nullBitmap, i);
  }
  return { nullBitmap, nullCount };
}

const setBit = (bits: Uint8Array, i: number) => {
  bits[i >> 3] = (bits[i >> 3] as number) | (1 << (i & 7));
};

const encoder = new TextEncoder();

function utf8Buffers(values: readonly (string | null | undefined)[]): {
  offsets: Int32Array;
  data: Uint8Array;
} {
  const offsets = new Int32Array(values.length + 1);
  let units = 0;
  for (const v of values) if (v) units += v.length;
  // UTF-16 units are UTF-8 bytes for ASCII (paths, stats, ids); anything else grows the buffer.
  let data = new Uint8Array(Math.max(16, units));
  let end = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v) {
      // at most 3 bytes per UTF-16 unit
      if (data.length - end < v.length * 3) {
        const grown = new Uint8Array(Math.max(data.length * 2, end + v.length * 3));
        grown.set(data.subarray(0, end));
        data = grown;
      }
      end += encoder.encodeInto(v, data.subarray(end)).written;
    }
    offsets[i + 1] = end;
  }
  return { offsets, data: data.subarray(0, end) };
}

const TWO_32 = 2 ** 32;

function int64Buffer(values: readonly unknown[]): BigInt64Array {
  const data = new BigInt64Array(values.length);
  // little-endian words: a safe integer is written without making a BigInt
  const words = new Uint32Array(data.buffer);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === undefined || v === null) continue;
    if (typeof v === 'number' && Number.isSafeInteger(v)) {
      const high = Math.floor(v / TWO_32);
      words[2 * i] = v - high * TWO_32;
      words[2 * i + 1] = high >>> 0;
    } else data[i] = typeof v === 'bigint' ? v : BigInt(String(v));
  }
  return data;
}

/** A `Map_` of string keys to nullable string values, from records (or JavaScript Maps). */
function mapData(
  type: A.Map_,
  values: readonly unknown[],
  common: { length: number; nullCount: number; nullBitmap: Uint8Array },
): A.Data {
  const offsets = new Int32Array(values.length + 1);
  const keys: string[] = [];
  const items: (string | null)[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v !== undefined && v !== null) {
      const entries = v instanceof Map ? v.entries() : Object.entries(v as Record<string, unknown>);
      for (const [key, item] of entries) {
        keys.push(String(key));
        items.push(item === undefined || item === null ? null : String(item));
      }
    }
    offsets[i + 1] = keys.length;
  }
  const entryType = (type.children[0] as A.Field<A.Struct>).type;
  const [keyField, valueField] = entryType.children as [A.Field, A.Field];
  const child = A.makeData({
    type: entryType,
    length: keys.length,
    nullCount: 0,
    children: [dataFromValues(keyField.type, keys), dataFromValues(valueField.type, items)],
  });
  return A.makeData({ ...common, type, valueOffsets: offsets, child });
}
