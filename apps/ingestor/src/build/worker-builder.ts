/**
 * The production {@link FileBuilder}: packs a batch's records and runs decode → Arrow → Parquet in the encoder
 * worker threads (`build-files.ts`), so the event loop only copies bytes.
 *
 * A worker holds every decoded document of a task until its Arrow batch is built — about ten times the JSON size —
 * so a sealed batch is built in chunks of at most `chunkBytes` of records, one data file (per partition value) each.
 * Each chunk is conformed to the schema the previous chunk produced, so column types never change inside one
 * commit, and the request carries the last (widest) schema.
 */
import type { Logger } from 'pino';
import { type EncoderPool, isWorkerOutOfMemory } from '../parquet/pool.js';
import type { BuildResult, FileBuilder, RecordFailure } from '../pipeline/builder.js';
import type { BufferedRecord } from '../pipeline/types.js';
import { packRecords } from './pack.js';

export const DEFAULT_CHUNK_BYTES = 8 * 1024 * 1024;

export interface WorkerBuilderOptions {
  pool: EncoderPool;
  maxRecordBytes: number;
  chunkBytes?: number;
  logger?: Logger;
}

export function chunkRecords(
  records: readonly BufferedRecord[],
  chunkBytes: number,
): { start: number; records: BufferedRecord[] }[] {
  const chunks: { start: number; records: BufferedRecord[] }[] = [];
  let current: BufferedRecord[] = [];
  let start = 0;
  let bytes = 0;
  records.forEach((r, i) => {
    if (current.length > 0 && bytes + r.bytes > chunkBytes) {
      chunks.push({ start, records: current });
      current = [];
      start = i;
      bytes = 0;
    }
    current.push(r);
    bytes += r.bytes;
  });
  if (current.length > 0) chunks.push({ start, records: current });
  return chunks;
}

export function createWorkerBuilder(options: WorkerBuilderOptions): FileBuilder {
  const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  return {
    async build(request) {
      const files: BuildResult['files'] = [];
      const failures: RecordFailure[] = [];
      let schema = request.tableSchemaJson;
      let resultSchema = '';

      /** Builds one chunk; a chunk that overflows the worker heap is split in half, a single record dead-lettered. */
      const buildChunk = async (start: number, records: BufferedRecord[]): Promise<void> => {
        let result: Awaited<ReturnType<EncoderPool['build']>>;
        try {
          result = await options.pool.build({
            records: packRecords(request.topic, request.partition, records),
            partitionBy: [...request.partitionBy],
            compression: request.compression,
            maxRecordBytes: options.maxRecordBytes,
            ...(schema !== undefined && schema !== '' && { tableSchemaJson: schema }),
          });
        } catch (error) {
          if (!isWorkerOutOfMemory(error)) throw error;
          if (records.length === 1) {
            failures.push({
              index: start,
              reason: 'too_large',
              message: 'converting this record exceeded the encoder heap limit (ENCODER_HEAP_LIMIT)',
            });
            return;
          }
          options.logger?.warn(
            { records: records.length },
            'encoder heap limit reached; splitting the chunk',
          );
          const half = Math.ceil(records.length / 2);
          await buildChunk(start, records.slice(0, half));
          await buildChunk(start + half, records.slice(half));
          return;
        }
        files.push(...result.files);
        failures.push(...result.failures.map((f) => ({ ...f, index: f.index + start })));
        if (result.deltaSchemaJson !== '') {
          schema = result.deltaSchemaJson;
          resultSchema = result.deltaSchemaJson;
        }
        if (result.resolutions.length > 0) {
          options.logger?.info(
            {
              topic: request.topic,
              partition: request.partition,
              resolutions: result.resolutions.slice(0, 20),
            },
            'schema decisions for a batch',
          );
        }
      };

      for (const chunk of chunkRecords(request.records, chunkBytes))
        await buildChunk(chunk.start, chunk.records);
      return { files, deltaSchemaJson: files.length > 0 ? resultSchema : '', failures };
    },
    close: () => options.pool.close(),
  };
}
