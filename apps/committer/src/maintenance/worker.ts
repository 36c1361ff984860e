/**
 * The maintenance worker thread: the CPU-heavy parts of maintenance (Parquet decoding and encoding in
 * parquet-wasm) run here so the main thread keeps answering manifests and renewing the lease. It reads from
 * storage freely; the only thing it writes is a compaction's output data file, which is invisible until the main
 * thread commits it (a deposed leader's output is an orphan that vacuum removes). Checkpoints come back as bytes
 * and the main thread writes them, fenced.
 */

import { type BuiltCheckpoint, buildCheckpoint, Snapshot } from '@delta-writer/delta-log';
// the subpath: the thread loads only this module of the kit, not its configuration and logging
import { releaseMemory } from '@delta-writer/service-kit/memory-release';
import { Piscina } from 'piscina';
import { createS3Storage, type StorageSettings } from '../delta/s3.js';
import { threadMemory, type WithMemory } from '../ops/thread-memory.js';
import { type CompactOutput, type CompactTask, compactFiles } from './compact-worker.js';
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

export type { CompactOutput, CompactTask } from './compact-worker.js';

export type MaintenanceTask = CheckpointTask | CompactTask | MirrorTombstonesTask | CompactMirrorTask;

const data = Piscina.workerData as { storage: StorageSettings; memoryReleaseIntervalMs: number };
const storage = createS3Storage(data.storage);
let releasedAt = performance.now();

type MaintenanceOutput = CheckpointOutput | CompactOutput | MirrorTombstonesOutput | CompactMirrorOutput;

/** Every answer carries this thread's memory figures (the committer's metrics show them per thread). */
export default async function run(task: MaintenanceTask): Promise<WithMemory<MaintenanceOutput>> {
  const output = await perform(task);
  const release = releaseDue() ? releaseMemory() : undefined;
  return { output, memory: threadMemory(), ...(release ? { release } : {}) };
}

function releaseDue(): boolean {
  if (data.memoryReleaseIntervalMs <= 0 || performance.now() - releasedAt < data.memoryReleaseIntervalMs) {
    return false;
  }
  releasedAt = performance.now();
  return true;
}

function perform(task: MaintenanceTask): Promise<MaintenanceOutput> {
  switch (task.kind) {
    case 'checkpoint':
      return checkpoint(task);
    case 'compact':
      return compactFiles(storage, task);
    case 'mirrorTombstones':
      return mirrorTombstones(storage, task);
    case 'compactMirror':
      return compactMirror(storage, task);
  }
}

async function checkpoint(task: CheckpointTask): Promise<CheckpointOutput> {
  return buildCheckpoint(await Snapshot.load(storage, task.tablePath, { version: task.version }));
}
