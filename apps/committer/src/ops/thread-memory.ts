/**
 * What one thread of the committer holds: its V8 heap (in use and committed), its external memory (Buffers and Arrow data) and
 * parquet-wasm's WebAssembly heap. The process's resident set is the sum of every thread's and the allocator's;
 * without the per-thread figures a leader whose RSS grows cannot be told apart from one that leaks (issue 20: the
 * main thread's metrics stayed flat while the RSS grew, and the maintenance thread reported nothing).
 */
import { parquetHeapBytes } from '@delta-writer/delta-log';
import type { MemoryReleaseResult } from '@delta-writer/service-kit/memory-release';

export interface ThreadMemory {
  readonly heapUsed: number;
  /** The V8 heap the thread has committed: in use plus free pages V8 keeps for the next allocations. */
  readonly heapTotal: number;
  readonly external: number;
  readonly wasm: number;
}

/** The calling thread's figures (in a worker thread, `process.memoryUsage()` reports that thread's V8 isolate). */
export function threadMemory(): ThreadMemory {
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, wasm: parquetHeapBytes() };
}

/** The figures of a thread that has ended. */
export const NO_MEMORY: ThreadMemory = { heapUsed: 0, heapTotal: 0, external: 0, wasm: 0 };

/** A worker's answer with the figures of the thread that produced it, read after the work was done. */
export interface WithMemory<T> {
  readonly output: T;
  readonly memory: ThreadMemory;
  /** The release of V8's pooled pages the thread ran after this task, if it ran one. */
  readonly release?: MemoryReleaseResult;
}
