/**
 * Prepares a sealed batch for its commits: build the data files of every table the batch goes to (one decode), dead-
 * letter the records that cannot become rows, upload the files (and, for mirror tables, a row block too large to go
 * inline). Every step retries until it succeeds or the partition is revoked (the signal): giving up on a batch would
 * leave a hole in the partition's ranges.
 */
import { randomUUID } from 'node:crypto';
import { dataFileLocation, dataFileName, partitionDirectory } from '@delta-writer/delta-log/files';
import type { DataFile, MirrorRows } from '@delta-writer/proto';
import type { ParquetCompression } from '../config/load.js';
import { retry } from '../retry.js';
import type { Uploader } from '../storage/uploader.js';
import type {
  BuildResult,
  BuiltFile,
  BuiltOutput,
  FileBuilder,
  MirrorBuildStats,
  PartialUpdatesMode,
} from './builder.js';
import type { DeadLetterSink } from './dead-letter.js';
import type { ReadyBatch } from './manifest.js';
import type { Rejection, SealedBatch, TargetBatch } from './types.js';

/** A dropped batch would leave a hole in its partition's ranges: preparation retries until the partition is revoked. */
const FOREVER = { attempts: Number.POSITIVE_INFINITY, initialMs: 500, maxMs: 30_000 };

/** A row block larger than this is uploaded as a sidecar file instead of going inline in the request. */
export const INLINE_ROWS_MAX_BYTES = 1024 * 1024;

export interface FlushDeps {
  builder: FileBuilder;
  uploader: Pick<Uploader, 'put'>;
  deadLetters: DeadLetterSink;
  partitionBy: readonly string[];
  compression: ParquetCompression;
  partialUpdates?: PartialUpdatesMode;
  tableSchema?: (tableUri: string) => string | undefined;
  /** The table's `delta.dataSkipping*` properties, when known. */
  statsConfiguration?: (tableUri: string) => Record<string, string> | undefined;
  onBuildRetry?: (error: unknown, attempt: number) => void;
  /** The uploader retries a few times itself; this is the outer loop that never gives up (S3 outages). */
  onUploadRetry?: (error: unknown, attempt: number) => void;
  onMirrorStats?: (stats: MirrorBuildStats) => void;
  now?: () => number;
}

/** One ReadyBatch per target of the batch, in the order of `batch.targets`. */
export async function prepareBatch(
  batch: SealedBatch,
  deps: FlushDeps,
  signal: AbortSignal,
): Promise<ReadyBatch[]> {
  const now = deps.now ?? Date.now;
  const schemas = batch.targets.map((t) => deps.tableSchema?.(t.target.route.tableUri));
  const built: BuildResult =
    batch.records.count === 0
      ? {
          outputs: batch.targets.map((t) => ({ kind: t.target.kind, files: [], deltaSchemaJson: '' })),
          failures: [],
        }
      : await build(batch, schemas, deps, signal);
  const rejections: Rejection[] = [
    ...batch.rejected,
    ...built.failures.map((f) => ({
      record: batch.records.record(f.index),
      reason: f.reason,
      message: f.message,
    })),
  ];
  if (rejections.length > 0) await deps.deadLetters.send(batch, rejections, signal);

  return Promise.all(
    batch.targets.map(async (t, i) => {
      const out = built.outputs[i] as BuiltOutput;
      if (out.mirror) deps.onMirrorStats?.(out.mirror);
      const uploaded = await Promise.all(
        out.files.map((file) =>
          retry(() => upload(batch, t, file, deps, signal, now), {
            ...FOREVER,
            signal,
            ...(deps.onUploadRetry && { onRetry: deps.onUploadRetry }),
          }),
        ),
      );
      const ready: ReadyBatch = {
        batch,
        target: t.target,
        range: t.range,
        files: uploaded.map((u) => u.file),
        deltaSchemaJson: uploaded.length > 0 ? out.deltaSchemaJson : '',
        builtAgainst: schemas[i] ?? '',
        ...(t.target.kind === 'mirror' && { mirrorRows: uploaded.flatMap((u) => (u.rows ? [u.rows] : [])) }),
        ...(out.unsafe !== undefined && { unsafe: out.unsafe }),
      };
      return ready;
    }),
  );
}

function build(
  batch: SealedBatch,
  schemas: readonly (string | undefined)[],
  deps: FlushDeps,
  signal: AbortSignal,
): Promise<BuildResult> {
  return retry(
    () =>
      deps.builder.build({
        topic: batch.topic,
        partition: batch.partition,
        records: batch.records,
        partitionBy: deps.partitionBy,
        compression: deps.compression,
        ...(deps.partialUpdates && { partialUpdates: deps.partialUpdates }),
        outputs: batch.targets.map((t, i) => {
          const schema = schemas[i];
          const stats = deps.statsConfiguration?.(t.target.route.tableUri);
          return {
            kind: t.target.kind,
            fromIndex: t.fromIndex,
            ...(schema !== undefined && { tableSchemaJson: schema }),
            ...(stats !== undefined && { statsConfiguration: stats }),
          };
        }),
      }),
    { ...FOREVER, signal, ...(deps.onBuildRetry && { onRetry: deps.onBuildRetry }) },
  );
}

async function upload(
  batch: SealedBatch,
  t: TargetBatch,
  file: BuiltFile,
  deps: FlushDeps,
  signal: AbortSignal,
  now: () => number,
): Promise<{ file: DataFile; rows?: MirrorRows }> {
  const tablePath = t.target.route.tablePath;
  // A fresh uuid per file: uploads never overwrite, and a retried flush leaves at worst an orphan that vacuum removes.
  const location = dataFileLocation(
    partitionDirectory(deps.partitionBy, file.partitionValues),
    dataFileName(batch.partition, deps.compression, randomUUID()),
  );
  await deps.uploader.put(`${tablePath}/${location.relativeKey}`, file.parquet, signal);
  let rows: MirrorRows | undefined;
  if (file.mirrorRows) {
    if (file.mirrorRows.byteLength <= INLINE_ROWS_MAX_BYTES) {
      rows = { path: location.addPath, rows: { $case: 'arrowIpc', value: Buffer.from(file.mirrorRows) } };
    } else {
      // Beside its data file: never referenced by the table, so vacuum removes it after the retention.
      const sidecar = `${location.relativeKey}.mirror-rows.arrows`;
      await deps.uploader.put(`${tablePath}/${sidecar}`, file.mirrorRows, signal);
      rows = { path: location.addPath, rows: { $case: 'sidecarPath', value: sidecar } };
    }
  }
  return {
    file: {
      path: location.addPath,
      sizeBytes: file.parquet.byteLength,
      recordCount: file.numRecords,
      partitionValues: deps.partitionBy.map((column) => {
        const value = file.partitionValues[column];
        return value === null || value === undefined ? { column } : { column, value };
      }),
      statsJson: file.statsJson,
      modificationTimeMs: now(),
    },
    ...(rows && { rows }),
  };
}
