/**
 * The production {@link FileBuilder}: packs a batch's records and runs decode → Arrow → Parquet in the encoder
 * worker threads (`build-files.ts`), so the event loop only copies bytes.
 */
import type { Logger } from 'pino';
import type { EncoderPool } from '../parquet/pool.js';
import type { FileBuilder } from '../pipeline/builder.js';
import { packRecords } from './pack.js';

export interface WorkerBuilderOptions {
  pool: EncoderPool;
  maxRecordBytes: number;
  logger?: Logger;
}

export function createWorkerBuilder(options: WorkerBuilderOptions): FileBuilder {
  return {
    async build(request) {
      const result = await options.pool.build({
        records: packRecords(request.topic, request.partition, request.records),
        partitionBy: [...request.partitionBy],
        compression: request.compression,
        maxRecordBytes: options.maxRecordBytes,
        ...(request.tableSchemaJson !== undefined && { tableSchemaJson: request.tableSchemaJson }),
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
      return { files: result.files, deltaSchemaJson: result.deltaSchemaJson, failures: result.failures };
    },
    close: () => options.pool.close(),
  };
}
