/**
 * Delta per-file statistics (`numRecords`, `minValues`, `maxValues`, `nullCount`) computed from the Arrow batch that
 * becomes the Parquet file. Pure: an Arrow table in, a plain object out.
 *
 * Rules, as Spark and delta-kernel-rs write them (PROTOCOL.md "Per-file Statistics"; kernel `stats.rs`):
 * - only the first 32 leaf columns in schema order (`delta.dataSkippingNumIndexedCols`); structs are walked, arrays and
 *   maps are one leaf each;
 * - booleans, binary, arrays and maps get a null count only; a column with no non-null value gets no min/max;
 * - strings are compared in code-point order (UTF-8 byte order) and truncated to 32 characters: the min by plain
 *   truncation, the max by truncation plus a tie-breaker (U+007F after an ASCII cut, U+10FFFF otherwise), or no max
 *   when no cut point exists within 64 characters;
 * - timestamps are truncated to milliseconds (readers widen the max by 1 ms); a null struct makes all its leaves null;
 * - NaN is ignored; an infinite or unrepresentable bound (a date outside years 0–9999) is left out, which only makes
 *   data skipping less selective, never wrong.
 */
import {
  type Data,
  DataType,
  DateUnit,
  type Field,
  Precision,
  type Table,
  TimeUnit,
  Type,
} from 'apache-arrow';

export const DEFAULT_NUM_INDEXED_COLS = 32;
const STRING_PREFIX = 32;
const STRING_EXPANSION_LIMIT = 64;

/** An int64 or decimal bound, kept as its exact decimal text (a JS number would round it). */
export class ExactNumber {
  constructor(readonly text: string) {}
}

/** A bound: a JSON number, a string, or an exact number. */
export type StatValue = number | string | ExactNumber;
export interface StatTree {
  [column: string]: StatValue | StatTree;
}
export interface NullCountTree {
  [column: string]: number | NullCountTree;
}
export interface DeltaStats {
  numRecords: number;
  minValues: StatTree;
  maxValues: StatTree;
  nullCount: NullCountTree;
}

interface LeafResult {
  nullCount: number;
  min?: StatValue;
  max?: StatValue;
}

export function computeDeltaStats(
  table: Table,
  options: { numIndexedCols?: number; skipColumns?: readonly string[] } = {},
): DeltaStats {
  let budget = options.numIndexedCols ?? DEFAULT_NUM_INDEXED_COLS;
  const skip = new Set(options.skipColumns ?? []);
  const stats: DeltaStats = { numRecords: table.numRows, minValues: {}, maxValues: {}, nullCount: {} };

  // Walks one field across all record batches; writes results into the three trees at the same position.
  // `masks[c]` is the validity of the enclosing structs for chunk c (undefined: all rows valid).
  const walk = (
    field: Field,
    chunks: Data[],
    masks: (Uint8Array | undefined)[],
    min: StatTree,
    max: StatTree,
    nulls: NullCountTree,
  ): void => {
    if (budget <= 0) return;
    if (field.type.typeId === Type.Struct) {
      const childMin: StatTree = {};
      const childMax: StatTree = {};
      const childNulls: NullCountTree = {};
      const childMasks = chunks.map((d, c) => combineValidity(masks[c], d));
      field.type.children.forEach((child: Field, k: number) => {
        walk(
          child,
          chunks.map((d) => d.children[k] as Data),
          childMasks,
          childMin,
          childMax,
          childNulls,
        );
      });
      if (Object.keys(childNulls).length > 0) nulls[field.name] = childNulls;
      if (Object.keys(childMin).length > 0) min[field.name] = childMin;
      if (Object.keys(childMax).length > 0) max[field.name] = childMax;
      return;
    }
    budget -= 1;
    const leaf = leafStats(field.type, chunks, masks);
    nulls[field.name] = leaf.nullCount;
    if (leaf.min !== undefined) min[field.name] = leaf.min;
    if (leaf.max !== undefined) max[field.name] = leaf.max;
  };

  table.schema.fields.forEach((field, k) => {
    if (skip.has(field.name)) return;
    const chunks = table.batches.map((b) => b.data.children[k] as Data);
    walk(field, chunks, [], stats.minValues, stats.maxValues, stats.nullCount);
  });
  return stats;
}

