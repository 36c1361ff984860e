/**
 * Gives the pages V8 keeps for later back to the operating system, on a timer.
 *
 * V8 does not unmap the heap pages a collection frees: it pools them for the next allocation and returns the pool
 * only at a memory-reducing collection, which it starts by itself when the isolate is idle. A service under steady
 * load never is, so its resident set stays at the highest its heap ever reached, and climbs with every new high:
 * in the 2,000 events/s soak the leading committer held ~520 MiB of V8 pages for ~250 MiB of committed heap, and
 * the gap grew for the whole run (issue 20, e2e/results/2026-12-07.md). A last-resort collection — the one V8
 * runs on a low-memory notification — empties the pool; it costs one pause of the thread (~0.25 s for 185 MiB of
 * live objects on the development machine), so it runs every few minutes, not after every allocation burst.
 *
 * Node has no API for that collection; its `gc` function takes the option once `--expose-gc` is set, and setting the
 * flag at run time only affects contexts created afterwards, so the function is taken from a new context and the
 * flag is cleared again: nothing else in the process sees a `gc` global.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

type GcFunction = (options: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void;

/** What one release did: its pause and the process's resident set around it. */
export interface MemoryReleaseResult {
  readonly seconds: number;
  readonly rssBeforeBytes: number;
  readonly rssAfterBytes: number;
}

let gcFunction: GcFunction | null | undefined;

function lastResortGc(): GcFunction | null {
  if (gcFunction !== undefined) return gcFunction;
  try {
    setFlagsFromString('--expose-gc');
    const found: unknown = runInNewContext('typeof gc === "function" ? gc : undefined');
    gcFunction = typeof found === 'function' ? (found as GcFunction) : null;
  } catch {
    gcFunction = null;
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
  return gcFunction;
}

/**
 * One memory-reducing collection of the calling thread's V8 heap (each worker thread has its own heap and pool),
 * or undefined when the runtime refuses one.
 */
export function releaseMemory(): MemoryReleaseResult | undefined {
  const gc = lastResortGc();
  if (!gc) return undefined;
  const rssBeforeBytes = process.memoryUsage.rss();
  const started = process.hrtime.bigint();
  gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { seconds, rssBeforeBytes, rssAfterBytes: process.memoryUsage.rss() };
}

export interface MemoryReleaseOptions {
  /** Between two releases; 0 turns them off. */
  readonly intervalMs: number;
  /** Hears each release (the app's metrics and logs). */
  readonly onRelease?: (result: MemoryReleaseResult) => void;
  /** Hears that the runtime refused the first one: the timer stops. */
  readonly onUnavailable?: () => void;
}

/** {@link releaseMemory} every `intervalMs` on the calling thread, until `stop`. The timer keeps nothing alive. */
export function startMemoryRelease(options: MemoryReleaseOptions): { stop(): void } {
  if (options.intervalMs <= 0) return { stop: () => undefined };
  const timer = setInterval(() => {
    const result = releaseMemory();
    if (result) {
      options.onRelease?.(result);
    } else {
      clearInterval(timer);
      options.onUnavailable?.();
    }
  }, options.intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
