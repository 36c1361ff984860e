/**
 * File statistics for `add.stats` (PROTOCOL "Per-file Statistics"), computed from the Arrow data written.
 * Follows the writer rules delta-kernel-rs documents: the first `delta.dataSkippingNumIndexedCols` (32)
 * leaf columns or `delta.dataSkippingStatsColumns`; min/max only for orderable primitives; strings cut to
 * 32 characters with a tie-breaker appended to the max; timestamps truncated to milliseconds; all-null
 * columns get no min/max. Keys are physical column names.
 */
import * as A from 'apache-arrow';
import { formatDecimal } from '../scan/partition-values.js';
import { type ColumnMappingMode, physicalName } from '../schema/column-mapping.js';
import type { DataType, StructField, StructType } from '../schema/types.js';

/** Options of {@link collectStats}. */
export interface StatsOptions {
  /** Table configuration: reads `delta.dataSkippingNumIndexedCols` / `delta.dataSkippingStatsColumns`. */
  configuration?: Record<string, string>;
  columnMappingMode?: ColumnMappingMode;
  /** Columns excluded from stats (partition columns are never in data files). */
  exclude?: string[];
}

/** A JSON number kept as text, so 128-bit decimals and 64-bit longs keep their exact digits. */
class RawNumber {
  constructor(readonly text: string) {}
}

type StatTree = { [k: string]: StatTree | unknown };

const PREFIX = 32;
const MAX_SEARCH = 64;

function codePoints(s: string): string[] {
  return Array.from(s);
}