/** Min, max and null count of one leaf column over all its chunks. */
function leafStats(type: DataType, chunks: Data[], masks: (Uint8Array | undefined)[]): LeafResult {
  const acc = accumulatorFor(type);
  let nullCount = 0;
  chunks.forEach((data, c) => {
    const mask = combineValidity(masks[c], data);
    if (mask === undefined) {
      // No nulls at all (the common case): no per-row validity checks.
      if (acc) {
        const visit = acc.prepare(data);
        for (let i = 0; i < data.length; i++) visit(i);
      }
      return;
    }
    const visit = acc?.prepare(data);
    for (let i = 0; i < data.length; i++) {
      if (mask[i] === 0) nullCount++;
      else visit?.(i);
    }
  });
  return { nullCount, ...acc?.result() };
}

/** Row validity of `data` within its parents (1 = a value), or undefined when every row is valid. */
function combineValidity(parent: Uint8Array | undefined, data: Data): Uint8Array | undefined {
  if (data.nullCount === 0) return parent;
  const mask = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++)
    mask[i] = (parent === undefined || parent[i] === 1) && data.getValid(i) ? 1 : 0;
  return mask;
}

interface Accumulator {
  /** Returns a visitor for the non-null element `i` of `data`. */
  prepare(data: Data): (i: number) => void;
  result(): { min?: StatValue; max?: StatValue };
}

function accumulatorFor(type: DataType): Accumulator | undefined {
  if (DataType.isInt(type)) {
    return type.bitWidth === 64
      ? bigintAccumulator((v) => new ExactNumber(v.toString()))
      : numberAccumulator();
  }
  if (DataType.isFloat(type)) {
    if (type.precision === Precision.HALF) return undefined;
    return numberAccumulator(type.precision === Precision.SINGLE ? shortestFloat32 : finite);
  }
  if (DataType.isDecimal(type)) return decimalAccumulator(type.scale, type.bitWidth);
  if (DataType.isDate(type)) {
    return type.unit === DateUnit.DAY
      ? numberAccumulator((days) => formatDate(days * 86_400_000))
      : bigintAccumulator((ms) => formatDate(Number(ms)));
  }
  if (DataType.isTimestamp(type)) {
    const toMs = {
      [TimeUnit.SECOND]: [1000n, 1n],
      [TimeUnit.MILLISECOND]: [1n, 1n],
      [TimeUnit.MICROSECOND]: [1n, 1000n],
      [TimeUnit.NANOSECOND]: [1n, 1_000_000n],
    }[type.unit];
    const [mul, div] = toMs as [bigint, bigint];
    return bigintAccumulator((v) => formatTimestamp(floorDiv(v * mul, div), type.timezone != null));
  }
  if (DataType.isUtf8(type) || DataType.isLargeUtf8(type)) return stringAccumulator();
  return undefined; // bool, binary, list, map, …: null count only
}

function numberAccumulator(format: (n: number) => StatValue | undefined = finite): Accumulator {
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
    result: () => (seen ? { min: format(lo), max: format(hi) } : {}),
  };
}

function finite(n: number): number | undefined {
  return Number.isFinite(n) ? n : undefined;
}

/** A float32 printed as a double shows noise digits (0.234 → 0.23399999737739563); print the shortest exact form. */
function shortestFloat32(n: number): number | undefined {
  if (!Number.isFinite(n)) return undefined;
  for (let digits = 1; digits < 10; digits++) {
    const candidate = Number(n.toPrecision(digits));
    if (Math.fround(candidate) === n) return candidate;
  }
  return n;
}

