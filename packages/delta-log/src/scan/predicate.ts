/**
 * File skipping. A predicate is evaluated per file to `yes`/`no`/`maybe`: exactly against partition values,
 * and against min/max/nullCount statistics (which can only rule files out). A file is skipped only on `no`.
 */
import { physicalName } from '../schema/column-mapping.js';
import { type DataType, findField, type StructField } from '../schema/types.js';
import type { Snapshot } from '../snapshot.js';
import { parseJson } from '../util/json.js';
import {
  parseDateDays,
  parseDecimalUnscaled,
  parseTimestampMicros,
  type Scalar,
} from './partition-values.js';
import type { ScanFile } from './scan.js';

export type Literal = string | number | bigint | boolean | Date | null;
export type ComparisonOp = '=' | '!=' | '<' | '<=' | '>' | '>=';

export type Predicate =
  | { and: Predicate[] }
  | { or: Predicate[] }
  | { not: Predicate }
  | { column: string; op: ComparisonOp; value: Literal }
  | { column: string; op: 'in'; values: Literal[] }
  | { column: string; op: 'isNull' | 'isNotNull' };

type Tri = 'yes' | 'no' | 'maybe';

/** Converts a user literal (or a JSON stats value) to the comparable scalar of a column type. */
export function toScalar(v: Literal | unknown, type: DataType): Scalar {
  if (v === null || v === undefined) return null;
  if (typeof type === 'object') {
    if (type.type === 'decimal') return parseDecimalUnscaled(String(v), type.scale);
    return null;
  }
  switch (type) {
    case 'date':
      if (v instanceof Date) return Math.floor(v.getTime() / 86_400_000);
      return typeof v === 'number' ? v : parseDateDays(String(v));
    case 'timestamp':
    case 'timestamp_ntz':
      if (v instanceof Date) return BigInt(v.getTime()) * 1000n;
      if (typeof v === 'bigint') return v;
      return typeof v === 'number' ? BigInt(Math.round(v)) * 1000n : parseTimestampMicros(String(v));
    case 'long':
      if (typeof v === 'bigint') return v;
      return typeof v === 'number' ? BigInt(Math.trunc(v)) : BigInt(String(v).split('.')[0] as string);
    case 'byte':
    case 'short':
    case 'integer':
    case 'float':
    case 'double':
      return Number(v);
    case 'boolean':
      return v === true || v === 'true';
    case 'string':
      return String(v);
    default:
      return null;
  }
}

function compare(a: Scalar, b: Scalar): number {
  if (typeof a === 'bigint' || typeof b === 'bigint') {
    const x = BigInt(a as bigint);
    const y = BigInt(b as bigint);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (typeof a === 'boolean' || typeof b === 'boolean') return Number(a) - Number(b);
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  return (a as number) - (b as number);
}

function resolve(snapshot: Snapshot, column: string): { field: StructField; path: string[] } | undefined {
  const parts = column.split('.');
  let struct = snapshot.schema;
  const path: string[] = [];
  let field: StructField | undefined;
  for (const [i, p] of parts.entries()) {
    field = findField(struct, p);
    if (!field) return undefined;
    path.push(physicalName(field, snapshot.columnMappingMode));
    if (i < parts.length - 1) {
      if (typeof field.type !== 'object' || field.type.type !== 'struct') return undefined;
      struct = field.type;
    }
  }
  return field ? { field, path } : undefined;
}

function statAt(obj: unknown, path: string[]): unknown {
  let cur = obj;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[p];
  }
  return cur;
}

interface Ctx {
  snapshot: Snapshot;
  file: ScanFile;
  stats: Record<string, unknown> | null | undefined;
}

function parsedStats(ctx: Ctx): Record<string, unknown> | null {
  if (ctx.stats === undefined) {
    try {
      // Exact numbers: a long bound beyond 2^53 read as a double could skip a file holding a matching row.
      ctx.stats = ctx.file.add.stats ? (parseJson(ctx.file.add.stats) as Record<string, unknown>) : null;
    } catch {
      ctx.stats = null;
    }
  }
  return ctx.stats;
}

