/** What the ingest pipeline is configured with and acts through (see ingestor.ts). */
import type { CommitterClient } from '@delta-writer/proto';
import type { Logger } from 'pino';
import type { ParquetCompression } from '../config/load.js';
import type { Metrics } from '../ops/metrics.js';
import type { RouteResult } from '../routing.js';
import type { Uploader } from '../storage/uploader.js';
import type { FileBuilder, PartialUpdatesMode } from './builder.js';
import type { DeadLetterSink } from './dead-letter.js';
import type { FlushThresholds } from './partition-buffer.js';
import type { OffsetLookup } from './positioning.js';
import type { WriteMode } from './targets.js';
import type { TopicPartition } from './types.js';

export interface ConsumerControl {
  pause(tps: TopicPartition[]): void;
  resume(tps: TopicPartition[]): void;
  seek(tp: TopicPartition, offset: bigint): void;
  commitOffsets(offsets: { topic: string; partition: number; offset: bigint }[]): Promise<void>;
}

export interface IngestorSettings {
  consumerGroup: string;
  ingestorId: string;
  fromBeginning: boolean;
  maxPollRecords: number;
  flush: FlushThresholds;
  memoryBudgetBytes: number;
  maxRecordBytes: number;
  partitionBy: string[];
  compression: ParquetCompression;
  schemaCacheTtlMs: number;
  /** Which tables a topic feeds (default append: its changelog). */
  writeMode?: WriteMode;
  /** Mirror tables: what partial updates do (default skip). */
  partialUpdates?: PartialUpdatesMode;
  maxFilesPerCommit?: number;
  stallRetryMs?: number;
}

export interface IngestorDeps {
  settings: IngestorSettings;
  route: (topic: string) => RouteResult;
  consumer: ConsumerControl;
  offsets: OffsetLookup;
  committer: Pick<CommitterClient, 'commit' | 'getTableState'>;
  builder: FileBuilder;
  uploader: Pick<Uploader, 'put'>;
  deadLetters: DeadLetterSink;
  metrics: Metrics;
  logger: Logger;
  now?: () => number;
}
