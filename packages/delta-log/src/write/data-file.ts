/**
 * Writing one Parquet data file for an append: partition columns are dropped from the file and encoded in
 * a Hive-style directory and in `partitionValues`; the add action carries size and statistics. Useful for
 * tests, tools and small writers (the Delta Writer ingestors write their own files and send manifests).
 */
import { randomUUID } from 'node:crypto';
import * as A from 'apache-arrow';
import type { AddFile } from '../actions.js';
import { InvalidCommitError } from '../errors.js';
import { encodeAddPath, partitionDirectory } from '../files/paths.js';
import { joinPath } from '../log/paths.js';
import { writeParquetStreamed } from '../parquet.js';
import { type Scalar, serializePartitionValue } from '../scan/partition-values.js';
import { adaptStruct } from '../scan/transform.js';
import { arrowType } from '../schema/arrow.js';
import { findField } from '../schema/types.js';
import type { Snapshot } from '../snapshot.js';
import { collectStats } from './stats.js';

export { encodeAddPath, escapePartitionPathSegment } from '../files/paths.js';

/** Options of {@link writeDataFile}. */
export interface WriteDataFileOptions {
  /** Typed partition values by column name (see `parsePartitionValue` for the scalar of each type). */
  partitionValues?: Record<string, Scalar>;
  /** Override the file name (default `part-<uuid>.snappy.parquet`). */
  fileName?: string;
}

/**
 * Writes `data` (Arrow, logical column names, partition columns absent or constant) as a Parquet file of
 * `snapshot`'s table and returns its add action (not yet committed).
 */
export async function writeDataFile(
  snapshot: Snapshot,
  data: A.Table,
  options: WriteDataFileOptions = {},
): Promise<AddFile> {
  if (snapshot.columnMappingMode !== 'none') {
    throw new InvalidCommitError('writing data files for column-mapped tables is not supported');
  }
  const parts = snapshot.partitionColumns;
  const dataSchema = {
    type: 'struct' as const,
    fields: snapshot.schema.fields.filter((f) => !parts.includes(f.name)),
  };
  const partitionValues: Record<string, string | null> = {};
  for (const c of parts) {
    const f = findField(snapshot.schema, c);
    if (!f) throw new InvalidCommitError(`partition column ${c} is not in the schema`);
    if (!options.partitionValues || !(c in options.partitionValues)) {
      throw new InvalidCommitError(`missing value for partition column ${c}`);
    }
    const v = serializePartitionValue(options.partitionValues[c] ?? null, f.type);
    partitionValues[c] = v;
  }
  const directory = partitionDirectory(parts, partitionValues);
  // Conform the batches to the table schema (column order, types, nulls for absent columns).
  const schema = new A.Schema(
    dataSchema.fields.map((f) => new A.Field(f.name, arrowType(f.type), f.nullable)),
  );
  const batches = data.batches.map(
    (b) => new A.RecordBatch(schema, adaptStruct(b.data, dataSchema, 'none', 'data')),
  );
  const table = new A.Table(schema, batches);
  // Streamed: compaction writes files of hundreds of MiB of Arrow data, which a whole-table encode holds ~3 times.
  const bytes = await writeParquetStreamed(table);
  const name = options.fileName ?? `part-00000-${randomUUID()}-c000.snappy.parquet`;
  const rel = directory === '' ? name : `${directory}/${name}`;
  await snapshot.storage.put(joinPath(snapshot.tablePath, rel), bytes);
  return {
    path: encodeAddPath(rel),
    partitionValues,
    size: bytes.byteLength,
    modificationTime: Date.now(),
    dataChange: true,
    stats: collectStats(batches, dataSchema, { configuration: snapshot.configuration }),
  };
}
