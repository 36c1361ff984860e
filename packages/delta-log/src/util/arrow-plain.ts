/**
 * Arrow → plain JS values, for reading log actions out of Parquet checkpoints. Readers work on the raw
 * buffers of one `Data` chunk and are built once per column, not per row: a checkpoint of 100k files is
 * about a million values, and apache-arrow's generic `get()` path allocates on each of them.
 */
import * as A from 'apache-arrow';
import { formatDecimal } from '../scan/partition-values.js';
import { JsonNumber } from './json.js';

export type Reader = (row: number) => unknown;

export function validity(data: A.Data): (i: number) => boolean {
  const bitmap = data.nullBitmap;
  if (!bitmap || bitmap.length === 0 || data.nullCount === 0) return () => true;
  const off = data.offset;
  return (i) => (((bitmap[(off + i) >> 3] as number) >> ((off + i) & 7)) & 1) === 1;
}

const MICROS: Record<number, [bigint, bigint]> = {
  [A.TimeUnit.SECOND]: [1_000_000n, 1n],
  [A.TimeUnit.MILLISECOND]: [1000n, 1n],
  [A.TimeUnit.MICROSECOND]: [1n, 1n],
  [A.TimeUnit.NANOSECOND]: [1n, 1000n],
};

/**
 * Builds a reader for one column chunk. Structs become objects without their null fields (the JSON shape
 * of actions), maps become records, lists arrays. Numbers stay exact, as `parseJson` keeps them: int64 is a
 * number within ±2^53 and a bigint beyond, a decimal a `JsonNumber` (its exact text). With `isoTimestamps`,
 * timestamps and dates become ISO-8601 strings (the JSON stats encoding) instead of numbers. `skip` drops
 * struct fields.
 */
export function plainReader(
  data: A.Data,
  isoTimestamps = false,
  skip: ReadonlySet<string> = new Set(),
): Reader {
  const t = data.type;
  const valid = validity(data);
  if (A.DataType.isStruct(t)) {
    const kids: Array<[string, Reader]> = [];
    t.children.forEach((f, k) => {
      const child = data.children[k];
      if (child && !skip.has(f.name)) kids.push([f.name, plainReader(child, isoTimestamps)]);
    });
    return (i) => {
      if (!valid(i)) return null;
      const o: Record<string, unknown> = {};
      for (const [name, read] of kids) {
        const v = read(i);
        if (v !== null && v !== undefined) o[name] = v;
      }
      return o;
    };
  }
  if (A.DataType.isMap(t) || A.DataType.isList(t)) {
    const offsets = data.valueOffsets as Int32Array;
    const child = data.children[0];
    if (!child) return (i) => (valid(i) ? (A.DataType.isMap(t) ? {} : []) : null);
    if (A.DataType.isMap(t)) {
      const readKey = plainReader(child.children[0] as A.Data, isoTimestamps);
      const readValue = plainReader(child.children[1] as A.Data, isoTimestamps);
      return (i) => {
        if (!valid(i)) return null;
        const o: Record<string, unknown> = {};
        for (let j = offsets[i] as number; j < (offsets[i + 1] as number); j++)
          o[String(readKey(j))] = readValue(j);
        return o;
      };
    }
    const readItem = plainReader(child, isoTimestamps);
    return (i) => {
      if (!valid(i)) return null;
      const out: unknown[] = [];
      for (let j = offsets[i] as number; j < (offsets[i + 1] as number); j++) out.push(readItem(j));
      return out;
    };
  }
  if (A.DataType.isUtf8(t)) {
    const offsets = data.valueOffsets as Int32Array;
    const bytes = data.values as Uint8Array;
    const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) as Buffer & {
      utf8Slice?: (start: number, end: number) => string;
    };
    // Buffer#utf8Slice is the native decoder behind toString('utf8'), minus its argument handling.
    if (typeof buf.utf8Slice === 'function') {
      const slice = buf.utf8Slice.bind(buf);
      return (i) => (valid(i) ? slice(offsets[i] as number, offsets[i + 1] as number) : null);
    }
    return (i) => (valid(i) ? buf.toString('utf8', offsets[i], offsets[i + 1]) : null);
  }
  if (A.DataType.isBool(t)) {
    const bits = data.values as Uint8Array;
    const off = data.offset;
    return (i) => (valid(i) ? (((bits[(off + i) >> 3] as number) >> ((off + i) & 7)) & 1) === 1 : null);
  }
  if (A.DataType.isTimestamp(t)) {
    const values = data.values as unknown as BigInt64Array;
    const [mul, div] = MICROS[t.unit] ?? [1n, 1n];
    return (i) => {
      if (!valid(i)) return null;
      const us = ((values[i] as bigint) * mul) / div;
      const ms = Number(us / 1000n);
      return isoTimestamps ? new Date(ms).toISOString() : ms;
    };
  }
  if (A.DataType.isDate(t) && t.unit === A.DateUnit.DAY) {
    const values = data.values as Int32Array;
    return (i) => {
      if (!valid(i)) return null;
      const ms = (values[i] as number) * 86_400_000;
      return isoTimestamps ? new Date(ms).toISOString().slice(0, 10) : ms;
    };
  }
  if (A.DataType.isDecimal(t)) {
    const words = data.values as Uint32Array;
    const scale = t.scale;
    return (i) => {
      if (!valid(i)) return null;
      let v = 0n;
      for (let k = 3; k >= 0; k--) v = (v << 32n) | BigInt(words[4 * i + k] as number);
      if (v >> 127n) v -= 1n << 128n;
      return new JsonNumber(formatDecimal(v, scale));
    };
  }
  if (A.DataType.isInt(t) && t.bitWidth === 64) {
    // Two 32-bit words instead of a BigInt per value; a value beyond ±2^53 (high word beyond ±2^21) is a bigint.
    const values = data.values as BigInt64Array;
    const words = new Uint32Array(values.buffer, values.byteOffset, values.length * 2);
    const signed = t.isSigned;
    return (i) => {
      if (!valid(i)) return null;
      const lo = words[2 * i] as number;
      const hi = signed ? (words[2 * i + 1] as number) | 0 : (words[2 * i + 1] as number);
      if (hi >= 0x200000 || hi < -0x200000) return values[i] as bigint;
      return hi * 4294967296 + lo;
    };
  }
  if (A.DataType.isInt(t) || A.DataType.isFloat(t)) {
    const values = data.values as ArrayLike<number | bigint>;
    return (i) => {
      if (!valid(i)) return null;
      return values[i] as number | bigint; // int8..int32 and floats: numbers (a uint64 stays a bigint)
    };
  }
  const vec = new A.Vector([data]);
  return (i) => {
    const v = vec.get(i);
    return typeof v === 'bigint' && v >= -(2n ** 53n) && v <= 2n ** 53n ? Number(v) : (v ?? null);
  };
}
