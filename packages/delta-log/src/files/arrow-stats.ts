/**
 * Per-leaf statistics (`LeafStatistics`) read from finished Arrow data, for writers that did not collect them while
 * appending (and for checking those that did). Strings are compared as their UTF-8 bytes in place — code-point order
 * — and only the two winners are decoded; a null struct makes its leaves null. Pure.
 */
import * as A from 'apache-arrow';
import type { LeafStatistics, LeafStatisticsOf } from './stats.js';

/** Statistics of each leaf of `data` (batches of one schema), computed on first request per leaf. */
export function arrowLeafStatistics(data: A.Table | readonly A.RecordBatch[]): LeafStatisticsOf {
  const batches = data instanceof A.Table ? data.batches : data;
  const cache = new Map<string, LeafStatistics | undefined>();
  return (path) => {
    const key = JSON.stringify(path);
    if (!cache.has(key)) cache.set(key, leafOf(batches, path));
    return cache.get(key);
  };
}

function leafOf(batches: readonly A.RecordBatch[], path: readonly string[]): LeafStatistics | undefined {
  const chunks: { data: A.Data; mask: Uint8Array | undefined }[] = [];
  for (const batch of batches) {
    let data: A.Data = batch.data;
    let mask: Uint8Array | undefined;
    for (const name of path) {
      const index = (data.type as A.Struct).children?.findIndex((f: A.Field) => f.name === name) ?? -1;
      if (!A.DataType.isStruct(data.type) || index < 0) return undefined;
      mask = combineValidity(mask, data);
      data = data.children[index] as A.Data;
    }
    chunks.push({ data, mask });
  }
  const first = chunks[0];
  if (first === undefined) return undefined;
  const acc = accumulatorFor(first.data.type);
  let nullCount = 0;
  for (const { data, mask: parents } of chunks) {
    const mask = combineValidity(parents, data);
    const visit = acc?.prepare(data);
    if (mask === undefined) {
      if (visit) for (let i = 0; i < data.length; i++) visit(i);
      continue;
    }
    for (let i = 0; i < data.length; i++) {
      if (mask[i] === 0) nullCount++;
      else visit?.(i);
    }
  }
  return { nullCount, ...acc?.result() };
}

/** Row validity of `data` within its parents (1 = a value), or undefined when every row is valid. */
function combineValidity(parent: Uint8Array | undefined, data: A.Data): Uint8Array | undefined {
  if (data.nullCount === 0) return parent;
  const mask = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++)
    mask[i] = (parent === undefined || parent[i] === 1) && data.getValid(i) ? 1 : 0;
  return mask;
}

interface Accumulator {
  /** A visitor for the non-null element `i` of `data`. */
  prepare(data: A.Data): (i: number) => void;
  result(): { min?: number | bigint | string; max?: number | bigint | string };
}

function accumulatorFor(type: A.DataType): Accumulator | undefined {
  if (A.DataType.isInt(type)) return type.bitWidth === 64 ? bigintAccumulator(1n, 1n) : numberAccumulator();
  if (A.DataType.isFloat(type)) return type.precision === A.Precision.HALF ? undefined : numberAccumulator();
  if (A.DataType.isDecimal(type)) return decimalAccumulator(type.bitWidth);
  if (A.DataType.isDate(type)) {
    // Delta dates are days; a millisecond date is floored to its day.
    return type.unit === A.DateUnit.DAY ? numberAccumulator() : bigintAccumulator(1n, 86_400_000n, true);
  }
  if (A.DataType.isTimestamp(type)) {
    const [mul, div] = {
      [A.TimeUnit.SECOND]: [1_000_000n, 1n],
      [A.TimeUnit.MILLISECOND]: [1000n, 1n],
      [A.TimeUnit.MICROSECOND]: [1n, 1n],
      [A.TimeUnit.NANOSECOND]: [1n, 1000n],
    }[type.unit] as [bigint, bigint];
    return bigintAccumulator(mul, div);
  }
  if (A.DataType.isUtf8(type) || A.DataType.isLargeUtf8(type)) return stringAccumulator();
  return undefined; // bool, binary, list, map, …: null count only
}

function numberAccumulator(): Accumulator {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  let seen = false;
  return {
    prepare(data) {
      const values = data.values as ArrayLike<number>;
      return (i) => {
        const v = values[i] as number;
        if (Number.isNaN(v)) return;
        seen = true;
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      };
    },
    result: () => (seen ? { min: lo, max: hi } : {}),
  };
}

/** int64 values scaled by `mul / div` (floored): µs of timestamps, days of millisecond dates. */
function bigintAccumulator(mul: bigint, div: bigint, toNumber = false): Accumulator {
  let lo: bigint | undefined;
  let hi: bigint | undefined;
  const scale = (v: bigint) => {
    const x = v * mul;
    if (div === 1n) return x;
    const q = x / div;
    return x % div !== 0n && x < 0n ? q - 1n : q;
  };
  return {
    prepare(data) {
      const values = data.values as BigInt64Array;
      return (i) => {
        const v = values[i] as bigint;
        if (lo === undefined || v < lo) lo = v;
        if (hi === undefined || v > hi) hi = v;
      };
    },
    result() {
      if (lo === undefined || hi === undefined) return {};
      const [min, max] = [scale(lo), scale(hi)];
      return toNumber ? { min: Number(min), max: Number(max) } : { min, max };
    },
  };
}

function decimalAccumulator(bitWidth: number): Accumulator {
  const words = bitWidth / 32;
  let lo: bigint | undefined;
  let hi: bigint | undefined;
  return {
    prepare(data) {
      const values = data.values as Uint32Array;
      return (i) => {
        let v = 0n;
        for (let w = words - 1; w >= 0; w--) v = (v << 32n) | BigInt(values[i * words + w] as number);
        v = BigInt.asIntN(bitWidth, v);
        if (lo === undefined || v < lo) lo = v;
        if (hi === undefined || v > hi) hi = v;
      };
    },
    result: () => (lo === undefined || hi === undefined ? {} : { min: lo, max: hi }),
  };
}

function stringAccumulator(): Accumulator {
  let lo: Uint8Array | undefined;
  let hi: Uint8Array | undefined;
  return {
    prepare(data) {
      const offsets = data.valueOffsets as Int32Array | BigInt64Array;
      const bytes = data.values as Uint8Array;
      return (i) => {
        const v = bytes.subarray(Number(offsets[i]), Number(offsets[i + 1]));
        if (lo === undefined || compareBytes(v, lo) < 0) lo = v;
        if (hi === undefined || compareBytes(v, hi) > 0) hi = v;
      };
    },
    result() {
      if (lo === undefined || hi === undefined) return {};
      const decoder = new TextDecoder();
      return { min: decoder.decode(lo), max: decoder.decode(hi) };
    },
  };
}

/** Byte-wise comparison: code-point order for UTF-8. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}
