/**
 * The one place that talks to parquet-wasm. Reads go Parquet → Arrow IPC → apache-arrow `Table`;
 * writes go the other way. Both are synchronous, whole-buffer operations inside the wasm module.
 */
import type { Table } from 'apache-arrow';
import { tableFromIPC, tableToIPC } from 'apache-arrow';
import * as parquet from 'parquet-wasm';

/** Options of {@link writeParquet}. */
export interface ParquetWriteOptions {
  compression?: 'snappy' | 'zstd' | 'uncompressed';
  /** Rows per row group (default: parquet-wasm's). */
  maxRowGroupSize?: number;
  /** Key/value metadata stored in the file footer. */
  metadata?: Record<string, string>;
}

/** Options of {@link readParquet}. */
export interface ParquetReadOptions {
  /** Top-level columns to read. */
  columns?: string[];
  /** Rows per Arrow record batch (parquet-wasm's default is 1024). */
  batchSize?: number;
}

/** Decodes a Parquet file into an Arrow table (parquet-wasm); `columns` reads only those. */
export function readParquet(bytes: Uint8Array, options: ParquetReadOptions = {}): Table {
  const wasmTable = parquet.readParquet(bytes, {
    ...(options.columns ? { columns: options.columns } : {}),
    ...(options.batchSize ? { batchSize: options.batchSize } : {}),
  });
  try {
    return tableFromIPC(wasmTable.intoIPCStream());
  } finally {
    // intoIPCStream consumes the wasm table; nothing left to free.
  }
}

/** Encodes an Arrow table as a Parquet file (parquet-wasm). */
export function writeParquet(table: Table, options: ParquetWriteOptions = {}): Uint8Array {
  let builder = new parquet.WriterPropertiesBuilder()
    .setCompression(
      options.compression === 'zstd'
        ? parquet.Compression.ZSTD
        : options.compression === 'uncompressed'
          ? parquet.Compression.UNCOMPRESSED
          : parquet.Compression.SNAPPY,
    )
    .setCreatedBy('delta-log (parquet-wasm)');
  if (options.maxRowGroupSize) builder = builder.setMaxRowGroupSize(options.maxRowGroupSize);
  if (options.metadata) builder = builder.setKeyValueMetadata(new Map(Object.entries(options.metadata)));
  const wasmTable = parquet.Table.fromIPCStream(tableToIPC(table, 'stream'));
  return parquet.writeParquet(wasmTable, builder.build());
}
