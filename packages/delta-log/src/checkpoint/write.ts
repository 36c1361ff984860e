/**
 * Writing classic checkpoints (`<v>.checkpoint.parquet`) in the schema Spark writes and reads: one row per
 * action, each action a nullable struct column, maps in the `key_value` layout with required keys, every
 * field optional. Stats are written as JSON (`stats`); `_last_checkpoint` gets the protocol checksum.
 * With the v2Checkpoint feature the classic-named file is a V2 checkpoint (it carries `checkpointMetadata`).
 */
import * as A from 'apache-arrow';
import type { Action } from '../actions.js';
import { assertWritable, readerFeatures, writerFeatures } from '../features.js';
import { serializeLastCheckpoint } from '../log/last-checkpoint.js';
import { classicCheckpointFileName, joinPath, LAST_CHECKPOINT, LOG_DIR } from '../log/paths.js';
import { protectsNothing } from '../log/replay.js';
import { writeParquet } from '../parquet.js';
import type { Snapshot } from '../snapshot.js';
import type { Storage } from '../storage/storage.js';

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

/** Arrow builders want Maps for map columns and bigints for int64: convert one action body accordingly. */
function toBuilderValue(value: unknown, type: A.DataType): unknown {
  if (value === undefined || value === null) return null;
  if (A.DataType.isStruct(type)) {
    const o: Record<string, unknown> = {};
    for (const child of type.children)
      o[child.name] = toBuilderValue((value as Record<string, unknown>)[child.name], child.type);
    return o;
  }
  if (A.DataType.isMap(type)) return new Map(Object.entries(value as Record<string, unknown>));
  if (A.DataType.isInt(type) && type.bitWidth === 64) return BigInt(value as number);
  return value;
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
 * The actions a checkpoint of `snapshot` holds: reconciled state, and the tombstones still inside their retention
 * that protect a file (`protectsNothing`).
 */
export function checkpointActions(snapshot: Snapshot, now = Date.now()): Action[] {
  const retention =
    parseInterval(snapshot.configuration['delta.deletedFileRetentionDuration']) ?? 7 * 86_400_000;
  const v2 = hasV2(snapshot);
  const out: Action[] = [{ protocol: snapshot.protocol }, { metaData: snapshot.metadata }];
  if (v2) out.push({ checkpointMetadata: { version: snapshot.version } });
  for (const txn of snapshot.state.txns.values()) out.push({ txn });
  for (const d of snapshot.state.domains.values()) if (!d.removed) out.push({ domainMetadata: d });
  for (const add of snapshot.state.files.values()) out.push({ add });
  const files = snapshot.state.files;
  for (const remove of snapshot.tombstonesFor('a checkpoint')) {
    // expired, or one that protects nothing (a table's log from before replay dropped those, or another writer's)
    if ((remove.deletionTimestamp ?? 0) <= now - retention) continue;
    if (protectsNothing(remove, files.byPathOf(remove.path) !== undefined)) continue;
    out.push({ remove });
  }
  return out;
}

function hasV2(snapshot: Snapshot): boolean {
  return (
    readerFeatures(snapshot.protocol).includes('v2Checkpoint') ||
    writerFeatures(snapshot.protocol).includes('v2Checkpoint')
  );
}

/** Encodes checkpoint actions as Parquet bytes. */
export function encodeCheckpoint(actions: readonly Action[], v2: boolean): Uint8Array {
  const schema = checkpointSchema(v2);
  const builders = schema.fields.map((field) =>
    A.makeBuilder({ type: field.type, nullValues: [null, undefined] }),
  );
  for (const action of actions) {
    schema.fields.forEach((field, i) => {
      const body = (action as Record<string, unknown>)[field.name];
      (builders[i] as A.Builder).append(body === undefined ? null : toBuilderValue(body, field.type));
    });
  }
  const children = builders.map((b) => b.finish().flush());
  const data = A.makeData({
    type: new A.Struct(schema.fields),
    length: actions.length,
    nullCount: 0,
    children,
  });
  const table = new A.Table(schema, [new A.RecordBatch(schema, data)]);
  return writeParquet(table, { compression: 'snappy' });
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
 * `v2Checkpoint`) without writing anything. Throws `UnsupportedFeatureError` when this library may not write the
 * table.
 */
export function buildCheckpoint(snapshot: Snapshot, options: CheckpointOptions = {}): BuiltCheckpoint {
  assertWritable(snapshot.protocol, snapshot.metadata, snapshot.schema);
  const now = (options.now ?? Date.now)();
  const actions = checkpointActions(snapshot, now);
  return {
    version: snapshot.version,
    bytes: encodeCheckpoint(actions, hasV2(snapshot)),
    numActions: actions.length,
    numOfAddFiles: snapshot.state.files.size,
  };
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
export function writeCheckpoint(
  snapshot: Snapshot,
  options: CheckpointOptions = {},
): Promise<CheckpointResult> {
  return putCheckpoint(snapshot.storage, snapshot.tablePath, buildCheckpoint(snapshot, options));
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
