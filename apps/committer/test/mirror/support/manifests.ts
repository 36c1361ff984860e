/**
 * Upsert manifests for the committer's mirror tests: a real Parquet data file with the document columns and the CDC
 * columns a mirror table needs (what the ingestor writes), and the manifest's row block describing each row.
 */
import { randomUUID } from 'node:crypto';
import type { Storage, StructType } from '@delta-writer/delta-log';
import { type CommitRequest, PartialUpdates, WriteMode } from '@delta-writer/proto';
import { encodeMirrorRows, type MirrorRow, type RowVersion } from '@delta-writer/proto/mirror';
import { manifestFor, writeTestFile } from '../../support/data.js';

export const DOC_SCHEMA: StructType = {
  type: 'struct',
  fields: [
    { name: 'name', type: 'string', nullable: true, metadata: {} },
    { name: 'n', type: 'long', nullable: true, metadata: {} },
    { name: '_cdc_op', type: 'string', nullable: true, metadata: {} },
    { name: '_cdc_key', type: 'string', nullable: true, metadata: {} },
    { name: '_cdc_seq', type: 'string', nullable: true, metadata: {} },
    { name: '_kafka_partition', type: 'integer', nullable: true, metadata: {} },
    { name: '_kafka_offset', type: 'long', nullable: true, metadata: {} },
  ],
};

export interface DocRow {
  readonly key: string;
  /** Source sequence (one part). */
  readonly seq: number;
  /** Kafka offset (default: seq). */
  readonly offset?: number;
  /** The document's value, or undefined for a delete. */
  readonly n?: number;
  readonly base?: RowVersion;
}

export interface UpsertSpec {
  readonly tableUri: string;
  readonly tablePath: string;
  readonly partition: number;
  readonly first: number;
  readonly last: number;
  readonly rows: readonly DocRow[];
  readonly partialUpdates?: PartialUpdates;
  readonly topic?: string;
}

export const versionOf = (r: DocRow, partition: number): RowVersion => ({
  seq: String(r.seq),
  partition,
  offset: r.offset ?? r.seq,
});

/** Writes the data file and returns the upsert manifest describing it. */
export async function upsertManifest(storage: Storage, spec: UpsertSpec): Promise<CommitRequest> {
  const files =
    spec.rows.length === 0
      ? []
      : [
          await writeTestFile(storage, spec.tablePath, {
            schema: DOC_SCHEMA,
            rows: spec.rows.map((r) => ({
              name: r.n === undefined ? null : `doc ${r.key}`,
              n: r.n ?? null,
              _cdc_op: r.n === undefined ? 'd' : 'u',
              _cdc_key: r.key,
              _cdc_seq: String(r.seq).padStart(20, '0'),
              _kafka_partition: spec.partition,
              _kafka_offset: r.offset ?? r.seq,
            })),
          }),
        ];
  const block: MirrorRow[] = spec.rows.map((r) => ({
    key: r.key,
    version: versionOf(r, spec.partition),
    op: r.n === undefined ? 'delete' : 'upsert',
    ...(r.base ? { base: r.base } : {}),
  }));
  return {
    ...manifestFor({
      tableUri: spec.tableUri,
      partition: spec.partition,
      first: spec.first,
      last: spec.last,
      files,
      schema: DOC_SCHEMA,
      ...(spec.topic ? { topic: spec.topic } : {}),
    }),
    idempotencyId: randomUUID(),
    protocolVersion: 2,
    writeMode: WriteMode.UPSERT,
    mirror: {
      formatVersion: 1,
      partialUpdates: spec.partialUpdates ?? PartialUpdates.SKIP,
      files: files.map((f) => ({
        path: f.path,
        rows: { $case: 'arrowIpc', value: Buffer.from(encodeMirrorRows(block)) },
      })),
    },
  };
}
