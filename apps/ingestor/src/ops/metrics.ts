/** Prometheus metrics of one ingestor process (prom-client, own registry), served on `/metrics`. */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { threadCpuMicros } from './cpu.js';

export function createMetrics() {
  const registry = new Registry();
  let mainCpuAtLastScrape = 0;
  collectDefaultMetrics({ register: registry, prefix: 'dw_ingestor_' });
  const seconds = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60];
  return {
    registry,
    memoryReleaseDuration: new Histogram({
      name: 'dw_ingestor_memory_release_seconds',
      help: "Pauses of the main thread giving V8's pooled heap pages back to the operating system (MEMORY_RELEASE_INTERVAL)",
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    memoryReleasedBytes: new Counter({
      name: 'dw_ingestor_memory_released_bytes_total',
      help: 'Resident memory those releases gave back (the fall of the resident set across each)',
      registers: [registry],
    }),
    eventsConsumed: new Counter({
      name: 'dw_ingestor_events_consumed_total',
      help: 'Kafka records taken into buffers',
      labelNames: ['topic'],
      registers: [registry],
    }),
    bytesConsumed: new Counter({
      name: 'dw_ingestor_bytes_consumed_total',
      help: 'Bytes of Kafka records (key + value + headers) taken into buffers',
      labelNames: ['topic'],
      registers: [registry],
    }),
    rowsWritten: new Counter({
      name: 'dw_ingestor_rows_written_total',
      help: 'Rows in data files acknowledged by the committer',
      labelNames: ['table'],
      registers: [registry],
    }),
    filesWritten: new Counter({
      name: 'dw_ingestor_files_written_total',
      help: 'Data files acknowledged by the committer',
      labelNames: ['table'],
      registers: [registry],
    }),
    fileBytesWritten: new Counter({
      name: 'dw_ingestor_file_bytes_written_total',
      help: 'Bytes of data files acknowledged by the committer',
      labelNames: ['table'],
      registers: [registry],
    }),
    flushSeconds: new Histogram({
      name: 'dw_ingestor_flush_duration_seconds',
      help: 'From sealing a buffer to its data files being uploaded (decode, encode, dead-letter, upload)',
      labelNames: ['reason'],
      buckets: seconds,
      registers: [registry],
    }),
    commitSeconds: new Histogram({
      name: 'dw_ingestor_commit_duration_seconds',
      help: 'Committer call latency until the ack (retries included)',
      labelNames: ['table'],
      buckets: seconds,
      registers: [registry],
    }),
    endToEndSeconds: new Histogram({
      name: 'dw_ingestor_end_to_end_latency_seconds',
      help: 'From the Kafka timestamp of the newest record of a batch to its commit ack',
      buckets: seconds,
      registers: [registry],
    }),
    consumerLag: new Gauge({
      name: 'dw_ingestor_consumer_lag',
      help: 'Records between the last record taken and the partition high watermark',
      labelNames: ['topic', 'partition'],
      registers: [registry],
    }),
    committedLag: new Gauge({
      name: 'dw_ingestor_committed_lag',
      help: 'Records between the last committed offset and the partition high watermark',
      labelNames: ['topic', 'partition'],
      registers: [registry],
    }),
    deadLettered: new Counter({
      name: 'dw_ingestor_dlq_records_total',
      help: 'Records written to the dead-letter topic',
      labelNames: ['reason'],
      registers: [registry],
    }),
    deadLetterFailures: new Counter({
      name: 'dw_ingestor_dead_letter_failures_total',
      help: 'Dead-letter writes that failed after KAFKA_DLQ_MAX_ATTEMPTS; each stopped its partition',
      registers: [registry],
    }),
    partitionsStopped: new Gauge({
      name: 'dw_ingestor_partitions_stopped',
      help: 'Partitions stopped because their dead letters could not be written (until assigned again)',
      registers: [registry],
    }),
    refusals: new Counter({
      name: 'dw_ingestor_commit_refusals_total',
      help: 'Committer refusals',
      labelNames: ['reason'],
      registers: [registry],
    }),
    kafkaCommitFailures: new Counter({
      name: 'dw_ingestor_kafka_offset_commit_failures_total',
      help: 'Failed Kafka offset commits (harmless: Delta holds the committed offsets; a restart re-seeks from it)',
      registers: [registry],
    }),
    kafkaReconnects: new Counter({
      name: 'dw_ingestor_kafka_reconnects_total',
      help: 'Consumer generations restarted after kafkajs gave up on the cluster (a broker outage longer than its retries)',
      registers: [registry],
    }),
    bufferedBytes: new Gauge({
      name: 'dw_ingestor_buffered_bytes',
      help: 'Bytes in partition buffers',
      registers: [registry],
    }),
    inflightBytes: new Gauge({
      name: 'dw_ingestor_inflight_bytes',
      help: 'Bytes of sealed batches not yet committed',
      registers: [registry],
    }),
    memoryBudget: new Gauge({
      name: 'dw_ingestor_memory_budget_bytes',
      help: 'Configured memory budget',
      registers: [registry],
    }),
    pausedPartitions: new Gauge({
      name: 'dw_ingestor_paused_partitions',
      help: 'Partitions paused by the memory budget',
      registers: [registry],
    }),
    assignedPartitions: new Gauge({
      name: 'dw_ingestor_assigned_partitions',
      help: 'Partitions owned',
      registers: [registry],
    }),
    wasmHeap: new Gauge({
      name: 'dw_ingestor_encoder_wasm_heap_bytes',
      help: 'WebAssembly heap of the last encoder worker that reported',
      registers: [registry],
    }),
    mirrorEvents: new Counter({
      name: 'dw_ingestor_mirror_events_total',
      help: 'Events of mirror-table batches not written as rows, by outcome: duplicate (an exact duplicate in the batch), folded (a later event of the same key replaced it), skipped (a partial update under DELTA_MIRROR_PARTIAL_UPDATES=skip; a high share means Debezium does not run an *_update_full* capture mode).',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    partitionResets: new Counter({
      name: 'dw_ingestor_partition_resets_total',
      help: 'Partitions re-positioned from the table after an offset refusal',
      registers: [registry],
    }),
    threadCpu: new Counter({
      name: 'dw_ingestor_thread_cpu_seconds_total',
      help: 'CPU time of the event-loop thread (main) and of the encoder threads while running tasks (encoder); the rest of process_cpu is V8 helper threads, libuv and start-up',
      labelNames: ['thread'] as const,
      registers: [registry],
      // The event loop's share is read at scrape time; encoder threads report theirs with each task.
      collect() {
        const now = threadCpuMicros();
        this.inc({ thread: 'main' }, (now - mainCpuAtLastScrape) / 1e6);
        mainCpuAtLastScrape = now;
      },
    }),
    encodedRecords: new Counter({
      name: 'dw_ingestor_encoded_records_total',
      help: 'Kafka records the encoder threads decoded, by path: fast (bytes straight into columns) or reference (the general decoder, for shapes the fast path does not take)',
      labelNames: ['path'] as const,
      registers: [registry],
    }),
    offsetGaps: new Counter({
      name: 'dw_ingestor_offset_gaps_total',
      help: 'Partitions whose committed position was gone from Kafka (retention): records lost before ingest',
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
