/**
 * Writing classic checkpoints (`<v>.checkpoint.parquet`) in the schema Spark writes and reads: one row per
 * action, each action a nullable struct column, maps in the `key_value` layout with required keys, every
 * field optional. Stats are written as JSON (`stats`); `_last_checkpoint` gets the protocol checksum.
 * With the v2Checkpoint feature the classic-named file is a V2 checkpoint (it carries `checkpointMetadata`).
 */
import * as A from 'apache-arrow';
import type { Action, RemoveFile } from '../actions.js';
import { assertWritable, readerFeatures, writerFeatures } from '../features.js';
import { serializeLastCheckpoint } from '../log/last-checkpoint.js';
import { classicCheckpointFileName, joinPath, LAST_CHECKPOINT, LOG_DIR } from '../log/paths.js';
import { protectsNothing } from '../log/replay.js';
import { writeParquetChunks } from '../parquet.js';
import type { Snapshot } from '../snapshot.js';
import type { Storage } from '../storage/storage.js';
import { dataFromValues } from '../util/arrow-columns.js';

const f = (name: string, type: A.DataType) => new A.Field(name, type, true);
const str = () => new A.Utf8();
const i64 = () => new A.Int64();
const i32 = () => new A.Int32();
const bool = () => new A.Bool();
const strMap = () =>
  new A.Map_(
    new A.Field(
      'key_value',
      new A.Struct([new A.Field('key', new A.Utf8(), false), new A.Field('value', new A.Utf8(), true)]),
      false,
    ) as never,
  );
const strList = () => new A.List(new A.Field('element', new A.Utf8(), true));
const dv = () =>
  new A.Struct([
    f('storageType', str()),
    f('pathOrInlineDv', str()),
    f('offset', i32()),
    f('sizeInBytes', i32()),
    f('cardinality', i64()),
    f('maxRowIndex', i64()),
  ]);

/** The checkpoint's Arrow schema (V1 columns, plus `checkpointMetadata` for V2). */
export function checkpointSchema(v2: boolean): A.Schema {
  const fields = [
    f('txn', new A.Struct([f('appId', str()), f('version', i64()), f('lastUpdated', i64())])),
    f(
      'add',
      new A.Struct([
        f('path', str()),
        f('partitionValues', strMap()),
        f('size', i64()),
        f('modificationTime', i64()),
        f('dataChange', bool()),
        f('tags', strMap()),
        f('deletionVector', dv()),
        f('baseRowId', i64()),
        f('defaultRowCommitVersion', i64()),
        f('clusteringProvider', str()),
        f('stats', str()),
      ]),
    ),
    f(
      'remove',
      new A.Struct([
        f('path', str()),
        f('deletionTimestamp', i64()),
        f('dataChange', bool()),
        f('extendedFileMetadata', bool()),
        f('partitionValues', strMap()),
        f('size', i64()),
        f('deletionVector', dv()),
        f('baseRowId', i64()),
        f('defaultRowCommitVersion', i64()),
      ]),
    ),
    f(
      'metaData',
      new A.Struct([
        f('id', str()),
        f('name', str()),
        f('description', str()),
        f('format', new A.Struct([f('provider', str()), f('options', strMap())])),
        f('schemaString', str()),
        f('partitionColumns', strList()),
        f('configuration', strMap()),
        f('createdTime', i64()),
      ]),
    ),
    f(
      'protocol',
      new A.Struct([
        f('minReaderVersion', i32()),
        f('minWriterVersion', i32()),
        f('readerFeatures', strList()),
        f('writerFeatures', strList()),
      ]),
    ),
    f('domainMetadata', new A.Struct([f('domain', str()), f('configuration', str()), f('removed', bool())])),
  ];
  if (v2) fields.push(f('checkpointMetadata', new A.Struct([f('version', i64()), f('tags', strMap())])));
  return new A.Schema(fields);
}

/** Where a checkpoint was written and what it holds. */
export interface CheckpointResult {
  version: number;
  /** Storage key of the checkpoint file. */
  path: string;
  sizeInBytes: number;
  /** Rows (actions) in the checkpoint. */
  numActions: number;
  numOfAddFiles: number;
}

/** Options of {@link buildCheckpoint} and {@link writeCheckpoint}. */
export interface CheckpointOptions {
  now?: () => number;
}

/**
 * The actions a checkpoint of `snapshot` holds, in order: protocol, metadata, txns, domain metadata, live files,
 * and the tombstones still inside their retention that protect a file (`protectsNothing`). Lazily: a table's
 * tombstones (a million after a week of a compacted streaming table) are made into objects a chunk at a time.
 */
export function checkpointActions(snapshot: Snapshot, now = Date.now()): Generator<Action> {
  // asked before the first action, so a snapshot without tombstones fails here and not inside the encoder
  const tombstones = snapshot.tombstonesFor('a checkpoint');
  return reconciled(snapshot, tombstones, now);
}

function* reconciled(snapshot: Snapshot, tombstones: Iterable<RemoveFile>, now: number): Generator<Action> {
  const retention =
    parseInterval(snapshot.configuration['delta.deletedFileRetentionDuration']) ?? 7 * 86_400_000;
  yield { protocol: snapshot.protocol };
  yield { metaData: snapshot.metadata };
  if (hasV2(snapshot)) yield { checkpointMetadata: { version: snapshot.version } };
  for (const txn of snapshot.state.txns.values()) yield { txn };
  for (const d of snapshot.state.domains.values()) if (!d.removed) yield { domainMetadata: d };
  for (const add of snapshot.state.files.values()) yield { add };
  const files = snapshot.state.files;
  for (const remove of tombstones) {
    // expired, or one that protects nothing (a table's log from before replay dropped those, or another writer's)
    if ((remove.deletionTimestamp ?? 0) <= now - retention) continue;
    if (protectsNothing(remove, files.byPathOf(remove.path) !== undefined)) continue;
    yield { remove };
  }
}

