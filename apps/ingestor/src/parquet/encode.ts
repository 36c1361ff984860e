/**
 * Arrow IPC stream → Parquet bytes with parquet-wasm, plus the Delta stats of the same batch. Pure CPU work: it runs
 * inside the encoder worker threads (see `pool.ts`) so the event loop that heartbeats Kafka never waits for it.
 */
import { tableFromIPC } from 'apache-arrow';
import {
  Compression,
  Table as WasmTable,
  WriterPropertiesBuilder,
  WriterVersion,
  wasmMemory,
  writeParquet,
} from 'parquet-wasm';
import type { ParquetCompression } from '../config/load.js';
import { computeDeltaStats, statsToJson } from './stats.js';

export interface EncodeTask {
  /** An Arrow IPC *stream* of the batch. */
  ipc: Uint8Array;
  compression: ParquetCompression;
  /** Partition columns: not part of the stats (their values are in the `add` action). */
  skipColumns?: string[];
  numIndexedCols?: number;
}

export interface EncodeResult {
  parquet: Uint8Array;
  /** The `add.stats` JSON. */
  statsJson: string;
  numRecords: number;
  /** Size of this thread's WebAssembly heap after encoding: wasm memory grows and is never returned. */
  wasmHeapBytes: number;
  /** CPU time of the encoder thread on this task, µs (set by the worker entry). */
  cpuMicros?: number;
}

const codecs: Record<ParquetCompression, Compression> = {
  zstd: Compression.ZSTD,
  snappy: Compression.SNAPPY,
  uncompressed: Compression.UNCOMPRESSED,
};

export function encodeParquet(task: EncodeTask): EncodeResult {
  const stats = computeDeltaStats(tableFromIPC(task.ipc), {
    ...(task.skipColumns && { skipColumns: task.skipColumns }),
    ...(task.numIndexedCols !== undefined && { numIndexedCols: task.numIndexedCols }),
  });
  return {
    parquet: writeParquetBytes(task.ipc, task.compression),
    statsJson: statsToJson(stats),
    numRecords: stats.numRecords,
    wasmHeapBytes: wasmMemory().buffer.byteLength,
  };
}

/** The Parquet half of {@link encodeParquet}. */
export function writeParquetBytes(ipc: Uint8Array, compression: ParquetCompression): Uint8Array {
  // writeParquet takes ownership of (and frees) both the wasm table and the properties.
  const properties = new WriterPropertiesBuilder()
    .setCompression(codecs[compression])
    .setWriterVersion(WriterVersion.V1)
    .setCreatedBy('delta-writer ingestor (parquet-wasm)')
    .build();
  return writeParquet(WasmTable.fromIPCStream(ipc), properties);
}
