/**
 * Repairing file statistics that a writer got wrong. Until delta-log kept numbers exact, every deletion-vector
 * rewrite re-serialized an `add`'s stats through doubles: long bounds beyond 2^53 and decimals beyond 15 digits
 * were rounded — to text a long reader refuses (9223372036854776000), or to a min above a value the file holds,
 * which makes readers skip the file and silently lose rows. This finds such files and commits corrected stats.
 *
 * A file is *suspect* when its stats could have been rounded: a bound of a long-like column at or beyond ±2^53 (a
 * double is exact below), a bound of a decimal column wider than 15 digits in a file with a deletion vector (the
 * rewrite that rounded; a rounded decimal can look short: 0.30000000000000000001 became 0.3), a bound that does
 * not parse as its column type, or stats that do not parse at all (with `all`, every file is). A suspect file is read (all its physical rows, deletion
 * vector ignored) and its stats computed as a writer would (`collectStats`). They *disagree* when a bound does not
 * parse as its column type, an integral or decimal bound is not exactly the file's min/max, another bound is not a
 * bound of the file's values, or `numRecords` differs. A disagreeing file is added again — the same path and
 * deletion vector, everything else as it was, `dataChange: false`, the computed stats (`tightBounds: false` when it
 * has a vector) — which replaces the logical file's stats (PROTOCOL "Add File and Remove File": the latest version's
 * information replaces the earlier one's). No `remove` goes with it: actions of one version are not applied in
 * order, so a `remove` and an `add` of the same path and deletion vector make an invalid version (a reader that
 * applies the remove last loses the file; Spark 4.2 planned file skipping on such a version with the old stats).
 * Spark's own statistics recomputation writes the same single `add`. Pure checks (`statsProblems`, `isSuspect`)
 * and the I/O (`repairStats`) are apart.
 */
import type { Action, AddFile } from '../actions.js';
import { ConcurrentModificationError } from '../errors.js';
import { parseDateDays, parseDecimalUnscaled, parseTimestampMicros } from '../scan/partition-values.js';
import { type ColumnMappingMode, physicalName } from '../schema/column-mapping.js';
import type { DataType, StructField, StructType } from '../schema/types.js';
import type { Snapshot } from '../snapshot.js';
import type { DeltaTable } from '../table.js';
import { mapLimit } from '../util/concurrency.js';
import { JsonNumber, parseJson, setTopLevelMember } from '../util/json.js';
import { collectStats } from '../write/stats.js';

export interface StatsProblem {
  /** Dotted physical column path ('' for the stats as a whole). */
  column: string;
  bound: 'min' | 'max' | 'numRecords' | 'stats';
  /** The value in the log, as text. */
  found: string;
  /** The value the file's rows give, as text (absent when only the parse failed). */
  actual?: string;
  reason: string;
}

export interface FileRepair {
  path: string;
  deletionVector?: AddFile['deletionVector'];
  problems: StatsProblem[];
  /** The stats the file gets. */
  stats: string;
}

export interface RepairProgress {
  /** Live files, and how many were looked at. */
  total: number;
  checked: number;
  /** Suspect files read so far. */
  read: number;
  /** Files found to disagree so far. */
  toRepair: number;
  /** Table versions committed so far. */
  commits: number[];
}

export interface RepairStatsOptions {
  /** Only find and report; commit nothing. */
  dryRun?: boolean;
  /** Read every file, not only the suspect ones. */
  all?: boolean;
  /** Files read at once (default 4). */
  concurrency?: number;
  /** Repaired files per commit (default 500). */
  filesPerCommit?: number;
  /** Called after each file read and each commit. */
  onProgress?: (p: RepairProgress) => void;
}

export interface RepairStatsResult {
  /** The version the check started from. */
  version: number;
  total: number;
  read: number;
  repairs: FileRepair[];
  /** Versions committed (empty in a dry run or when nothing disagreed). */
  commits: number[];
}

/** The table's leaf columns by their stats key path (physical names joined by '.'). */
function leafTypes(schema: StructType, mode: ColumnMappingMode): Map<string, DataType> {
  const out = new Map<string, DataType>();
  const walk = (fields: StructField[], prefix: string) => {
    for (const f of fields) {
      const key = prefix + physicalName(f, mode);
      if (typeof f.type === 'object' && f.type.type === 'struct') walk(f.type.fields, `${key}.`);
      else out.set(key, f.type);
    }
  };
  walk(schema.fields, '');
  return out;
}

/** The bounds of one stats object (`minValues` / `maxValues`), flattened to dotted paths. */
function boundsOf(values: unknown, prefix = '', out: Map<string, unknown> = new Map()): Map<string, unknown> {
  if (values === null || typeof values !== 'object' || values instanceof JsonNumber) return out;
  for (const [k, v] of Object.entries(values as Record<string, unknown>)) {
    if (v !== null && typeof v === 'object' && !(v instanceof JsonNumber)) boundsOf(v, `${prefix}${k}.`, out);
    else if (v !== null && v !== undefined) out.set(prefix + k, v);
  }
  return out;
}

