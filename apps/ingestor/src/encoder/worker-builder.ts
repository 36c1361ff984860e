/**
 * The production {@link FileBuilder}: runs decode → Arrow → Parquet in the encoder worker threads (`build-files.ts`)
 * on ranges of the batch's shared record slab, so the event loop only copies bytes — once, when they are fetched.
 *
 * A worker holds every decoded document of a task until its Arrow batch is built — about ten times the JSON size —
 * so a sealed batch is built in chunks of at most `chunkBytes` of records, one data file (per partition value) each.
 * Each chunk is conformed to the schema the previous chunk produced, so column types never change inside one
 * commit, and the request carries the last (widest) schema.
 */
import type { Logger } from 'pino';
import type { BuiltOutput, FileBuilder, RecordFailure } from '../pipeline/builder.js';
import type { SealedRecords } from '../pipeline/records.js';
import { type EncoderPool, isWorkerOutOfMemory } from './pool.js';
import { chunkOf } from './slab.js';

export const DEFAULT_CHUNK_BYTES = 8 * 1024 * 1024;

export interface WorkerBuilderOptions {
  pool: EncoderPool;
  maxRecordBytes: number;
  /** bson-arrow's per-record and per-batch bounds; its defaults when unset. */
  limits?: { maxDocumentFields?: number; maxDepth?: number; maxBatchColumns?: number };
  chunkBytes?: number;
  logger?: Logger;
}

/** The batch's records in ranges `[start, end)` of at most `chunkBytes` each (at least one record each). */
export function chunkRecords(records: SealedRecords, chunkBytes: number): { start: number; end: number }[] {
  const chunks: { start: number; end: number }[] = [];
  let start = 0;
  let bytes = 0;
  for (let i = 0; i < records.count; i++) {
    const size = records.sizeOf(i);
    if (i > start && bytes + size > chunkBytes) {
      chunks.push({ start, end: i });
      start = i;
      bytes = 0;
    }
    bytes += size;
  }
  if (records.count > start) chunks.push({ start, end: records.count });
  return chunks;
}

export function createWorkerBuilder(options: WorkerBuilderOptions): FileBuilder {
  const defaultChunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  return {
    async build(request) {
      const outputs: BuiltOutput[] = request.outputs.map((o) => ({
        kind: o.kind,
        files: [],
        deltaSchemaJson: '',
      }));
      const failures: RecordFailure[] = [];
      const schemas = request.outputs.map((o) => o.tableSchemaJson);
      const partialUpdates = request.partialUpdates ?? 'skip';
      // Applying partial updates needs the whole batch in view (a patch's document may be in an earlier chunk).
      const chunkBytes =
        partialUpdates === 'apply' && request.outputs.some((o) => o.kind === 'mirror')
          ? Number.POSITIVE_INFINITY
          : defaultChunkBytes;

      /** Builds one chunk; a chunk that overflows the worker heap is split in half, a single record dead-lettered. */
      const buildChunk = async (start: number, end: number): Promise<void> => {
        // Outputs that start after this chunk get nothing from it.
        const wanted = request.outputs.map((o, i) => ({ o, i })).filter(({ o }) => o.fromIndex < end);
        if (wanted.length === 0) return;
        let result: Awaited<ReturnType<EncoderPool['build']>>;
        try {
          result = await options.pool.build({
            records: chunkOf(request.topic, request.partition, request.records, start, end),
            partitionBy: [...request.partitionBy],
            compression: request.compression,
            maxRecordBytes: options.maxRecordBytes,
            ...(options.limits?.maxDocumentFields !== undefined && {
              maxDocumentFields: options.limits.maxDocumentFields,
            }),
            ...(options.limits?.maxDepth !== undefined && { maxDepth: options.limits.maxDepth }),
            ...(options.limits?.maxBatchColumns !== undefined && {
              maxBatchColumns: options.limits.maxBatchColumns,
            }),
            partialUpdates,
            outputs: wanted.map(({ o, i }) => ({
              kind: o.kind,
              fromIndex: Math.max(0, o.fromIndex - start),
              ...(schemas[i] ? { tableSchemaJson: schemas[i] } : {}),
              ...(o.statsConfiguration && { statsConfiguration: o.statsConfiguration }),
            })),
          });
        } catch (error) {
          if (!isWorkerOutOfMemory(error)) throw error;
          if (end - start === 1) {
            failures.push({
              index: start,
              reason: 'too_large',
              message: 'converting this record exceeded the encoder heap limit (ENCODER_HEAP_LIMIT)',
            });
            return;
          }
          options.logger?.warn({ records: end - start }, 'encoder heap limit reached; splitting the chunk');
          const half = start + Math.ceil((end - start) / 2);
          await buildChunk(start, half);
          await buildChunk(half, end);
          return;
        }
        failures.push(...result.failures.map((f) => ({ ...f, index: f.index + start })));
        result.outputs.forEach((built, k) => {
          const i = (wanted[k] as { i: number }).i;
          const out = outputs[i] as BuiltOutput;
          out.files.push(...built.files);
          if (built.deltaSchemaJson !== '') {
            schemas[i] = built.deltaSchemaJson;
            out.deltaSchemaJson = built.deltaSchemaJson;
          }
          if (built.mirror) {
            const m = out.mirror ?? { duplicates: 0, folded: 0, skipped: 0 };
            out.mirror = {
              duplicates: m.duplicates + built.mirror.duplicates,
              folded: m.folded + built.mirror.folded,
              skipped: m.skipped + built.mirror.skipped,
            };
          }
          if (built.unsafe !== undefined && out.unsafe === undefined) out.unsafe = built.unsafe;
        });
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

      for (const chunk of chunkRecords(request.records, chunkBytes)) await buildChunk(chunk.start, chunk.end);
      for (const out of outputs) {
        if (out.files.length === 0) out.deltaSchemaJson = '';
        // An unsafe mirror output is never written, even partly.
        if (out.unsafe !== undefined) out.files = [];
      }
      return { outputs, failures };
    },
    close: () => options.pool.close(),
  };
}
