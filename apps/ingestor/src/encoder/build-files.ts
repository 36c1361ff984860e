/**
 * Worker-side: Kafka records → one Arrow batch per output (conformed to the table's schema when known) → one Parquet
 * file per partition value, with Delta stats. Runs entirely inside an encoder worker thread.
 *
 * A changelog output — the common case — goes through bson-arrow's one-pass decoder (`decodeBatch`): record bytes
 * straight into the columns, with each column's statistics kept while appending, so an unpartitioned file's stats
 * need no second pass. Mirror outputs (and `both`) need the batch's change events to collapse them per key, so they
 * decode through the reference `Decoder` first (build/mirror-rows.ts). Either way Delta's write-side knowledge —
 * stats, the Delta schema of the batch, the table schema as Arrow — comes from `@delta-writer/delta-log/files`.
 * Records that cannot be decoded become failures (for the dead-letter topic); tombstones, heartbeats and transaction
 * markers become nothing.
 */
import {
  BatchBuilder,
  type BatchResult,
  type ChangeEvent,
  DecodeError,
  Decoder,
  decodeBatch,
  type RecordSlab,
} from '@delta-writer/bson-arrow';
import {
  arrowLeafStatistics,
  arrowSchemaOfDelta,
  deltaSchemaOfArrow,
  type LeafStatisticsOf,
  parseSchema,
  serializeSchema,
  statsJson,
} from '@delta-writer/delta-log/files';
import { encodeMirrorRows } from '@delta-writer/proto/mirror';
import { type Schema, tableToIPC } from 'apache-arrow';
import { wasmMemory } from 'parquet-wasm';
import type { ParquetCompression } from '../config/load.js';
import type {
  BuildOutputRequest,
  BuildResult,
  BuiltFile,
  BuiltOutput,
  PartialUpdatesMode,
  RecordFailure,
} from '../pipeline/builder.js';
import { mirrorBatch } from './mirror-rows.js';
import { UNIQUE_COLUMNS, writeParquetBytes } from './parquet.js';
import { splitByPartition } from './partition-split.js';
import { type PackedRecords, unpackRecord } from './slab.js';

export interface BuildTask {
  kind: 'build';
  records: PackedRecords;
  partitionBy: string[];
  compression: ParquetCompression;
  outputs: BuildOutputRequest[];
  partialUpdates: PartialUpdatesMode;
  maxRecordBytes: number;
  maxDepth?: number;
  /** bson-arrow's limits (defaults when unset): named fields per document, distinct columns per batch. */
  maxDocumentFields?: number;
  maxBatchColumns?: number;
}

export interface BuildTaskResult extends BuildResult {
  wasmHeapBytes: number;
  /** What schema inference decided (new columns, conflicts, overflows), for logs. */
  resolutions: string[];
  /** Records the one-pass decoder took, and records decoded by the reference decoder. */
  fastRecords: number;
  referenceRecords: number;
  /** CPU time of the encoder thread on this task, µs (set by the worker entry). */
  cpuMicros?: number;
}

/** The worker's decoder (it learns each topic's connector), made again only if a task brings other limits. */
let decoder: { decoder: Decoder; limits: string } | undefined;

interface Decoded {
  index: number;
  event: ChangeEvent;
}

export function buildFiles(task: BuildTask): BuildTaskResult {
  const limits = recordLimits(task);
  const key = JSON.stringify(limits);
  if (decoder?.limits !== key) decoder = { decoder: new Decoder(limits), limits: key };
  const [only] = task.outputs;
  const result =
    only && task.outputs.length === 1 && only.kind === 'changelog'
      ? changelog(task, only, decoder.decoder)
      : undefined;
  const built = result ?? withEvents(task, decoder.decoder);
  return {
    ...built,
    wasmHeapBytes: built.outputs.some((o) => o.files.length > 0) ? wasmMemory().buffer.byteLength : 0,
  };
}

type Built = Omit<BuildTaskResult, 'wasmHeapBytes'>;

/** The task's per-record limits, as the decoders take them (bson-arrow's defaults for those unset). */
function recordLimits(task: BuildTask) {
  return {
    maxBytes: task.maxRecordBytes,
    ...(task.maxDepth !== undefined && { maxDepth: task.maxDepth }),
    ...(task.maxDocumentFields !== undefined && { maxDocumentFields: task.maxDocumentFields }),
  };
}

/**
 * A changelog output through the one-pass decoder; undefined when the batch cannot be built that way at all (the
 * reference route then decides which records fail).
 */
function changelog(task: BuildTask, output: BuildOutputRequest, dec: Decoder): Built | undefined {
  const slab: RecordSlab = {
    topic: task.records.topic,
    partition: task.records.partition,
    count: task.records.count,
    bytes: task.records.arena,
    bounds: task.records.bounds,
    offsets: task.records.offsets,
    timestamps: task.records.timestamps,
  };
  const limits = {
    ...recordLimits(task),
    ...(task.maxBatchColumns !== undefined && { maxColumns: task.maxBatchColumns }),
  };
  const target = tableArrowSchema(output.tableSchemaJson);
  let decoded: ReturnType<typeof decodeBatch>;
  try {
    decoded = decodeBatch(slab, { ...limits, from: output.fromIndex, targetSchema: target ?? null }, dec);
  } catch {
    if (!target) return undefined;
    try {
      decoded = decodeBatch(slab, { ...limits, from: output.fromIndex }, dec); // the committer merges or refuses
    } catch {
      return undefined;
    }
  }
  const resolutions = decoded.resolutions.map((r) => `${r.kind} ${r.path}: ${r.detail}`);
  const files = decoded.rows === 0 ? [] : writeFiles(decoded, task, output);
  return {
    outputs: [
      {
        kind: 'changelog',
        files,
        deltaSchemaJson: files.length === 0 ? '' : deltaSchemaJson(decoded.schema, task.partitionBy),
      },
    ],
    failures: decoded.failures,
    resolutions,
    fastRecords: decoded.fastRecords,
    referenceRecords: decoded.referenceRecords,
  };
}

