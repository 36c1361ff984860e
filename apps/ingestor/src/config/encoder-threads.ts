/**
 * How many encoder threads the ingestor runs when ENCODER_THREADS is not set: one per CPU the process may actually
 * use, less one for the event loop (Kafka, uploads, commits) and V8's collector threads — an encoder thread costs ~4×
 * what the event loop does per event, so this keeps both fed — bounded by what the memory lets each thread hold, and
 * never fewer than one.
 *
 * The CPUs are `os.availableParallelism()` (the CPUs the process may be scheduled on) bounded by the cgroup CPU quota
 * (`cpu.max` in cgroup v2, `cpu.cfs_quota_us` / `cpu.cfs_period_us` in v1): a container limited to 2 CPUs on a 64-core
 * node gets one encoder thread, not 63. The memory is the cgroup memory limit (`memory.max`, v1
 * `memory.limit_in_bytes`) or the machine's: each thread needs its heap limit plus a few times a chunk of records
 * beside the records the memory budget holds. The decision is a pure function of those facts (`encoderThreadsFor`);
 * `machineFacts` reads them.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism, totalmem } from 'node:os';

export interface MachineFacts {
  /** `os.availableParallelism()`. */
  availableParallelism: number;
  /** The cgroup CPU quota in CPUs (fractional), or undefined without one. */
  cpuQuota?: number;
  /** The memory the process may use: the cgroup limit, else the machine's. */
  memoryLimitBytes: number;
}

export interface EncoderSettings {
  memoryBudgetBytes: number;
  encoderHeapLimitBytes: number;
  encoderChunkBytes: number;
}

/** What the process holds besides its encoder threads and its records: code, heaps, buffers of the event loop. */
export const BASE_BYTES = 256 * 2 ** 20;
/** What an encoder thread holds beyond its heap: the chunk's columns, its Arrow IPC copy, the Parquet output. */
export const CHUNK_COPIES = 4;

export function encoderThreadsFor(machine: MachineFacts, settings: EncoderSettings): number {
  const quota = machine.cpuQuota === undefined ? Number.POSITIVE_INFINITY : Math.ceil(machine.cpuQuota);
  const cpus = Math.max(1, Math.min(machine.availableParallelism, quota));
  const byCpu = Math.max(1, cpus - 1);
  const perThread = settings.encoderHeapLimitBytes + CHUNK_COPIES * settings.encoderChunkBytes;
  const spare = machine.memoryLimitBytes - BASE_BYTES - settings.memoryBudgetBytes;
  const byMemory = Math.floor(spare / perThread);
  return Math.max(1, Math.min(byCpu, byMemory, 64));
}

/** The CPU quota of a cgroup v2 `cpu.max` (`<quota> <period>` or `max <period>`), in CPUs. */
export function parseCpuMax(text: string): number | undefined {
  const [quota, period] = text.trim().split(/\s+/);
  if (quota === undefined || quota === 'max') return undefined;
  const q = Number(quota);
  const p = Number(period ?? 100_000);
  return q > 0 && p > 0 ? q / p : undefined;
}

/** The CPU quota of cgroup v1 (`cpu.cfs_quota_us`, -1 for none, over `cpu.cfs_period_us`), in CPUs. */
export function parseCfsQuota(quotaText: string, periodText: string): number | undefined {
  const q = Number(quotaText.trim());
  const p = Number(periodText.trim());
  return q > 0 && p > 0 ? q / p : undefined;
}

/** A cgroup memory limit (`max`, or v1's "no limit" of nearly 2^63), or undefined. */
export function parseMemoryLimit(text: string): number | undefined {
  const t = text.trim();
  if (t === 'max') return undefined;
  const n = Number(t);
  return Number.isFinite(n) && n > 0 && n < 2 ** 60 ? n : undefined;
}

const read = (path: string): string | undefined => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
};

/** The facts of this process's machine and cgroup (v2, else v1, else none). */
export function machineFacts(root = '/sys/fs/cgroup'): MachineFacts {
  const v2 = read(`${root}/cpu.max`);
  const v1Quota = read(`${root}/cpu/cpu.cfs_quota_us`) ?? read(`${root}/cpu,cpuacct/cpu.cfs_quota_us`);
  const v1Period = read(`${root}/cpu/cpu.cfs_period_us`) ?? read(`${root}/cpu,cpuacct/cpu.cfs_period_us`);
  const cpuQuota =
    v2 !== undefined
      ? parseCpuMax(v2)
      : v1Quota !== undefined && v1Period !== undefined
        ? parseCfsQuota(v1Quota, v1Period)
        : undefined;
  const memory = read(`${root}/memory.max`) ?? read(`${root}/memory/memory.limit_in_bytes`);
  const limit = memory === undefined ? undefined : parseMemoryLimit(memory);
  return {
    availableParallelism: availableParallelism(),
    ...(cpuQuota !== undefined && { cpuQuota }),
    memoryLimitBytes: Math.min(limit ?? Number.POSITIVE_INFINITY, totalmem()),
  };
}