const INTEGRAL: Record<string, [bigint, bigint]> = {
  byte: [-(2n ** 7n), 2n ** 7n - 1n],
  short: [-(2n ** 15n), 2n ** 15n - 1n],
  integer: [-(2n ** 31n), 2n ** 31n - 1n],
  long: [-(2n ** 63n), 2n ** 63n - 1n],
};

type Comparable = bigint | number | string;

/** A bound as a comparable value of its column type, or a reason it is not one; undefined: not checked. */
function boundValue(v: unknown, type: DataType): { value: Comparable } | { error: string } | undefined {
  const text = String(v);
  if (typeof type === 'object') {
    if (type.type !== 'decimal') return undefined;
    if (typeof v !== 'number' && typeof v !== 'bigint' && !(v instanceof JsonNumber))
      return { error: 'not a number' };
    try {
      const unscaled = parseDecimalUnscaled(text, type.scale);
      if ((unscaled < 0n ? -unscaled : unscaled).toString().length > type.precision)
        return { error: `does not fit decimal(${type.precision},${type.scale})` };
      return { value: unscaled };
    } catch {
      return { error: `not a decimal of scale ${type.scale}` };
    }
  }
  const range = INTEGRAL[type];
  if (range) {
    if (!/^-?\d+$/.test(text)) return { error: `not an integer (a ${type} bound written through a double?)` };
    const n = BigInt(text);
    if (n < range[0] || n > range[1]) return { error: `out of the ${type} range` };
    return { value: n };
  }
  try {
    switch (type) {
      case 'date':
        return { value: parseDateDays(text) };
      case 'timestamp':
      case 'timestamp_ntz':
        return { value: parseTimestampMicros(text) };
      case 'double':
      case 'float':
        if (typeof v === 'number') return { value: v };
        return ['NaN', 'Infinity', '-Infinity'].includes(text) ? undefined : { error: 'not a number' };
      default:
        return undefined;
    }
  } catch {
    return { error: `not a ${type}` };
  }
}

/** Whether a file's stats could have been written through doubles (so its rows must be read to tell). */
export function isSuspect(add: AddFile, schema: StructType, mode: ColumnMappingMode = 'none'): boolean {
  if (add.stats === undefined) return false;
  let stats: Record<string, unknown>;
  try {
    stats = parseJson(add.stats) as Record<string, unknown>;
  } catch {
    return true;
  }
  const types = leafTypes(schema, mode);
  for (const which of ['minValues', 'maxValues']) {
    for (const [path, v] of boundsOf(stats[which])) {
      const type = types.get(path);
      if (type === undefined) continue;
      if (typeof type === 'object' && type.type === 'decimal' && type.precision > 15 && add.deletionVector)
        return true;
      const parsed = boundValue(v, type);
      if (parsed && 'error' in parsed) return true;
      if (
        parsed &&
        typeof parsed.value === 'bigint' &&
        (parsed.value >= 2n ** 53n || parsed.value <= -(2n ** 53n))
      )
        return true;
    }
  }
  return false;
}

/**
 * Where the stats in the log (`found`) disagree with the stats of the file's rows (`actual`, from
 * `collectStats`; absent: only what can be told without the rows).
 */
export function statsProblems(
  found: string,
  actual: string | undefined,
  schema: StructType,
  mode: ColumnMappingMode = 'none',
): StatsProblem[] {
  let stats: Record<string, unknown>;
  try {
    stats = parseJson(found) as Record<string, unknown>;
  } catch {
    return [{ column: '', bound: 'stats', found: found.slice(0, 200), reason: 'stats are not valid JSON' }];
  }
  const truth = actual === undefined ? undefined : (parseJson(actual) as Record<string, unknown>);
  const problems: StatsProblem[] = [];
  if (truth && stats.numRecords !== undefined && String(stats.numRecords) !== String(truth.numRecords)) {
    problems.push({
      column: '',
      bound: 'numRecords',
      found: String(stats.numRecords),
      actual: String(truth.numRecords),
      reason: 'numRecords is not the number of rows in the file',
    });
  }
  const types = leafTypes(schema, mode);
  for (const bound of ['min', 'max'] as const) {
    const key = `${bound}Values`;
    const real = truth ? boundsOf(truth[key]) : undefined;
    for (const [column, v] of boundsOf(stats[key])) {
      const type = types.get(column);
      if (type === undefined) continue;
      const parsed = boundValue(v, type);
      if (parsed === undefined) continue;
      const problem = { column, bound, found: String(v) };
      if ('error' in parsed) {
        const a = real?.get(column);
        problems.push({
          ...problem,
          ...(a !== undefined ? { actual: String(a) } : {}),
          reason: parsed.error,
        });
        continue;
      }
      if (!real) continue;
      const a = real.get(column);
      const want = a === undefined ? undefined : boundValue(a, type);
      if (!want || 'error' in want) {
        problems.push({ ...problem, reason: 'a bound for a column whose values are all null' });
        continue;
      }
      const reason = disagreement(bound, parsed.value, want.value, type);
      if (reason) problems.push({ ...problem, actual: String(a), reason });
    }
  }
  return problems;
}

