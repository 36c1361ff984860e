/**
 * Worker-side: Kafka records → Debezium change events (bson-arrow `Decoder`) → per output one Arrow batch (bson-arrow
 * `BatchBuilder`, conformed to the table's schema when known) → one Parquet file per partition value, with Delta
 * stats. A changelog output holds every event; a mirror output one row per document key (build/mirror-rows.ts) and,
 * per file, the row block the committer plans with. Records that cannot be decoded become failures (for the
 * dead-letter topic); tombstones, heartbeats and transaction markers become nothing. Runs entirely inside an encoder
 * worker thread.
 */
import { BatchBuilder, type ChangeEvent, DecodeError, Decoder } from '@delta-writer/bson-arrow';
import { encodeMirrorRows } from '@delta-writer/proto/mirror';
import { type Schema, type Table, tableToIPC } from 'apache-arrow';
import { wasmMemory } from 'parquet-wasm';
import type { ParquetCompression } from '../config/load.js';
import { deltaSchemaOf } from '../parquet/delta-schema.js';
import { writeParquetBytes } from '../parquet/encode.js';
import { splitByPartition } from '../parquet/partition-split.js';
import { computeDeltaStats, statsToJson } from '../parquet/stats.js';
import type {
  BuildOutputRequest,
  BuildResult,
  BuiltFile,
  BuiltOutput,
  PartialUpdatesMode,
  RecordFailure,
} from '../pipeline/builder.js';
import { arrowSchemaOfDelta } from './delta-to-arrow.js';
import { mirrorBatch } from './mirror-rows.js';
import { type PackedRecords, unpackRecord } from './pack.js';

export interface BuildTask {
  kind: 'build';
  records: PackedRecords;
  partitionBy: string[];
  compression: ParquetCompression;
  outputs: BuildOutputRequest[];
  partialUpdates: PartialUpdatesMode;
  maxRecordBytes: number;
  maxDepth?: number;
}

export interface BuildTaskResult extends BuildResult {
  wasmHeapBytes: number;
  /** What schema inference decided (new columns, conflicts, overflows), for logs. */
  resolutions: string[];
  /** CPU time of the encoder thread on this task, µs (set by the worker entry). */
  cpuMicros?: number;
}

let decoder: Decoder | undefined;

interface Decoded {
  index: number;
  event: ChangeEvent;
}

export function buildFiles(task: BuildTask): BuildTaskResult {
  decoder ??= new Decoder({
    maxBytes: task.maxRecordBytes,
    ...(task.maxDepth !== undefined && { maxDepth: task.maxDepth }),
  });
  const failures: RecordFailure[] = [];
  const events: Decoded[] = [];
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
  const resolutions: string[] = [];
  // A record whose batch cannot be converted is dead-lettered once, whichever output failed.
  const failed = new Set<number>();
  const outputs = task.outputs.map((output): BuiltOutput => {
    const selected = events.filter((e) => e.index >= output.fromIndex);
    if (output.kind === 'changelog') {
      const built = buildOutput(selected, output, task, resolutions, failures, failed);
      return { kind: 'changelog', ...built };
    }
    const mirror = mirrorBatch(
      selected.map((e) => e.event),
      task.partialUpdates,
    );
    const stats = { duplicates: mirror.duplicates, folded: mirror.folded, skipped: mirror.skipped };
    if (mirror.unsafe !== undefined) {
      return { kind: 'mirror', files: [], deltaSchemaJson: '', mirror: stats, unsafe: mirror.unsafe };
    }
    // Rows of a mirror output are not records: a conversion failure dead-letters the records behind them.
    const indexOf = new Map(selected.map((e) => [e.event.record.offset, e.index]));
    const rows = mirror.events.map((event, i) => ({
      index: indexOf.get(event.record.offset) ?? -1,
      event,
      row: mirror.rows[i],
    }));
    const built = buildOutput(rows, output, task, resolutions, failures, failed, (i) => rows[i]?.row);
    return { kind: 'mirror', ...built, mirror: stats };
  });
  return {
    outputs,
    failures,
    wasmHeapBytes: outputs.some((o) => o.files.length > 0) ? wasmMemory().buffer.byteLength : 0,
    resolutions,
  };
}

/** One output's files: Arrow (conformed to the table when possible), split by partition, Parquet, stats. */
function buildOutput(
  events: readonly Decoded[],
  output: BuildOutputRequest,
  task: BuildTask,
  resolutions: string[],
  failures: RecordFailure[],
  failed: Set<number>,
  rowOf?: (i: number) => Parameters<typeof encodeMirrorRows>[0][number] | undefined,
): { files: BuiltFile[]; deltaSchemaJson: string } {
  if (events.length === 0) return { files: [], deltaSchemaJson: '' };
  const target = output.tableSchemaJson ? arrowSchemaOfDelta(output.tableSchemaJson) : undefined;
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
      for (const { index } of events) {
        if (index < 0 || failed.has(index)) continue;
        failed.add(index);
        failures.push({ index, reason, message });
      }
      return { files: [], deltaSchemaJson: '' };
    }
  }
  resolutions.push(...built.resolutions.map((r) => `${r.kind} ${r.path}: ${r.detail}`));
  const files = splitByPartition(built.table, task.partitionBy).map((group): BuiltFile => {
    const ipc = tableToIPC(group.table, 'stream');
    const stats = computeDeltaStats(group.table);
    const file: BuiltFile = {
      parquet: writeParquetBytes(ipc, task.compression),
      statsJson: statsToJson(stats),
      numRecords: stats.numRecords,
      partitionValues: group.values,
    };
    if (rowOf) {
      const rows = group.runs.flatMap(([start, end]) =>
        Array.from(
          { length: end - start },
          (_, k) => rowOf(start + k) as NonNullable<ReturnType<typeof rowOf>>,
        ),
      );
      file.mirrorRows = encodeMirrorRows(rows);
    }
    return file;
  });
  return { files, deltaSchemaJson: deltaSchemaOf(built.schema, { ensureColumns: task.partitionBy }) };
}

function buildBatch(events: ChangeEvent[], target: Schema | undefined) {
  const builder = new BatchBuilder(target ? { targetSchema: target } : {});
  for (const e of events) builder.append(e);
  return builder.finish();
}
