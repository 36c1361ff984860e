/**
 * Worker-side: Kafka records → Debezium change events (bson-arrow `Decoder`) → one Arrow batch (bson-arrow
 * `BatchBuilder`, conformed to the table's schema when known) → one Parquet file per partition value, with Delta stats.
 * Records that cannot be decoded become failures (for the dead-letter topic); tombstones, heartbeats and transaction
 * markers become nothing. Runs entirely inside an encoder worker thread.
 */
import { BatchBuilder, DecodeError, Decoder } from '@delta-writer/bson-arrow';
import { type Schema, type Table, tableToIPC } from 'apache-arrow';
import { wasmMemory } from 'parquet-wasm';
import type { ParquetCompression } from '../config/load.js';
import { deltaSchemaOf } from '../parquet/delta-schema.js';
import { writeParquetBytes } from '../parquet/encode.js';
import { splitByPartition } from '../parquet/partition-split.js';
import { computeDeltaStats, statsToJson } from '../parquet/stats.js';
import type { BuildResult, RecordFailure } from '../pipeline/builder.js';
import { arrowSchemaOfDelta } from './delta-to-arrow.js';
import { type PackedRecords, unpackRecord } from './pack.js';

export interface BuildTask {
  kind: 'build';
  records: PackedRecords;
  partitionBy: string[];
  compression: ParquetCompression;
  tableSchemaJson?: string;
  maxRecordBytes: number;
  maxDepth?: number;
}

export interface BuildTaskResult extends BuildResult {
  wasmHeapBytes: number;
  /** What schema inference decided (new columns, conflicts, overflows), for logs. */
  resolutions: string[];
}

let decoder: Decoder | undefined;

export function buildFiles(task: BuildTask): BuildTaskResult {
  decoder ??= new Decoder({
    maxBytes: task.maxRecordBytes,
    ...(task.maxDepth !== undefined && { maxDepth: task.maxDepth }),
  });
  const failures: RecordFailure[] = [];
  const events: { index: number; event: Parameters<BatchBuilder['append']>[0] }[] = [];
  for (let index = 0; index < task.records.count; index++) {
    const r = unpackRecord(task.records, index);
    try {
      const decoded = decoder.decode(r);
      if (decoded.kind === 'change') events.push({ index, event: decoded });
      else if (decoded.kind === 'failure')
        failures.push({ index, reason: decoded.reason, message: decoded.message });
    } catch (e) {
      failures.push({ index, reason: 'internal_error', message: `decoder failed: ${(e as Error).message}` });
    }
  }
  if (events.length === 0)
    return { files: [], deltaSchemaJson: '', failures, wasmHeapBytes: 0, resolutions: [] };

  const target = task.tableSchemaJson ? arrowSchemaOfDelta(task.tableSchemaJson) : undefined;
  let built: { table: Table; schema: Schema; resolutions: { kind: string; path: string; detail: string }[] };
  try {
    built = buildBatch(
      events.map((e) => e.event),
      target,
    );
  } catch (first) {
    try {
      if (!target) throw first;
      built = buildBatch(
        events.map((e) => e.event),
        undefined,
      ); // the committer merges or refuses the schema
    } catch (e) {
      // The batch cannot be built at all: retrying would stall the partition forever, so its records are
      // dead-lettered with the reason (and the failure is loud in the logs and the DLQ count).
      const reason = e instanceof DecodeError ? e.reason : 'internal_error';
      const message = `the batch could not be converted to Arrow: ${(e as Error).message}`;
      for (const { index } of events) failures.push({ index, reason, message });
      return { files: [], deltaSchemaJson: '', failures, wasmHeapBytes: 0, resolutions: [] };
    }
  }

  const files = splitByPartition(built.table, task.partitionBy).map((group) => {
    const ipc = tableToIPC(group.table, 'stream');
    const stats = computeDeltaStats(group.table);
    return {
      parquet: writeParquetBytes(ipc, task.compression),
      statsJson: statsToJson(stats),
      numRecords: stats.numRecords,
      partitionValues: group.values,
    };
  });
  return {
    files,
    deltaSchemaJson: deltaSchemaOf(built.schema, { ensureColumns: task.partitionBy }),
    failures,
    wasmHeapBytes: wasmMemory().buffer.byteLength,
    resolutions: built.resolutions.map((r) => `${r.kind} ${r.path}: ${r.detail}`),
  };
}

function buildBatch(events: Parameters<BatchBuilder['append']>[0][], target: Schema | undefined) {
  const builder = new BatchBuilder(target ? { targetSchema: target } : {});
  for (const e of events) builder.append(e);
  return builder.finish();
}
