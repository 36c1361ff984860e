/**
 * A data file's `add.stats` (PROTOCOL "Per-file Statistics") from per-leaf column statistics — min, max and null
 * count of each leaf column — however they were collected: by a writer while it appended the values (no second pass
 * over the data), or from finished Arrow data (`arrow-stats.ts`). One formatter, so every writer of this package and
 * of its users produces the same stats. Pure.
 *
 * Rules, as Spark and delta-kernel-rs write them:
 * - the columns are the first `delta.dataSkippingNumIndexedCols` (32; -1 all) leaf columns in schema order, or the
 *   ones `delta.dataSkippingStatsColumns` names; structs are walked, arrays, maps and variants are one leaf each;
 *   partition columns are never in data files;
 * - booleans, binary, arrays and maps get a null count only; a column without a non-null value gets no min/max;
 * - strings are cut to 32 code points: the min by plain truncation, the max by truncation plus a tie-breaker (U+007F
 *   after an ASCII cut, U+10FFFF otherwise), or no max when no cut point exists within 64 code points;
 * - timestamps are truncated to milliseconds (readers widen the max by 1 ms); longs and decimals are written as exact
 *   literals, never through a double; NaN is not a bound; a bound with no JSON or ISO form (±∞, a date outside years
 *   0–9999) is left out, which only makes skipping less selective, never wrong;
 * - empty `minValues` / `maxValues` / `nullCount` objects are left out, as Spark does when nothing is indexed.
 */
import { formatDecimal } from '../scan/partition-values.js';
import { type ColumnMappingMode, physicalName } from '../schema/column-mapping.js';
import type { DataType, StructField, StructType } from '../schema/types.js';

/**
 * Statistics of one leaf column, as collected. `min`/`max` (absent when the column has no non-null value) are in the
 * natural JS form of the column's Delta type: a number for byte/short/integer/float/double and for dates (days since
 * the epoch); a bigint or a safe-integer number for long and for timestamps (µs since the epoch); the unscaled
 * bigint for decimals; the string for strings. Other types carry a null count only.
 */
export interface LeafStatistics {
  nullCount: number;
  min?: StatScalar;
  max?: StatScalar;
}

export type StatScalar = number | bigint | string;

export interface StatsOptions {
  /** Table configuration: reads `delta.dataSkippingNumIndexedCols` / `delta.dataSkippingStatsColumns`. */
  configuration?: Record<string, string>;
  columnMappingMode?: ColumnMappingMode;
  /** Columns excluded from stats (partition columns are never in data files). */
  exclude?: readonly string[];
}

/** The statistics of the leaf at `path` (logical names), or undefined when the file has no such column. */
export type LeafStatisticsOf = (path: readonly string[]) => LeafStatistics | undefined;

const PREFIX = 32;
const MAX_SEARCH = 64;
const DEFAULT_NUM_INDEXED_COLS = 32;

/** The leaf columns of a schema, each as its path of fields. */
export function leafPaths(
  schema: StructType,
  path: StructField[] = [],
  out: StructField[][] = [],
): StructField[][] {
  for (const f of schema.fields) {
    if (typeof f.type === 'object' && f.type.type === 'struct') leafPaths(f.type, [...path, f], out);
    else out.push([...path, f]);
  }
  return out;
}

