/**
 * What the hostile-client suite sends: real Parquet data files uploaded under a table (so a legitimate manifest
 * commits and delta-rs reads the rows back), manifests built by hand the way an attacker with a gRPC client would,
 * and the tables' contents read with delta-rs, to prove that a refused request changed nothing.
 */
import { randomUUID } from 'node:crypto';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { writeParquet } from '@delta-writer/delta-log';
import type { CommitInput, DataFile } from '@delta-writer/proto';
import { readWithDeltaRs } from '@delta-writer/test-readers';
import * as A from 'apache-arrow';
import type { Endpoints } from '../harness/services.js';

/** The columns of every row the suite writes; the offset makes each Kafka offset visible in the table. */
export const ROW_SCHEMA = {
  type: 'struct',
  fields: [
    { name: 'offset', type: 'long', nullable: true, metadata: {} },
    { name: 'name', type: 'string', nullable: true, metadata: {} },
  ],
} as const;

export interface TableAt {
  /** `s3://<bucket>/<path>` */
  readonly uri: string;
  /** Key prefix in the bucket. */
  readonly path: string;
}

export function tableAt(bucket: string, path: string): TableAt {
  return { uri: `s3://${bucket}/${path}`, path };
}

/** Writes one Parquet file with a row per offset in [first, last] under the table and describes it. */
export async function uploadRows(
  s3: S3Client,
  bucket: string,
  table: TableAt,
  first: number,
  last: number,
): Promise<DataFile> {
  const offsets = Array.from({ length: last - first + 1 }, (_, i) => BigInt(first + i));
  const arrow = new A.Table({
    offset: A.vectorFromArray(offsets, new A.Int64()),
    name: A.vectorFromArray(
      offsets.map((o) => `row-${o}`),
      new A.Utf8(),
    ),
  });
  const bytes = writeParquet(arrow);
  const path = `part-00000-${randomUUID()}-c000.snappy.parquet`;
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${table.path}/${path}`, Body: bytes }));
  return {
    path,
    sizeBytes: bytes.byteLength,
    recordCount: offsets.length,
    partitionValues: [],
    statsJson: '',
    modificationTimeMs: Date.now(),
  };
}

export interface ManifestOptions {
  readonly table: TableAt;
  readonly group: string;
  readonly topic?: string;
  readonly partition?: number;
  readonly first: number;
  readonly last: number;
  readonly files?: DataFile[];
  readonly gapAcknowledged?: boolean;
  readonly schemaJson?: string;
}

export function manifest(o: ManifestOptions): CommitInput {
  const files = o.files ?? [];
  return {
    table: { routingKey: o.table.path.split('/').slice(-2).join('.'), tableUri: o.table.uri },
    ingestorId: 'hostile-client',
    idempotencyId: randomUUID(),
    writeMode: 1,
    deltaSchemaJson: o.schemaJson ?? (files.length > 0 ? JSON.stringify(ROW_SCHEMA) : ''),
    partitionColumns: [],
    files,
    sourceRanges: [
      {
        consumerGroup: o.group,
        topic: o.topic ?? 'shop.events',
        partition: o.partition ?? 0,
        firstOffset: o.first,
        lastOffset: o.last,
        gapAcknowledged: o.gapAcknowledged ?? false,
      },
    ],
  };
}

/** A schema of `depth` nested structs. */
export function deepSchema(depth: number): string {
  let type: unknown = 'long';
  for (let i = 1; i < depth; i++)
    type = { type: 'struct', fields: [{ name: 'a', type, nullable: true, metadata: {} }] };
  return JSON.stringify({ type: 'struct', fields: [{ name: 'a', type, nullable: true, metadata: {} }] });
}

/** A schema of `n` top-level columns. */
export function wideSchema(n: number): string {
  return JSON.stringify({
    type: 'struct',
    fields: Array.from({ length: n }, (_, i) => ({
      name: `c${i}`,
      type: 'long',
      nullable: true,
      metadata: {},
    })),
  });
}

export interface TableContent {
  readonly version: number;
  /** The `offset` column of every row, sorted. */
  readonly offsets: number[];
}

/** A table as delta-rs reads it: its version and the offsets of its rows. */
export async function readTable(endpoints: Endpoints, table: TableAt): Promise<TableContent> {
  const { s3 } = endpoints;
  const result = await readWithDeltaRs(table.uri, {
    env: {
      DW_S3_ENDPOINT: s3.endpoint,
      AWS_ACCESS_KEY_ID: s3.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
      AWS_REGION: s3.region,
    },
    timeoutMs: 300_000,
  });
  const offsets = result.rows.map((r) => Number((r as Record<string, unknown>).offset)).sort((a, b) => a - b);
  return { version: result.version, offsets };
}

/** [first, …, last] */
export function range(first: number, last: number): number[] {
  return Array.from({ length: last - first + 1 }, (_, i) => first + i);
}