function hasV2(snapshot: Snapshot): boolean {
  return (
    readerFeatures(snapshot.protocol).includes('v2Checkpoint') ||
    writerFeatures(snapshot.protocol).includes('v2Checkpoint')
  );
}

/**
 * Actions per chunk of a checkpoint's encoding, and per row group. A chunk's actions, its Arrow data and one row
 * group in parquet-wasm's heap are what encoding holds at a time, whatever the checkpoint's size: 100k tombstones
 * in one piece took ~300 MiB of WebAssembly memory, which never shrinks (bench/checkpoint.ts).
 */
export const CHECKPOINT_CHUNK_ROWS = 16_384;
const CHECKPOINT_ROW_GROUP_ROWS = 65_536;

/** Encodes checkpoint actions as Parquet bytes, a chunk at a time (`chunkRows`, default {@link CHECKPOINT_CHUNK_ROWS}). */
export async function encodeCheckpoint(
  actions: Iterable<Action>,
  v2: boolean,
  chunkRows = CHECKPOINT_CHUNK_ROWS,
): Promise<{ bytes: Uint8Array; numActions: number }> {
  const schema = checkpointSchema(v2);
  const source = actions[Symbol.iterator]();
  let numActions = 0;
  const nextChunk = (): A.Table | undefined => {
    const chunk: Action[] = [];
    for (let r = source.next(); !r.done; r = source.next()) {
      chunk.push(r.value);
      if (chunk.length >= chunkRows) break;
    }
    if (chunk.length === 0 && numActions > 0) return undefined;
    numActions += chunk.length;
    const children = schema.fields.map((field) =>
      dataFromValues(
        field.type,
        chunk.map((action) => (action as Record<string, unknown>)[field.name]),
      ),
    );
    const data = A.makeData({
      type: new A.Struct(schema.fields),
      length: chunk.length,
      nullCount: 0,
      children,
    });
    return new A.Table(schema, [new A.RecordBatch(schema, data)]);
  };
  const bytes = await writeParquetChunks(nextChunk, {
    compression: 'snappy',
    maxRowGroupSize: CHECKPOINT_ROW_GROUP_ROWS,
  });
  return { bytes, numActions };
}

/**
 * A checkpoint encoded but not yet written: plain data (bytes and counts), so it can be built where CPU is cheap
 * (a worker thread) and written where writes are allowed (e.g. through a fenced storage) with {@link putCheckpoint}.
 */
export interface BuiltCheckpoint {
  /** The table version the checkpoint holds. */
  readonly version: number;
  /** The Parquet file. */
  readonly bytes: Uint8Array;
  /** Rows (actions) in the checkpoint. */
  readonly numActions: number;
  readonly numOfAddFiles: number;
}

/**
 * Encodes a classic checkpoint of `snapshot` (a V2 checkpoint under the classic name when the table has
 * `v2Checkpoint`) without writing anything. Rejects with `UnsupportedFeatureError` when this library may not write the
 * table.
 */
export async function buildCheckpoint(
  snapshot: Snapshot,
  options: CheckpointOptions = {},
): Promise<BuiltCheckpoint> {
  assertWritable(snapshot.protocol, snapshot.metadata, snapshot.schema);
  const now = (options.now ?? Date.now)();
  const { bytes, numActions } = await encodeCheckpoint(checkpointActions(snapshot, now), hasV2(snapshot));
  return { version: snapshot.version, bytes, numActions, numOfAddFiles: snapshot.state.files.size };
}

/**
 * Writes a built checkpoint into the table at `tablePath` of `storage` — `<version>.checkpoint.parquet`, then
 * `_last_checkpoint` (with its checksum) pointing at it — and returns where it went.
 */
export async function putCheckpoint(
  storage: Storage,
  tablePath: string,
  checkpoint: BuiltCheckpoint,
): Promise<CheckpointResult> {
  const path = joinPath(tablePath, LOG_DIR, classicCheckpointFileName(checkpoint.version));
  await storage.put(path, checkpoint.bytes);
  const hint = serializeLastCheckpoint({
    version: checkpoint.version,
    size: checkpoint.numActions,
    sizeInBytes: checkpoint.bytes.byteLength,
    numOfAddFiles: checkpoint.numOfAddFiles,
  });
  await storage.put(joinPath(tablePath, LOG_DIR, LAST_CHECKPOINT), new TextEncoder().encode(hint));
  return {
    version: checkpoint.version,
    path,
    sizeInBytes: checkpoint.bytes.byteLength,
    numActions: checkpoint.numActions,
    numOfAddFiles: checkpoint.numOfAddFiles,
  };
}

/** Writes a classic checkpoint for `snapshot` and points `_last_checkpoint` at it. */
export async function writeCheckpoint(
  snapshot: Snapshot,
  options: CheckpointOptions = {},
): Promise<CheckpointResult> {
  return putCheckpoint(snapshot.storage, snapshot.tablePath, await buildCheckpoint(snapshot, options));
}

const UNITS: Record<string, number> = {
  millisecond: 1,
  second: 1000,
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
  week: 7 * 86_400_000,
};

/** Parses Spark interval strings used in table properties: `interval 7 days`, `30 days`, `168 hours`. */
export function parseInterval(s: string | undefined): number | undefined {
  if (!s) return undefined;
  const m = /^\s*(?:interval\s+)?(\d+)\s*(millisecond|second|minute|hour|day|week)s?\s*$/i.exec(s);
  if (!m) return undefined;
  return Number(m[1]) * (UNITS[(m[2] as string).toLowerCase()] as number);
}
