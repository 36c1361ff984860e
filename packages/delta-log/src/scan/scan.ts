/**
 * Reading a snapshot's rows as Arrow: plan the live files (skipping by partition values and stats), read
 * each Parquet file, adapt it to the logical schema, add partition columns, and drop rows deleted by
 * deletion vectors. Row-level filtering by the predicate is the caller's job: the predicate only skips files.
 */
import * as A from 'apache-arrow';
import type { AddFile } from '../actions.js';
import { InvalidTableError } from '../errors.js';
import { joinPath } from '../log/paths.js';
import { decodePath } from '../log/replay.js';
import { readParquet } from '../parquet.js';
import { arrowType } from '../schema/arrow.js';
import { physicalName } from '../schema/column-mapping.js';
import { findField, type StructType } from '../schema/types.js';
import { constantData } from '../util/arrow-build.js';
import { mapLimit } from '../util/concurrency.js';
import { decodeFileRegion, decodeInline, deletionVectorPath } from './deletion-vector.js';
import { parsePartitionValue, type Scalar } from './partition-values.js';
import { fileMayMatch, type Predicate } from './predicate.js';
import type { ScanFile, ScanSource } from './source.js';
import { adaptStruct } from './transform.js';

/** Options of a {@link Scan}. */
export interface ScanOptions {
  /** Top-level logical column names to return (default: all, in schema order). */
  columns?: string[];
  /** Files that cannot contain matching rows (by partition values or stats) are skipped. */
  predicate?: Predicate;
  /**
   * IANA zone for `timestamp` partition values written without a zone (default UTC). Spark writes them in
   * its session time zone, so tables written by Spark outside UTC need that zone here.
   */
  partitionTimeZone?: string;
  /** Files read in parallel (default 4; each file is decoded whole in memory). */
  concurrency?: number;
}

function isAbsolute(path: string): boolean {
  return path.startsWith('/') || /^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(path);
}

/** The storage key for a path from the log (relative to the table, or an absolute URI in the same storage). */
export function resolveKey(snapshot: Pick<ScanSource, 'storage' | 'tablePath'>, path: string): string {
  const decoded = decodePath(path);
  if (!isAbsolute(decoded)) return joinPath(snapshot.tablePath, decoded);
  const key = snapshot.storage.keyForUri(decoded);
  if (key === undefined) {
    throw new InvalidTableError(
      `file ${decoded} is outside the table's storage (${snapshot.storage.location})`,
    );
  }
  return key;
}

/**
 * A planned read of a snapshot's rows as Arrow record batches, in the table's logical schema (see the module
 * comment).
 */
export class Scan {
  private readonly snapshot: ScanSource;
  /** The logical schema of the returned rows. */
  readonly schema: StructType;
  readonly arrowSchema: A.Schema;
  private readonly options: ScanOptions;

  constructor(snapshot: ScanSource, options: ScanOptions = {}) {
    this.snapshot = snapshot;
    this.options = options;
    const all = snapshot.schema;
    const fields = options.columns
      ? options.columns.map((c) => {
          const f = findField(all, c);
          if (!f)
            throw new InvalidTableError(
              `column ${c} does not exist (columns: ${all.fields.map((x) => x.name).join(', ')})`,
            );
          return f;
        })
      : all.fields;
    this.schema = { type: 'struct', fields };
    this.arrowSchema = new A.Schema(fields.map((f) => new A.Field(f.name, arrowType(f.type), f.nullable)));
  }

  /** Live files after skipping, with typed partition values. */
  files(): ScanFile[] {
    const files = this.filesOf(this.snapshot.files());
    const predicate = this.options.predicate;
    return predicate ? files.filter((f) => fileMayMatch(predicate, f, this.snapshot)) : files;
  }

  /** `ScanFile`s (storage key, typed partition values) for the given add actions, without skipping. */
  filesOf(adds: Iterable<AddFile>): ScanFile[] {
    const snap = this.snapshot;
    const mode = snap.columnMappingMode;
    const partFields = snap.partitionColumns.map((c) => {
      const f = findField(snap.schema, c);
      if (!f) throw new InvalidTableError(`partition column ${c} is not in the schema`);
      return f;
    });
    const out: ScanFile[] = [];
    for (const add of adds) {
      const partitionValues: Record<string, Scalar> = {};
      for (const f of partFields) {
        const raw = add.partitionValues[physicalName(f, mode)] ?? add.partitionValues[f.name];
        partitionValues[f.name] = parsePartitionValue(raw, f.type, this.options.partitionTimeZone);
      }
      out.push({ add, key: resolveKey(snap, add.path), partitionValues });
    }
    return out;
  }

  /** Row indexes deleted from `file` by its deletion vector (sorted), or an empty list. */
  async deletedRows(file: ScanFile): Promise<number[]> {
    const dv = file.add.deletionVector;
    if (!dv) return [];
    if (dv.storageType === 'i') return decodeInline(dv);
    const rel = deletionVectorPath(dv);
    const key =
      dv.storageType === 'u' ? joinPath(this.snapshot.tablePath, rel) : resolveKey(this.snapshot, rel);
    const region = await this.snapshot.storage.get(key, {
      offset: dv.offset ?? 1,
      length: dv.sizeInBytes + 8,
    });
    return decodeFileRegion(region, dv);
  }

  /** Reads one file as logical record batches (deleted rows removed). */
  async readFile(file: ScanFile): Promise<A.RecordBatch[]> {
    const snap = this.snapshot;
    const [bytes, deleted] = await Promise.all([snap.storage.get(file.key), this.deletedRows(file)]);
    let physical: A.Table;
    try {
      physical = readParquet(bytes);
    } catch (err) {
      throw new InvalidTableError(`cannot read data file ${file.key}`, { cause: err });
    }
    const partitionNames = new Set(snap.partitionColumns.map((c) => c.toLowerCase()));
    const mode = snap.columnMappingMode;
    const out: A.RecordBatch[] = [];
    let rowBase = 0;
    let d = 0;
    for (const batch of physical.batches) {
      const data = adaptStruct(batch.data, this.schema, mode, file.key, (f, length) =>
        partitionNames.has(f.name.toLowerCase())
          ? constantData(arrowType(f.type), file.partitionValues[f.name] ?? null, length)
          : undefined,
      );
      const logical = new A.RecordBatch(this.arrowSchema, data);
      // Keep the runs of rows between deleted indexes.
      let start = 0;
      const end = batch.numRows;
      while (d < deleted.length && (deleted[d] as number) < rowBase + end) {
        const local = (deleted[d] as number) - rowBase;
        if (local > start) out.push(logical.slice(start, local));
        start = local + 1;
        d++;
      }
      if (start === 0) out.push(logical);
      else if (start < end) out.push(logical.slice(start, end));
      rowBase += end;
    }
    return out;
  }

  /** Batches of all planned files, file by file (files are fetched `concurrency` at a time). */
  async *batches(): AsyncGenerator<A.RecordBatch> {
    const files = this.files();
    const concurrency = Math.max(1, this.options.concurrency ?? 4);
    for (let i = 0; i < files.length; i += concurrency) {
      const group = await mapLimit(files.slice(i, i + concurrency), concurrency, (f) => this.readFile(f));
      for (const batches of group) yield* batches;
    }
  }

  /** All rows as one Arrow table. */
  async toTable(): Promise<A.Table> {
    const batches: A.RecordBatch[] = [];
    for await (const b of this.batches()) if (b.numRows > 0) batches.push(b);
    return batches.length ? new A.Table(this.arrowSchema, batches) : new A.Table(this.arrowSchema);
  }
}
