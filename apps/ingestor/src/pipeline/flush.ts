/**
 * Prepares a sealed batch for its commit: build the data files, dead-letter the records that cannot become rows,
 * upload the files. Every step retries until it succeeds or the partition is revoked (the signal): giving up on a
 * batch would leave a hole in the partition's ranges.
 */
import type { DataFile } from '@delta-writer/proto';
import type { ParquetCompression } from '../config/load.js';
import { retry } from '../retry.js';
import { dataFileLocation, dataFileName, partitionDirectory } from '../storage/paths.js';
import type { Uploader } from '../storage/uploader.js';
import type { FileBuilder } from './builder.js';
import type { DeadLetterSink } from './dead-letter.js';
import type { ReadyBatch } from './manifest.js';
import type { Rejection, SealedBatch } from './types.js';

export interface FlushDeps {
  builder: FileBuilder;
  uploader: Pick<Uploader, 'put'>;
  deadLetters: DeadLetterSink;
  partitionBy: readonly string[];
  compression: ParquetCompression;
  tableSchema?: (tableUri: string) => string | undefined;
  onBuildRetry?: (error: unknown, attempt: number) => void;
  now?: () => number;
}

export async function prepareBatch(
  batch: SealedBatch,
  deps: FlushDeps,
  signal: AbortSignal,
): Promise<ReadyBatch> {
  const now = deps.now ?? Date.now;
  const schema = deps.tableSchema?.(batch.route.tableUri);
  const built =
    batch.records.length === 0
      ? { files: [], deltaSchemaJson: '', failures: [] }
      : await retry(
          () =>
            deps.builder.build({
              topic: batch.topic,
              partition: batch.partition,
              records: batch.records,
              partitionBy: deps.partitionBy,
              compression: deps.compression,
              ...(schema !== undefined && { tableSchemaJson: schema }),
            }),
          {
            attempts: Number.POSITIVE_INFINITY,
            initialMs: 500,
            maxMs: 30_000,
            signal,
            ...(deps.onBuildRetry && { onRetry: deps.onBuildRetry }),
          },
        );

  const rejections: Rejection[] = [
    ...batch.rejected,
    ...built.failures.map((f) => ({
      record: batch.records[f.index] as SealedBatch['records'][number],
      reason: f.reason,
      message: f.message,
    })),
  ];
  if (rejections.length > 0) await deps.deadLetters.send(batch, rejections, signal);

  const files: DataFile[] = await Promise.all(
    built.files.map(async (file) => {
      const location = dataFileLocation(
        partitionDirectory(deps.partitionBy, file.partitionValues),
        dataFileName(batch.partition, deps.compression),
      );
      await deps.uploader.put(`${batch.route.tablePath}/${location.relativeKey}`, file.parquet, signal);
      return {
        path: location.deltaPath,
        sizeBytes: file.parquet.byteLength,
        recordCount: file.numRecords,
        partitionValues: deps.partitionBy.map((column) => {
          const value = file.partitionValues[column];
          return value === null || value === undefined ? { column } : { column, value };
        }),
        statsJson: file.statsJson,
        modificationTimeMs: now(),
      };
    }),
  );
  return { batch, files, deltaSchemaJson: files.length > 0 ? built.deltaSchemaJson : '' };
}