function bigintAccumulator(format: (v: bigint) => StatValue | undefined): Accumulator {
  let lo: bigint | undefined;
  let hi: bigint | undefined;
  return {
    prepare(data) {
      const values = data.values as BigInt64Array | BigUint64Array;
      return (i) => {
        const v = values[i] as bigint;
        if (lo === undefined || v < lo) lo = v;
        if (hi === undefined || v > hi) hi = v;
      };
    },
    result: () => (lo === undefined || hi === undefined ? {} : { min: format(lo), max: format(hi) }),
  };
}

function decimalAccumulator(scale: number, bitWidth: number): Accumulator {
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
    result: () =>
      lo === undefined || hi === undefined
        ? {}
        : { min: decimalLiteral(lo, scale), max: decimalLiteral(hi, scale) },
  };
}

/** Compares UTF-8 bytes in place, which is code-point order, and decodes only the winners. */
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
      return { min: truncateMin(decoder.decode(lo)), max: truncateMax(decoder.decode(hi)) };
    },
  };
}

export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/** The first 32 code points: never greater than the value. */
export function truncateMin(s: string): string {
  if (s.length <= STRING_PREFIX) return s;
  const cps = Array.from(s);
  return cps.length <= STRING_PREFIX ? s : cps.slice(0, STRING_PREFIX).join('');
}

/** A prefix plus a tie-breaker that is never less than the value, or undefined when no safe cut exists. */
export function truncateMax(s: string): string | undefined {
  if (s.length <= STRING_PREFIX) return s;
  const cps = Array.from(s);
  for (let len = STRING_PREFIX; len <= Math.min(cps.length, STRING_EXPANSION_LIMIT); len++) {
    if (len >= cps.length) return s;
    const next = cps[len] as string;
    if (next === '\u{10FFFF}') continue;
    const tieBreaker = (next.codePointAt(0) as number) < 0x7f ? '\u007f' : '\u{10FFFF}';
    return cps.slice(0, len).join('') + tieBreaker;
  }
  return undefined;
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

/** Years 0–9999 only: other years have no ISO-8601 form every reader parses. */
const MIN_MS = -62_167_219_200_000; // 0000-01-01T00:00:00Z
const MAX_MS = 253_402_300_799_999; // 9999-12-31T23:59:59.999Z

function formatDate(ms: number): string | undefined {
  return ms < MIN_MS || ms > MAX_MS ? undefined : new Date(ms).toISOString().slice(0, 10);
}

function formatTimestamp(ms: bigint, utc: boolean): string | undefined {
  const n = Number(ms);
  if (n < MIN_MS || n > MAX_MS) return undefined;
  const iso = new Date(n).toISOString();
  return utc ? iso : iso.slice(0, -1); // timestamp_ntz has no offset
}

function decimalLiteral(unscaled: bigint, scale: number): ExactNumber {
  const negative = unscaled < 0n;
  let digits = (negative ? -unscaled : unscaled).toString();
  if (scale > 0) {
    digits = digits.padStart(scale + 1, '0');
    digits = `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  } else if (scale < 0) {
    digits = `${digits}${'0'.repeat(-scale)}`;
  }
  return new ExactNumber(`${negative ? '-' : ''}${digits}`);
}

/** Serializes stats as the `add.stats` JSON string, writing exact literals for int64 and decimal bounds. */
export function statsToJson(stats: DeltaStats): string {
  // Empty trees carry no information; Spark leaves them out when no column is indexed.
  const trees = (['minValues', 'maxValues', 'nullCount'] as const).filter(
    (k) => Object.keys(stats[k]).length > 0,
  );
  const parts = [`"numRecords":${stats.numRecords}`, ...trees.map((k) => `"${k}":${encode(stats[k])}`)];
  return `{${parts.join(',')}}`;
}

function encode(value: StatValue | StatTree | number): string {
  if (typeof value === 'number' || typeof value === 'string') return JSON.stringify(value);
  if (value instanceof ExactNumber) return value.text;
  const entries = Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}:${encode(v)}`);
  return `{${entries.join(',')}}`;
}