function evalLeaf(p: Extract<Predicate, { column: string }>, ctx: Ctx): Tri {
  const r = resolve(ctx.snapshot, p.column);
  if (!r) return 'maybe';
  const { field, path } = r;
  const isPartition = ctx.snapshot.partitionColumns.some((c) => c.toLowerCase() === field.name.toLowerCase());
  if (isPartition && path.length === 1) {
    const v = ctx.file.partitionValues[field.name] ?? null;
    if (p.op === 'isNull') return v === null ? 'yes' : 'no';
    if (p.op === 'isNotNull') return v === null ? 'no' : 'yes';
    if (v === null) return 'no';
    const values = 'values' in p ? p.values : [(p as { value: Literal }).value];
    const results = values.map((lit) => {
      const s = toScalar(lit, field.type);
      if (s === null) return false;
      const c = compare(v, s);
      switch (p.op) {
        case '=':
        case 'in':
          return c === 0;
        case '!=':
          return c !== 0;
        case '<':
          return c < 0;
        case '<=':
          return c <= 0;
        case '>':
          return c > 0;
        case '>=':
          return c >= 0;
      }
      return true;
    });
    return results.some(Boolean) ? 'yes' : 'no';
  }
  const stats = parsedStats(ctx);
  if (!stats) return 'maybe';
  const numRecords = typeof stats.numRecords === 'number' ? stats.numRecords : undefined;
  const nulls = statAt(stats.nullCount, path);
  if (p.op === 'isNull') return nulls === 0 ? 'no' : 'maybe';
  if (p.op === 'isNotNull') return typeof nulls === 'number' && nulls === numRecords ? 'no' : 'maybe';
  if (typeof nulls === 'number' && numRecords !== undefined && nulls === numRecords && numRecords > 0)
    return 'no';
  const rawMin = statAt(stats.minValues, path);
  const rawMax = statAt(stats.maxValues, path);
  if (rawMin === undefined || rawMax === undefined || rawMin === null || rawMax === null) return 'maybe';
  const min = toScalar(rawMin, field.type);
  let max = toScalar(rawMax, field.type);
  if (min === null || max === null) return 'maybe';
  // Timestamp stats are truncated to milliseconds: the true max can be up to 999µs larger.
  if (typeof max === 'bigint' && (field.type === 'timestamp' || field.type === 'timestamp_ntz')) max += 999n;
  const values = 'values' in p ? p.values : [(p as { value: Literal }).value];
  const may = values.some((lit) => {
    const v = toScalar(lit, field.type);
    if (v === null) return false;
    switch (p.op) {
      case '=':
      case 'in':
        return compare(min, v) <= 0 && compare(max, v) >= 0;
      case '!=':
        return !(compare(min, v) === 0 && compare(max, v) === 0);
      case '<':
        return compare(min, v) < 0;
      case '<=':
        return compare(min, v) <= 0;
      case '>':
        return compare(max, v) > 0;
      case '>=':
        return compare(max, v) >= 0;
    }
    return true;
  });
  return may ? 'maybe' : 'no';
}

function evaluate(p: Predicate, ctx: Ctx): Tri {
  if ('and' in p) {
    const r = p.and.map((x) => evaluate(x, ctx));
    return r.includes('no') ? 'no' : r.every((x) => x === 'yes') ? 'yes' : 'maybe';
  }
  if ('or' in p) {
    const r = p.or.map((x) => evaluate(x, ctx));
    return r.includes('yes') ? 'yes' : r.every((x) => x === 'no') ? 'no' : 'maybe';
  }
  if ('not' in p) {
    const r = evaluate(p.not, ctx);
    return r === 'yes' ? 'no' : r === 'no' ? 'yes' : 'maybe';
  }
  return evalLeaf(p, ctx);
}

/** Whether `file` may hold rows matching `predicate` (false means it can be skipped). */
export function fileMayMatch(predicate: Predicate, file: ScanFile, snapshot: Snapshot): boolean {
  return evaluate(predicate, { snapshot, file, stats: undefined }) !== 'no';
}