/** Every output from the batch's change events (mirror outputs need them, and a batch the fast route refused). */
function withEvents(task: BuildTask, dec: Decoder): Built {
  const failures: RecordFailure[] = [];
  const events: Decoded[] = [];
  for (let index = 0; index < task.records.count; index++) {
    const r = unpackRecord(task.records, index);
    try {
      const decoded = dec.decode(r);
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
  return { outputs, failures, resolutions, fastRecords: 0, referenceRecords: task.records.count };
}

/** One output's files from change events: Arrow (conformed to the table when possible), split, Parquet, stats. */
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
  const target = tableArrowSchema(output.tableSchemaJson);
  let built: ReturnType<typeof buildBatch>;
  try {
    built = buildBatch(
      events.map((e) => e.event),
      target,
      task.maxBatchColumns,
    );
  } catch (first) {
    try {
      if (!target) throw first;
      built = buildBatch(
        events.map((e) => e.event),
        undefined,
        task.maxBatchColumns,
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
  // Rows refused one by one (too many columns for the batch): their records are dead-lettered, the rest written.
  for (const { at, error } of built.refused) {
    const index = (events[at] as Decoded).index;
    if (index < 0 || failed.has(index)) continue;
    failed.add(index);
    failures.push({ index, reason: error.reason, message: error.message });
  }
  if (built.rows === 0) return { files: [], deltaSchemaJson: '' };
  resolutions.push(...built.resolutions.map((r) => `${r.kind} ${r.path}: ${r.detail}`));
  // Table row i is the i-th row the batch kept (refused rows are not in the table).
  const files = writeFiles(built, task, output, rowOf && ((i) => rowOf(built.kept[i] as number)));
  return { files, deltaSchemaJson: deltaSchemaJson(built.schema, task.partitionBy) };
}

/**
 * A batch's data files: one per partition value, each Parquet with its `add.stats`. The stats come from the leaf
 * statistics the builders kept when one file holds every row of the batch, and from the file's Arrow data when the
 * batch is split by partition values.
 */
function writeFiles(
  built: BatchResult,
  task: BuildTask,
  output: BuildOutputRequest,
  rowOf?: (i: number) => Parameters<typeof encodeMirrorRows>[0][number] | undefined,
): BuiltFile[] {
  const groups = splitByPartition(built.table, task.partitionBy);
  const whole = groups.length === 1;
  return groups.map((group): BuiltFile => {
    const rows = group.table.numRows;
    const leaves: LeafStatisticsOf = whole ? built.statistics : arrowLeafStatistics(group.table);
    const file: BuiltFile = {
      parquet: writeParquetBytes(
        tableToIPC(group.table, 'stream'),
        task.compression,
        UNIQUE_COLUMNS.filter((c) => group.table.schema.fields.some((f) => f.name === c)),
      ),
      statsJson: statsJson(deltaSchemaOfArrow(group.table.schema), rows, leaves, {
        ...(output.statsConfiguration && { configuration: output.statsConfiguration }),
      }),
      numRecords: rows,
      partitionValues: group.values,
    };
    if (rowOf) {
      const mirrorRows = group.runs.flatMap(([start, end]) =>
        Array.from(
          { length: end - start },
          (_, k) => rowOf(start + k) as NonNullable<ReturnType<typeof rowOf>>,
        ),
      );
      file.mirrorRows = encodeMirrorRows(mirrorRows);
    }
    return file;
  });
}

/** The Delta schema of a batch's files (partition columns added when the batch lacks them). */
function deltaSchemaJson(schema: Schema, partitionBy: readonly string[]): string {
  return serializeSchema(deltaSchemaOfArrow(schema, { ensureColumns: partitionBy }));
}

/** The table's schema as Arrow (with bson-arrow's field metadata), or undefined when there is none to conform to. */
function tableArrowSchema(json: string | undefined): Schema | undefined {
  if (!json) return undefined;
  try {
    return arrowSchemaOfDelta(parseSchema(json));
  } catch {
    return undefined; // a type this ingestor does not write: build without conforming
  }
}

/** The batch of `events`; a row bson-arrow refuses on its own (DecodeError) is left out and reported. */
function buildBatch(
  events: ChangeEvent[],
  target: Schema | undefined,
  maxColumns: number | undefined,
): BatchResult & { refused: { at: number; error: DecodeError }[]; kept: number[] } {
  const builder = new BatchBuilder({
    ...(target ? { targetSchema: target } : {}),
    ...(maxColumns !== undefined ? { maxColumns } : {}),
  });
  const refused: { at: number; error: DecodeError }[] = [];
  const kept: number[] = [];
  events.forEach((e, at) => {
    try {
      builder.append(e);
      kept.push(at);
    } catch (error) {
      if (!(error instanceof DecodeError)) throw error;
      refused.push({ at, error });
    }
  });
  return { ...builder.finish(), refused, kept };
}
