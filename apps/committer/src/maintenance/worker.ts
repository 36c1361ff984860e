/**
 * The maintenance worker thread: the CPU-heavy parts of maintenance (Parquet decoding and encoding in
 * parquet-wasm) run here so the main thread keeps answering manifests and renewing the lease. It reads from
 * storage freely; the only thing it writes is a compaction's output data file, which is invisible until the main
 * thread commits it (a deposed leader's output is an orphan that vacuum removes). Checkpoints come back as bytes
 * and the main thread writes them, fenced.
 */

import {
  type AddFile,
  type BuiltCheckpoint,
  buildCheckpoint,
  type Metadata,
  type Protocol,
  Snapshot,
  writeDataFile,
} from '@delta-writer/delta-log';
import * as A from 'apache-arrow';
import { Piscina } from 'piscina';
import { createS3Storage, type StorageSettings } from '../delta/s3.js';
import {
  type CompactMirrorOutput,
  type CompactMirrorTask,
  compactMirror,
  type MirrorTombstonesOutput,
  type MirrorTombstonesTask,
  mirrorTombstones,
} from './mirror-worker.js';

export interface CheckpointTask {
  readonly kind: 'checkpoint';
  readonly tablePath: string;
  readonly version: number;
}

/** The encoded checkpoint; the main thread writes it through the fenced storage (`putCheckpoint`). */
export type CheckpointOutput = BuiltCheckpoint;

export interface CompactTask {
  readonly kind: 'compact';
  readonly tablePath: string;
  readonly version: number;
  readonly protocol: Protocol;
  readonly metadata: Metadata;
  readonly files: readonly AddFile[];
}

export interface CompactOutput {
  /** The new file's add action (dataChange false), already written to storage. */
  readonly add: AddFile;
  readonly rows: number;
}

export type MaintenanceTask = CheckpointTask | CompactTask | MirrorTombstonesTask | CompactMirrorTask;

const storage = createS3Storage((Piscina.workerData as { storage: StorageSettings }).storage);

export default async function run(
  task: MaintenanceTask,
): Promise<CheckpointOutput | CompactOutput | MirrorTombstonesOutput | CompactMirrorOutput> {
  switch (task.kind) {
    case 'checkpoint':
      return checkpoint(task);
    case 'compact':
      return compact(task);
    case 'mirrorTombstones':
      return mirrorTombstones(storage, task);
    case 'compactMirror':
      return compactMirror(storage, task);
  }
}

async function checkpoint(task: CheckpointTask): Promise<CheckpointOutput> {
  return buildCheckpoint(await Snapshot.load(storage, task.tablePath, { version: task.version }));
}

async function compact(task: CompactTask): Promise<CompactOutput> {
  // The files to read are given; only the table's schema and partitioning are needed to read and write them.
  const snapshot = Snapshot.fromState(storage, task.tablePath, task);
  const scan = snapshot.scan();
  const files = scan.filesOf(task.files);
  const batches: A.RecordBatch[] = [];
  for (const file of files) {
    for (const batch of await scan.readFile(file)) if (batch.numRows > 0) batches.push(batch);
  }
  const table = new A.Table(scan.arrowSchema, batches);
  const add = await writeDataFile(snapshot, table, { partitionValues: files[0]?.partitionValues ?? {} });
  return { add: { ...add, dataChange: false }, rows: table.numRows };
}