function disagreement(
  bound: 'min' | 'max',
  found: Comparable,
  real: Comparable,
  type: DataType,
): string | undefined {
  const exact = typeof found === 'bigint'; // integral and decimal bounds are exact in every writer
  if (exact) return found === real ? undefined : `not the file's ${bound}`;
  const slack = (type === 'timestamp' || type === 'timestamp_ntz') && bound === 'max' ? 999 : 0; // ms-truncated
  const ok = bound === 'min' ? found <= real : Number(found) + slack >= Number(real);
  return ok ? undefined : `not a ${bound} bound of the file's values`;
}

/** The action that gives the live file `add` new stats: the same logical file added again, no data change. */
export function restatActions(add: AddFile, stats: string): Action[] {
  return [{ add: { ...add, dataChange: false, stats } }];
}

/** The stats of the file's physical rows, as a writer computes them (all rows: the vector is ignored). */
async function fileStats(snapshot: Snapshot, add: AddFile): Promise<string> {
  const scan = snapshot.scan();
  const [file] = scan.filesOf([{ ...add, deletionVector: undefined }]);
  const batches = file ? await scan.readFile(file) : [];
  return collectStats(batches, snapshot.schema, {
    configuration: snapshot.configuration,
    columnMappingMode: snapshot.columnMappingMode,
    exclude: snapshot.partitionColumns,
  });
}

/** Bounds of all physical rows are not tight once a deletion vector hides some of them. */
function forFile(add: AddFile, stats: string): string {
  return add.deletionVector ? setTopLevelMember(stats, 'tightBounds', 'false') : stats;
}

/** Finds the live files of `table` whose stats disagree with their rows and (unless `dryRun`) commits fixes. */
export async function repairStats(
  table: DeltaTable,
  options: RepairStatsOptions = {},
): Promise<RepairStatsResult> {
  const start = table.snapshot;
  const files = start.files();
  const mode = start.columnMappingMode;
  const progress: RepairProgress = { total: files.length, checked: 0, read: 0, toRepair: 0, commits: [] };
  const report = () => options.onProgress?.({ ...progress, commits: [...progress.commits] });
  const actual = new Map<string, string>();
  const found = await mapLimit(files, options.concurrency ?? 4, async (add) => {
    progress.checked++;
    if (!options.all && !isSuspect(add, start.schema, mode)) {
      report();
      return undefined;
    }
    const stats = await fileStats(start, add);
    actual.set(add.path, stats);
    progress.read++;
    const problems = add.stats === undefined ? [] : statsProblems(add.stats, stats, start.schema, mode);
    if (problems.length > 0) progress.toRepair++;
    report();
    return problems.length > 0 ? repairOf(add, problems, forFile(add, stats)) : undefined;
  });
  report();
  const repairs = found.filter((r): r is FileRepair => r !== undefined);
  if (!options.dryRun) {
    const size = Math.max(1, options.filesPerCommit ?? 500);
    for (let i = 0; i < repairs.length; i += size) {
      const version = await commitRepairs(table, repairs.slice(i, i + size), actual);
      if (version !== undefined) progress.commits.push(version);
      report();
    }
  }
  return {
    version: start.version,
    total: files.length,
    read: progress.read,
    repairs,
    commits: progress.commits,
  };
}

function repairOf(add: AddFile, problems: StatsProblem[], stats: string): FileRepair {
  return {
    path: add.path,
    ...(add.deletionVector ? { deletionVector: add.deletionVector } : {}),
    problems,
    stats,
  };
}

/**
 * Commits new stats for the files of `chunk` that are still live and still disagree. A concurrent commit that
 * changed one of them (a writer giving it a new deletion vector) makes the chunk start again from the new table.
 */
async function commitRepairs(
  table: DeltaTable,
  chunk: FileRepair[],
  actual: Map<string, string>,
): Promise<number | undefined> {
  for (let attempt = 1; ; attempt++) {
    const snapshot = table.snapshot;
    const adds: AddFile[] = [];
    const actions: Action[] = [];
    for (const r of chunk) {
      const add = snapshot.liveFile(r.path);
      const stats = actual.get(r.path);
      if (!add || stats === undefined || add.stats === undefined) continue;
      // The live add may carry another vector by now: the same rows, the tightness follows the vector.
      const fresh = forFile(add, stats);
      if (statsProblems(add.stats, fresh, snapshot.schema, snapshot.columnMappingMode).length === 0) continue;
      adds.push(add);
      actions.push(...restatActions(add, fresh));
    }
    if (actions.length === 0) return undefined;
    try {
      const result = await table.commit({
        actions,
        readFiles: adds,
        operation: 'COMPUTE STATS',
        operationParameters: { reason: 'stats disagreed with the files (delta-log repair-stats)' },
      });
      return result.version;
    } catch (error) {
      if (!(error instanceof ConcurrentModificationError) || attempt >= 5) throw error;
      await table.update();
    }
  }
}
