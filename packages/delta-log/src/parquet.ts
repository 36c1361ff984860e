/**
 * The one place that talks to parquet-wasm. Reads go Parquet → Arrow IPC → apache-arrow `Table`;
 * writes go the other way. `readParquet` and `writeParquet` are synchronous, whole-buffer operations inside the
 * wasm module; `writeParquetStreamed` hands the table to the encoder a slice at a time.
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

/**
 * Bytes of WebAssembly memory parquet-wasm holds in the calling thread. It grows to the largest file decoded or row
 * group encoded and is never given back (WebAssembly memory only grows), so a long-running process reports it to
 * tell a growing resident set from a leak.
 */
export function parquetHeapBytes(): number {
  return parquet.wasmMemory().buffer.byteLength;
}

/** Options of {@link writeParquetStreamed}. */
export interface ParquetStreamedWriteOptions extends ParquetWriteOptions {
  /** About how many bytes of Arrow data are copied into the encoder at a time (default 8 MiB). */
  sliceBytes?: number;
  /**
   * About how many bytes of Arrow data make a row group at most (default 32 MiB), on top of `maxRowGroupSize`:
   * the encoder holds the row group it is building, ~2× its Arrow size, in WebAssembly memory.
   */
  rowGroupBytes?: number;
}

const DEFAULT_SLICE_BYTES = 8 * 1024 * 1024;
const DEFAULT_ROW_GROUP_BYTES = 32 * 1024 * 1024;
/** parquet-rs's default row group size, rows. */
const DEFAULT_ROW_GROUP_ROWS = 1024 * 1024;

function writerProperties(options: ParquetWriteOptions): parquet.WriterProperties {
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
  return builder.build();
}

/** Encodes an Arrow table as a Parquet file (parquet-wasm). */
export function writeParquet(table: Table, options: ParquetWriteOptions = {}): Uint8Array {
  const wasmTable = parquet.Table.fromIPCStream(tableToIPC(table, 'stream'));
  return parquet.writeParquet(wasmTable, writerProperties(options));
}

/**
 * Encodes an Arrow table as a Parquet file like {@link writeParquet} (same settings and rows) in a fraction of the
 * memory: `writeParquet` serializes all of it to IPC in JavaScript memory and copies that into the
 * WebAssembly heap before encoding, and the encoder then holds the whole row group (by default up to 1 Mi rows) in
 * that heap, which never shrinks: ~4–5× the table at the peak. Here slices of about `sliceBytes` go through the copy
 * one after another and row groups are also bounded by `rowGroupBytes`, so the encoder holds one slice and one row
 * group (bench/compaction-memory.ts of the committer).
 */
export async function writeParquetStreamed(
  table: Table,
  options: ParquetStreamedWriteOptions = {},
): Promise<Uint8Array> {
  // The streaming writer takes its schema from the first batch: a table without rows has none to give.
  if (table.numRows === 0) return writeParquet(table, options);
  const bytesPerRow = Math.max(1, table.data.reduce((n, d) => n + d.byteLength, 0) / table.numRows);
  const rowsOf = (bytes: number) => Math.max(1, Math.floor(bytes / bytesPerRow));
  const sliceRows = rowsOf(options.sliceBytes ?? DEFAULT_SLICE_BYTES);
  const maxRowGroupSize = Math.min(
    options.maxRowGroupSize ?? DEFAULT_ROW_GROUP_ROWS,
    rowsOf(options.rowGroupBytes ?? DEFAULT_ROW_GROUP_BYTES),
  );
  let offset = 0;
  return writeParquetChunks(
    () => {
      if (offset >= table.numRows) return undefined;
      const slice = table.slice(offset, offset + sliceRows);
      offset += slice.numRows;
      return slice;
    },
    { ...options, maxRowGroupSize },
  );
}

/**
 * Encodes the tables `next` returns, one after another until it returns `undefined`, as one Parquet file: the rows
 * of a file too large to hold as one Arrow table (a checkpoint of a million actions) built a chunk at a time. The
 * chunks share one schema; there must be at least one. Row groups follow `maxRowGroupSize` (rows).
 */
export async function writeParquetChunks(
  next: () => Table | undefined,
  options: ParquetWriteOptions = {},
): Promise<Uint8Array> {
  // An error of `next` reaches the caller as itself, not as whatever the wasm stream makes of it.
  let failure: { error: unknown } | undefined;
  const input = new ReadableStream<parquet.RecordBatch>({
    pull(controller) {
      try {
        const chunk = next();
        if (!chunk) {
          controller.close();
          return;
        }
        const wasmTable = parquet.Table.fromIPCStream(tableToIPC(chunk, 'stream'));
        try {
          for (const batch of wasmTable.recordBatches()) controller.enqueue(batch);
        } finally {
          wasmTable.free();
        }
      } catch (error) {
        failure = { error };
        controller.error(error);
      }
    },
  });
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for await (const chunk of (await parquet.transformParquetStream(
      input,
      writerProperties(options),
    )) as ReadableStream<Uint8Array>) {
      chunks.push(chunk);
      size += chunk.byteLength;
    }
  } catch (err) {
    throw failure ? failure.error : err;
  }
  if (failure) throw failure.error;
  if (chunks.length === 1 && chunks[0]) return chunks[0];
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return bytes;
}
