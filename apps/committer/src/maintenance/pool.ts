/**
 * One maintenance worker thread (see worker.ts). A single thread keeps maintenance from competing with commits for
 * the CPU; it exits when idle, which hands parquet-wasm's heap (it only grows) back to the system. A busy leader's
 * thread is never idle — it checkpoints every few seconds — so a compaction (the one task whose heap grows to
 * hundreds of MiB) ends its thread, and the next task starts a new one: in the 2,000 events/s soak the leader held
 * 2.3–2.7 GB from its first compactions on, ~0.9 GB of it in the worker and given back only when the load stopped
 * (e2e/results/2026-12-06.md).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { MemoryReleaseResult } from '@delta-writer/service-kit';
import { Piscina } from 'piscina';
import type { StorageSettings } from '../delta/s3.js';
import { NO_MEMORY, type ThreadMemory, type WithMemory } from '../ops/thread-memory.js';
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

export interface MaintenancePoolOptions {
  /** Hears the worker thread's memory figures after each task, and zeros when a thread has ended (the metrics). */
  onMemory?: (memory: ThreadMemory) => void;
  /**
   * A thread that holds more than this after a task (V8 heap in use + external + WebAssembly heap) ends, and the
   * next task starts a new one (default 256 MiB). Between compactions the thread only checkpoints, and what it
   * holds grows with the tables' checkpoints and with garbage its collector has no reason to collect yet; parquet-wasm's
   * heap never shrinks. Ending the thread hands all of it back.
   */
  maxThreadBytes?: number;
  /**
   * The thread gives V8's pooled heap pages back after a task when this long has passed since it last did (0: never;
   * MEMORY_RELEASE_INTERVAL). A thread that checkpoints every second is never idle, so V8 would keep them.
   */
  memoryReleaseIntervalMs?: number;
  /** Hears each of those releases (the metrics). */
  onRelease?: (release: MemoryReleaseResult) => void;
}

export const DEFAULT_MAX_THREAD_BYTES = 256 * 2 ** 20;

export function createMaintenancePool(
  storage: StorageSettings,
  options: MaintenancePoolOptions = {},
): MaintenancePool {
  const onMemory = options.onMemory ?? (() => undefined);
  const maxThreadBytes = options.maxThreadBytes ?? DEFAULT_MAX_THREAD_BYTES;
  const make = () => {
    const made = new Piscina({
      ...workerEntry(),
      workerData: { storage, memoryReleaseIntervalMs: options.memoryReleaseIntervalMs ?? 0 },
      minThreads: 0,
      maxThreads: 1,
      idleTimeout: 10_000,
      // In submission order: without it piscina moves a task it could not hand to the busy worker to the back.
      stricterFIFO: true,
    });
    // an idle thread exits (idleTimeout): its memory is no longer held
    made.on('workerDestroy', () => onMemory(NO_MEMORY));
    return made;
  };
  let pool = make();
  let closed = false;
  // tasks one after another, in submission order, so that a pool is only ever replaced between two of them
  let last: Promise<unknown> = Promise.resolve();
  const inTurn = <T>(task: () => Promise<T>): Promise<T> => {
    const turn = last.then(task, task);
    last = turn.catch(() => undefined);
    return turn;
  };
  /** One task; then the thread ends when asked to (`end`) or when it holds more than `maxThreadBytes`. */
  const perform = (task: Record<string, unknown>, end: boolean) =>
    inTurn(async () => {
      let memory: ThreadMemory | undefined;
      try {
        const answer = (await pool.run(task)) as WithMemory<unknown>;
        memory = answer.memory;
        onMemory(memory);
        if (answer.release) options.onRelease?.(answer.release);
        return answer.output;
      } finally {
        const holds = memory ? memory.heapUsed + memory.external + memory.wasm : 0;
        if (!closed && (end || holds > maxThreadBytes)) {
          const spent = pool;
          pool = make();
          await spent.destroy();
        }
      }
    });
  const run = <T>(task: Record<string, unknown>) => perform(task, false) as Promise<T>;
  const runAndEnd = <T>(task: Record<string, unknown>) => perform(task, true) as Promise<T>;
  return {
    checkpoint: (task) => run<CheckpointOutput>({ kind: 'checkpoint', ...task }),
    compact: (task) => runAndEnd<CompactOutput>({ kind: 'compact', ...task }),
    mirrorTombstones: (task) => run<MirrorTombstonesOutput>({ kind: 'mirrorTombstones', ...task }),
    compactMirror: (task) => runAndEnd<CompactMirrorOutput>({ kind: 'compactMirror', ...task }),
    // at once, as before: a task in progress or waiting its turn fails (the leadership that wanted it is over)
    close: () => {
      closed = true;
      return pool.destroy();
    },
  };
}
