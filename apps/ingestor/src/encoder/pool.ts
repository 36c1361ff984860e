/**
 * The pool of encoder threads. Encoding a 64 MB batch takes hundreds of milliseconds of CPU; on the main thread that
 * would delay Kafka heartbeats and fetches, so it runs in piscina worker threads and the main thread only awaits.
 *
 * parquet-wasm's WebAssembly heap grows to the largest batch encoded and is never given back. When a worker reports a
 * heap above `maxWasmHeapBytes`, the pool is replaced by a fresh one (the old one finishes its queued tasks and is
 * destroyed), which keeps the process's resident memory bounded.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import type { BuildTask, BuildTaskResult } from './build-files.js';
import type { EncodeResult, EncodeTask } from './parquet.js';
import { transferables } from './slab.js';

export interface EncoderPoolOptions {
  threads: number;
  /** V8 old-generation limit of each worker; a task over it fails with {@link isWorkerOutOfMemory}. */
  maxHeapBytes?: number;
  maxWasmHeapBytes?: number;
  onWorkerError?: (error: unknown) => void;
  /** Called with the heap size each worker reports, for the memory gauge. */
  onWasmHeap?: (bytes: number) => void;
  /** Called when a task finishes: its encoder thread CPU time (µs) and the records each decoder path took. */
  onTaskDone?: (task: { cpuMicros: number; fastRecords: number; referenceRecords: number }) => void;
}

export interface EncoderPool {
  encode(task: EncodeTask): Promise<EncodeResult>;
  build(task: Omit<BuildTask, 'kind'>): Promise<BuildTaskResult>;
  /** Encoded files in flight, for backpressure and metrics. */
  readonly pending: number;
  close(): Promise<void>;
}

/** A task failed because its worker ran out of its heap limit (the worker is replaced; the pool stays usable). */
export function isWorkerOutOfMemory(error: unknown): boolean {
  const e = error as { code?: string; message?: string } | undefined;
  return e?.code === 'ERR_WORKER_OUT_OF_MEMORY' || /out of memory/i.test(e?.message ?? '');
}

/** Under vitest/tsx the sources are TypeScript; the built service runs dist/parquet/worker.js. */
function workerEntry(): { filename: string; execArgv: string[] } {
  const js = fileURLToPath(new URL('./worker.js', import.meta.url));
  if (existsSync(js)) return { filename: js, execArgv: [] };
  return {
    filename: fileURLToPath(new URL('./worker.ts', import.meta.url)),
    // Workspace packages from their sources too (as the tests resolve them): never a stale dist/.
    execArgv: ['--conditions=source', '--import', 'tsx'],
  };
}

/** An encoder thread's young generation: a sixteenth of its heap limit, 4 to 32 MiB. */
export function youngGenerationMb(maxHeapBytes: number): number {
  return Math.max(4, Math.min(32, Math.round(maxHeapBytes / 2 ** 20 / 16)));
}

export function createEncoderPool(options: EncoderPoolOptions): EncoderPool {
  const { threads, maxWasmHeapBytes = 1024 * 1024 * 1024 } = options;
  const entry = workerEntry();
  const spawn = () => {
    const p = new Piscina({
      ...entry,
      minThreads: threads,
      maxThreads: threads,
      idleTimeout: 60_000,
      // Batches commit in the order they were sealed, so a task overtaken in the queue holds back every commit after
      // it. Without this piscina puts a task it could not hand to a busy worker at the back of the queue.
      stricterFIFO: true,
      // A hard heap limit makes V8 collect before the heap grows, instead of keeping what the largest task needed.
      ...(options.maxHeapBytes && {
        resourceLimits: {
          maxOldGenerationSizeMb: Math.ceil(options.maxHeapBytes / 2 ** 20),
          // V8 sizes the young generation from the machine's memory (up to 128 MiB on a large node); the one-pass
          // decoder leaves little garbage, so a small one costs no time and keeps the thread's memory bounded.
          maxYoungGenerationSizeMb: youngGenerationMb(options.maxHeapBytes),
        },
      }),
    });
    // A worker that dies between tasks (e.g. out of memory) is replaced by piscina; without a listener the
    // 'error' event would crash the process.
    p.on('error', (error: unknown) => options.onWorkerError?.(error));
    return p;
  };
  let pool = spawn();
  let pending = 0;

  const recycle = (old: Piscina) => {
    if (old !== pool) return; // already replaced
    pool = spawn();
    // destroy() would abort queued tasks; close() lets them finish first.
    void old.close().catch(() => undefined);
  };

  const run = async <
    R extends { wasmHeapBytes: number; cpuMicros?: number; fastRecords?: number; referenceRecords?: number },
  >(
    task: unknown,
    transferList: ArrayBuffer[],
  ): Promise<R> => {
    const current = pool;
    pending++;
    try {
      const result = (await current.run(task, { transferList })) as R;
      options.onWasmHeap?.(result.wasmHeapBytes);
      options.onTaskDone?.({
        cpuMicros: result.cpuMicros ?? 0,
        fastRecords: result.fastRecords ?? 0,
        referenceRecords: result.referenceRecords ?? 0,
      });
      if (result.wasmHeapBytes > maxWasmHeapBytes) recycle(current);
      return result;
    } finally {
      pending--;
    }
  };

  return {
    encode: (task) => run<EncodeResult>({ kind: 'encode', ...task }, [task.ipc.buffer as ArrayBuffer]),
    build: (task) => run<BuildTaskResult>({ kind: 'build', ...task }, transferables(task.records)),
    get pending() {
      return pending;
    },
    async close() {
      await pool.close();
    },
  };
}