/** The leaf columns that get statistics, by the table's data-skipping configuration. */
export function statsColumns(schema: StructType, options: StatsOptions = {}): StructField[][] {
  const conf = options.configuration ?? {};
  const excluded = new Set((options.exclude ?? []).map((e) => e.toLowerCase()));
  const all = leafPaths(schema).filter((p) => !excluded.has((p[0] as StructField).name.toLowerCase()));
  const explicit = conf['delta.dataSkippingStatsColumns'];
  if (explicit) {
    const wanted = explicit
      .split(',')
      .map((c) => c.trim().replace(/`/g, '').toLowerCase())
      .filter((c) => c !== '');
    return all.filter((p) => {
      const key = p
        .map((f) => f.name)
        .join('.')
        .toLowerCase();
      return wanted.some((w) => key === w || key.startsWith(`${w}.`));
    });
  }
  const raw = conf['delta.dataSkippingNumIndexedCols'];
  const n = raw === undefined ? DEFAULT_NUM_INDEXED_COLS : Number(raw);
  if (!Number.isInteger(n)) return all.slice(0, DEFAULT_NUM_INDEXED_COLS);
  return n < 0 ? all : all.slice(0, n);
}

/** Insertion-ordered (an object would move integer-like column names first). */
type StatTree = Map<string, StatTree | Literal>;

/** A JSON value kept as its text, so longs and decimals keep every digit. */
class Literal {
  constructor(readonly text: string) {}
}

/** The `add.stats` JSON of a file of `numRecords` rows whose leaf columns have the statistics `leafOf` gives. */
export function statsJson(
  schema: StructType,
  numRecords: number,
  leafOf: LeafStatisticsOf,
  options: StatsOptions = {},
): string {
  const mode = options.columnMappingMode ?? 'none';
  const minValues: StatTree = new Map();
  const maxValues: StatTree = new Map();
  const nullCount: StatTree = new Map();
  for (const path of statsColumns(schema, options)) {
    const leaf = path.at(-1) as StructField;
    const physical = path.map((f) => physicalName(f, mode));
    const s = leafOf(path.map((f) => f.name));
    // A column absent from the file is all nulls.
    setPath(nullCount, physical, new Literal(String(s === undefined ? numRecords : s.nullCount)));
    if (s?.min === undefined || s.max === undefined) continue;
    const min = formatBound(s.min, leaf.type, 'min');
    const max = formatBound(s.max, leaf.type, 'max');
    if (min !== undefined) setPath(minValues, physical, min);
    if (max !== undefined) setPath(maxValues, physical, max);
  }
  const parts = [`"numRecords":${numRecords}`];
  for (const [name, tree] of [
    ['minValues', minValues],
    ['maxValues', maxValues],
    ['nullCount', nullCount],
  ] as const) {
    if (tree.size > 0) parts.push(`"${name}":${treeJson(tree)}`);
  }
  return `{${parts.join(',')}}`;
}

/** A bound as its JSON literal for a column of type `t`, or undefined when it has none. */
function formatBound(v: StatScalar, t: DataType, which: 'min' | 'max'): Literal | undefined {
  if (typeof t === 'object') {
    if (t.type !== 'decimal') return undefined;
    return new Literal(formatDecimal(BigInt(v), t.scale));
  }
  switch (t) {
    case 'byte':
    case 'short':
    case 'integer':
    case 'long':
      return typeof v === 'bigint' || (typeof v === 'number' && Number.isSafeInteger(v))
        ? new Literal(String(v))
        : undefined;
    case 'double':
      return typeof v === 'number' && Number.isFinite(v) ? new Literal(JSON.stringify(v)) : undefined;
    case 'float':
      return typeof v === 'number' && Number.isFinite(v)
        ? new Literal(JSON.stringify(shortestFloat32(v)))
        : undefined;
    case 'date':
      return dateText(Number(v));
    case 'timestamp':
    case 'timestamp_ntz':
      return timestampText(BigInt(v), t === 'timestamp_ntz');
    case 'string': {
      const s = which === 'min' ? truncateMin(String(v)) : truncateMax(String(v));
      return s === undefined ? undefined : new Literal(JSON.stringify(s));
    }
    default:
      return undefined; // boolean, binary, variant, void: null count only
  }
}

/** Whether min/max statistics exist for a column of this type (the rest get a null count only). */
export function isOrderable(t: DataType): boolean {
  if (typeof t === 'object') return t.type === 'decimal';
  return !['boolean', 'binary', 'variant', 'void'].includes(t);
}

/** The first 32 code points: never greater than the value. */
export function truncateMin(s: string): string {
  if (s.length <= PREFIX) return s;
  const cps = Array.from(s);
  return cps.length <= PREFIX ? s : cps.slice(0, PREFIX).join('');
}

/** A prefix plus a tie-breaker that is never less than the value, or undefined when no cut within 64 works. */
export function truncateMax(s: string): string | undefined {
  if (s.length <= PREFIX) return s;
  const cps = Array.from(s);
  for (let len = PREFIX; len <= Math.min(cps.length, MAX_SEARCH); len++) {
    if (len >= cps.length) return s; // the whole value is short enough to be its own bound
    const next = (cps[len] as string).codePointAt(0) as number;
    if (next === 0x10ffff) continue; // nothing sorts above it: cut later
    return cps.slice(0, len).join('') + (next < 0x7f ? '\u007f' : '\u{10ffff}');
  }
  return undefined;
}

/** Compares strings in UTF-8 byte order (what Spark and Arrow readers use), i.e. by code point. */
export function compareUtf8(a: string, b: string): number {
  const x = Array.from(a);
  const y = Array.from(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = ((x[i] as string).codePointAt(0) as number) - ((y[i] as string).codePointAt(0) as number);
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

/** A float32 printed as a double shows noise digits (0.234 → 0.23399999737739563): the shortest exact form. */
function shortestFloat32(n: number): number {
  for (let digits = 1; digits < 10; digits++) {
    const candidate = Number(n.toPrecision(digits));
    if (Math.fround(candidate) === n) return candidate;
  }
  return n;
}

/** Years 0–9999 only: other years have no ISO-8601 form every reader parses. */
const MIN_MS = -62_167_219_200_000; // 0000-01-01T00:00:00Z
const MAX_MS = 253_402_300_799_999; // 9999-12-31T23:59:59.999Z

function dateText(days: number): Literal | undefined {
  const ms = days * 86_400_000;
  if (!Number.isFinite(ms) || ms < MIN_MS || ms > MAX_MS) return undefined;
  return new Literal(`"${new Date(ms).toISOString().slice(0, 10)}"`);
}

function timestampText(micros: bigint, ntz: boolean): Literal | undefined {
  const ms = micros / 1000n - (micros % 1000n < 0n ? 1n : 0n); // floor to ms
  if (ms < BigInt(MIN_MS) || ms > BigInt(MAX_MS)) return undefined;
  const iso = new Date(Number(ms)).toISOString();
  return new Literal(`"${ntz ? iso.slice(0, -1) : iso}"`);
}

function setPath(tree: StatTree, path: readonly string[], value: Literal): void {
  let cur = tree;
  for (const p of path.slice(0, -1)) {
    let next = cur.get(p);
    if (next === undefined || next instanceof Literal) {
      next = new Map();
      cur.set(p, next);
    }
    cur = next;
  }
  cur.set(path.at(-1) as string, value);
}

function treeJson(tree: StatTree): string {
  const parts: string[] = [];
  for (const [k, v] of tree)
    parts.push(`${JSON.stringify(k)}:${v instanceof Literal ? v.text : treeJson(v)}`);
  return `{${parts.join(',')}}`;
}
