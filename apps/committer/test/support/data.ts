/**
 * Test data: real Parquet data files on S3 (parquet-wasm through delta-log) and the manifests describing them, so
 * the tables the committer writes can be read back by delta-log, delta-rs and Spark.
 */
import { randomUUID } from 'node:crypto';
import {
  arrowSchema,
  collectStats,
  type DataType,
  escapePartitionPathSegment,
  type Storage,
  type StructType,
  writeParquet,
} from '@delta-writer/delta-log';
import type { CommitRequest, DataFile } from '@delta-writer/proto';
import * as A from 'apache-arrow';

export type Row = Record<string, unknown>;

/** JS values as Arrow builders want them: bigint for long, recursively through structs and arrays. */
function toArrowValue(value: unknown, type: DataType): unknown {
  if (value === null || value === undefined) return null;
  if (type === 'long') return BigInt(value as number);
  if (typeof type === 'object' && type.type === 'struct') {
    const v = value as Row;
    return Object.fromEntries(type.fields.map((f) => [f.name, toArrowValue(v[f.name], f.type)]));
  }
  if (typeof type === 'object' && type.type === 'array') {
    return (value as unknown[]).map((x) => toArrowValue(x, type.elementType));
  }
  return value;
}

export function arrowTable(schema: StructType, rows: readonly Row[]): A.Table {
  const arrow = arrowSchema(schema);
  const children = schema.fields.map((f, i) => {
    const builder = A.makeBuilder({ type: (arrow.fields[i] as A.Field).type, nullValues: [null, undefined] });
    for (const row of rows) builder.append(toArrowValue(row[f.name], f.type));
    return builder.finish().flush();
  });
  const data = A.makeData({
    type: new A.Struct(arrow.fields),
    length: rows.length,
    nullCount: 0,
    children,
  });
  return new A.Table(arrow, [new A.RecordBatch(arrow, data)]);
}

export interface TestFile {
  /** The Delta schema of the rows (partition columns included). */
  readonly schema: StructType;
  readonly rows: readonly Row[];
  readonly partitionColumns?: readonly string[];
}

/** Writes one Parquet file of `rows` under the table (partition columns go into the path) and describes it. */
export async function writeTestFile(storage: Storage, tablePath: string, file: TestFile): Promise<DataFile> {
  const parts = file.partitionColumns ?? [];
  const dataSchema: StructType = {
    type: 'struct',
    fields: file.schema.fields.filter((f) => !parts.includes(f.name)),
  };
  const table = arrowTable(dataSchema, file.rows);
  const bytes = writeParquet(table);
  const values = parts.map((c) => {
    const v = file.rows[0]?.[c];
    return { column: c, value: v === null || v === undefined ? undefined : String(v) };
  });
  const dirs = values.map(
    (v) =>
      `${escapePartitionPathSegment(v.column)}=${v.value === undefined ? '__HIVE_DEFAULT_PARTITION__' : escapePartitionPathSegment(v.value)}`,
  );
  const key = [...dirs, `part-00000-${randomUUID()}-c000.snappy.parquet`].join('/');
  await storage.put(`${tablePath}/${key}`, bytes);
  return {
    // add.path is the key as a URI path, as Spark and the ingestor write it (readers decode it once)
    path: encodeURI(key),
    sizeBytes: bytes.byteLength,
    recordCount: file.rows.length,
    partitionValues: values.map((v) => (v.value === undefined ? { column: v.column } : v)),
    statsJson: collectStats(table.batches, dataSchema),
    modificationTimeMs: Date.now(),
  };
}

export const OFFSETS_SCHEMA: StructType = {
  type: 'struct',
  fields: [
    { name: 'topic_partition', type: 'integer', nullable: false, metadata: {} },
    { name: 'offset', type: 'long', nullable: false, metadata: {} },
    { name: 'payload', type: 'string', nullable: true, metadata: {} },
  ],
};

export interface ManifestSpec {
  readonly tableUri: string;
  readonly partition: number;
  readonly first: number;
  readonly last: number;
  readonly files: readonly DataFile[];
  readonly schema: StructType;
  readonly partitionColumns?: readonly string[];
  readonly group?: string;
  readonly topic?: string;
  readonly ingestorId?: string;
}

export function manifestFor(spec: ManifestSpec): CommitRequest {
  return {
    protocolVersion: 1,
    table: { routingKey: spec.tableUri.split('/').slice(-2).join('.'), tableUri: spec.tableUri },
    ingestorId: spec.ingestorId ?? 'test-ingestor',
    idempotencyId: randomUUID(),
    writeMode: 1,
    mirror: undefined,
    deltaSchemaJson: spec.files.length > 0 ? JSON.stringify(spec.schema) : '',
    partitionColumns: [...(spec.partitionColumns ?? [])],
    files: [...spec.files],
    sourceRanges: [
      {
        consumerGroup: spec.group ?? 'dw',
        topic: spec.topic ?? 'db.coll',
        partition: spec.partition,
        firstOffset: spec.first,
        lastOffset: spec.last,
        gapAcknowledged: false,
      },
    ],
  };
}

/**
 * A manifest whose one file holds one row per offset of [first, last] of a topic-partition: reading the table back
 * shows exactly which ranges it contains, so gaps and duplicates are visible in the rows themselves.
 */
export async function offsetsManifest(
  storage: Storage,
  tableUri: string,
  tablePath: string,
  partition: number,
  first: number,
  last: number,
  extra: Partial<ManifestSpec> = {},
): Promise<CommitRequest> {
  const rows: Row[] = [];
  for (let o = first; o <= last; o++)
    rows.push({ topic_partition: partition, offset: o, payload: `p${partition}-o${o}` });
  const file = await writeTestFile(storage, tablePath, { schema: OFFSETS_SCHEMA, rows });
  return manifestFor({ tableUri, partition, first, last, files: [file], schema: OFFSETS_SCHEMA, ...extra });
}