/** Compares strings in UTF-8 byte order (what Spark and Arrow readers use), i.e. by code point. */
export function compareUtf8(a: string, b: string): number {
  const x = codePoints(a);
  const y = codePoints(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = ((x[i] as string).codePointAt(0) as number) - ((y[i] as string).codePointAt(0) as number);
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

export function truncateMin(s: string): string {
  const cps = codePoints(s);
  return cps.length <= PREFIX ? s : cps.slice(0, PREFIX).join('');
}

/** An upper bound of `s` at most ~32 characters long, or `undefined` when none exists within 64. */
export function truncateMax(s: string): string | undefined {
  const cps = codePoints(s);
  if (cps.length <= PREFIX) return s;
  for (let i = PREFIX; i < Math.min(cps.length, MAX_SEARCH); i++) {
    const cp = (cps[i] as string).codePointAt(0) as number;
    if (cp < 0x7f) return `${cps.slice(0, i).join('')}\u007f`;
    if (cp < 0x10ffff) return `${cps.slice(0, i).join('')}\u{10ffff}`;
  }
  return undefined;
}

function leaves(struct: StructType, path: StructField[] = [], out: StructField[][] = []): StructField[][] {
  for (const f of struct.fields) {
    if (typeof f.type === 'object' && f.type.type === 'struct') leaves(f.type, [...path, f], out);
    else out.push([...path, f]);
  }
  return out;
}

function selectColumns(schema: StructType, options: StatsOptions): Set<string> {
  const conf = options.configuration ?? {};
  const all = leaves(schema).filter(
    (p) => !options.exclude?.some((e) => e.toLowerCase() === p[0]?.name.toLowerCase()),
  );
  const key = (p: StructField[]) => p.map((f) => f.name).join('.');
  const explicit = conf['delta.dataSkippingStatsColumns'];
  if (explicit) {
    const wanted = explicit.split(',').map((c) => c.trim().replace(/`/g, '').toLowerCase());
    return new Set(
      all
        .map(key)
        .filter((k) => wanted.some((w) => k.toLowerCase() === w || k.toLowerCase().startsWith(`${w}.`))),
    );
  }
  const n = Number(conf['delta.dataSkippingNumIndexedCols'] ?? 32);
  return new Set((n < 0 ? all : all.slice(0, n)).map(key));
}

function isOrderable(t: DataType): boolean {
  if (typeof t === 'object') return t.type === 'decimal';
  return !['boolean', 'binary', 'variant', 'void'].includes(t);
}

function decimalAt(words: Uint32Array, i: number): bigint {
  let v = 0n;
  for (let k = 3; k >= 0; k--) v = (v << 32n) | BigInt(words[4 * i + k] as number);
  return v >> 127n ? v - (1n << 128n) : v;
}

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

/** ISO-8601 with milliseconds; `Z` for UTC-adjusted timestamps, no zone for timestamp_ntz. */
function formatTimestampMillis(ms: number, ntz: boolean): string {
  const iso = new Date(ms).toISOString(); // always ...sssZ
  return ntz ? iso.slice(0, -1) : iso;
}

interface MinMax {
  min: unknown;
  max: unknown;
  nulls: number;
}

/** Min/max/nullCount of one leaf column over all batches. */
function columnStats(vectors: A.Vector[], type: DataType, orderable: boolean): MinMax {
  let nulls = 0;
  let min: number | bigint | string | undefined;
  let max: number | bigint | string | undefined;
  const isTs = type === 'timestamp' || type === 'timestamp_ntz';
  const isDecimal = typeof type === 'object' && type.type === 'decimal';
  for (const vec of vectors) {
    for (const data of vec.data) {
      const strings = type === 'string' ? new A.Vector([data]) : undefined;
      for (let i = 0; i < data.length; i++) {
        if (!data.getValid(i)) {
          nulls++;
          continue;
        }
        if (!orderable) continue;
        let v: number | bigint | string;
        if (isTs) {
          const [mul, div] = tsScale((data.type as A.Timestamp).unit);
          v = (((data.values as unknown as BigInt64Array)[i] as bigint) * mul) / div;
        } else if (isDecimal) v = decimalAt(data.values as Uint32Array, i);
        else if (type === 'date') v = (data.values as Int32Array)[i] as number;
        else if (strings) v = strings.get(i) as string;
        else {
          const raw = (data.values as ArrayLike<number | bigint>)[i] as number | bigint;
          if (typeof raw === 'number' && Number.isNaN(raw)) continue;
          v = raw;
        }
        if (typeof v === 'string') {
          if (min === undefined || compareUtf8(v, min as string) < 0) min = v;
          if (max === undefined || compareUtf8(v, max as string) > 0) max = v;
        } else {
          if (min === undefined || v < (min as number | bigint)) min = v;
          if (max === undefined || v > (max as number | bigint)) max = v;
        }
      }
    }
  }
  return { min, max, nulls };
}

function tsScale(unit: A.TimeUnit): [bigint, bigint] {
  switch (unit) {
    case A.TimeUnit.SECOND:
      return [1_000_000n, 1n];
    case A.TimeUnit.MILLISECOND:
      return [1000n, 1n];
    case A.TimeUnit.NANOSECOND:
      return [1n, 1000n];
    default:
      return [1n, 1n];
  }
}

function encode(v: unknown, type: DataType, which: 'min' | 'max'): unknown {
  if (v === undefined) return undefined;
  if (typeof type === 'object' && type.type === 'decimal')
    return new RawNumber(formatDecimal(v as bigint, type.scale));
  switch (type) {
    case 'string':
      return which === 'min' ? truncateMin(v as string) : truncateMax(v as string);
    case 'date': {
      const d = new Date((v as number) * 86_400_000);
      return `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
    }
    case 'timestamp':
    case 'timestamp_ntz': {
      const us = v as bigint;
      const ms = Number(us >= 0n ? us / 1000n : -((-us + 999n) / 1000n)); // floor to ms
      return formatTimestampMillis(ms, type === 'timestamp_ntz');
    }
    case 'long':
      return new RawNumber(String(v));
    case 'float':
    case 'double':
      return Number.isFinite(v as number) ? v : undefined;
    default:
      return typeof v === 'bigint' ? new RawNumber(String(v)) : v;
  }
}

function setPath(tree: StatTree, path: string[], value: unknown): void {
  let cur = tree;
  for (const p of path.slice(0, -1)) {
    cur[p] ??= {};
    cur = cur[p] as StatTree;
  }
  cur[path.at(-1) as string] = value;
}

function toJson(v: unknown): string {
  if (v instanceof RawNumber) return v.text;
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  const parts = Object.entries(v as StatTree)
    .filter(([, x]) => x !== undefined)
    .map(([k, x]) => `${JSON.stringify(k)}:${toJson(x)}`);
  return `{${parts.join(',')}}`;
}

/**
 * Statistics JSON for a data file holding `data` (Arrow batches in the table's logical schema, without
 * partition columns), ready for `AddFile.stats`.
 */
export function collectStats(
  data: A.Table | A.RecordBatch[],
  schema: StructType,
  options: StatsOptions = {},
): string {
  const batches = Array.isArray(data) ? data : data.batches;
  const mode = options.columnMappingMode ?? 'none';
  const selected = selectColumns(schema, options);
  const numRecords = batches.reduce((n, b) => n + b.numRows, 0);
  const minValues: StatTree = {};
  const maxValues: StatTree = {};
  const nullCount: StatTree = {};
  for (const path of leaves(schema)) {
    const key = path.map((f) => f.name).join('.');
    if (!selected.has(key)) continue;
    const vectors: A.Vector[] = [];
    for (const b of batches) {
      let vec: A.Vector | null = b.getChild(path[0]?.name as string);
      for (const f of path.slice(1)) vec = vec?.getChild(f.name) ?? null;
      if (vec) vectors.push(vec);
    }
    const leaf = path.at(-1) as StructField;
    const physical = path.map((f) => physicalName(f, mode));
    if (vectors.length === 0) {
      // A column absent from the data is all nulls.
      setPath(nullCount, physical, numRecords);
      continue;
    }
    const s = columnStats(vectors, leaf.type, isOrderable(leaf.type));
    setPath(nullCount, physical, s.nulls);
    if (s.min !== undefined && s.max !== undefined) {
      const min = encode(s.min, leaf.type, 'min');
      const max = encode(s.max, leaf.type, 'max');
      if (min !== undefined) setPath(minValues, physical, min);
      if (max !== undefined) setPath(maxValues, physical, max);
    }
  }
  return toJson({ numRecords, minValues, maxValues, nullCount });
}
