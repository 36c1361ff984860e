/**
 * One maintenance worker thread (see worker.ts). A single thread keeps maintenance from competing with commits for
 * the CPU; it exits when idle, which hands parquet-wasm's heap (it only grows) back to the system.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import type { StorageSettings } from '../delta/s3.js';
import type {
  CompactMirrorOutput,
  CompactMirrorTask,
  MirrorTombstonesOutput,
  MirrorTombstonesTask,
} from './mirror-worker.js';
import type { CheckpointOutput, CheckpointTask, CompactOutput, CompactTask } from './worker.js';

export interface MaintenancePool {
  checkpoint(task: Omit<CheckpointTask, 'kind'>): Promise<CheckpointOutput>;
  compact(task: Omit<CompactTask, 'kind'>): Promise<CompactOutput>;
  mirrorTombstones(task: Omit<MirrorTombstonesTask, 'kind'>): Promise<MirrorTombstonesOutput>;
  compactMirror(task: Omit<CompactMirrorTask, 'kind'>): Promise<CompactMirrorOutput>;
  close(): Promise<void>;
}

/** The built service runs dist/maintenance/worker.js; under vitest or tsx the sources are TypeScript. */
function workerEntry(): { filename: string; execArgv: string[] } {
  const js = fileURLToPath(new URL('./worker.js', import.meta.url));
  if (existsSync(js)) return { filename: js, execArgv: [] };
  return {
    filename: fileURLToPath(new URL('./worker.ts', import.meta.url)),
    execArgv: ['--conditions=source', '--import', 'tsx'],
  };
}

export function createMaintenancePool(storage: StorageSettings): MaintenancePool {
  const pool = new Piscina({
    ...workerEntry(),
    workerData: { storage },
    minThreads: 0,
    maxThreads: 1,
    idleTimeout: 10_000,
    // In submission order: without it piscina moves a task it could not hand to the busy worker to the back.
    stricterFIFO: true,
  });
  return {
    checkpoint: (task) => pool.run({ kind: 'checkpoint', ...task }) as Promise<CheckpointOutput>,
    compact: (task) => pool.run({ kind: 'compact', ...task }) as Promise<CompactOutput>,
    mirrorTombstones: (task) =>
      pool.run({ kind: 'mirrorTombstones', ...task }) as Promise<MirrorTombstonesOutput>,
    compactMirror: (task) => pool.run({ kind: 'compactMirror', ...task }) as Promise<CompactMirrorOutput>,
    close: () => pool.destroy(),
  };
}
