/** Giving V8's pooled pages back: the resident set drops after a burst of garbage, and no `gc` global appears. */
import { describe, expect, it } from 'vitest';
import { releaseMemory, startMemoryRelease } from '../src/index.js';

const MiB = 2 ** 20;

/** ~300 MiB of short-lived objects: the pages a collection frees stay in V8's pool. */
function burst(): number {
  let kept: Array<{ n: number; s: string }> = [];
  for (let i = 0; i < 3_000_000; i++) kept.push({ n: i, s: `row-${i}` });
  const n = kept.length;
  kept = [];
  return n + kept.length;
}

describe('memory release', () => {
  it('returns the pages a burst left in the pool, and exposes no gc function', () => {
    expect(burst()).toBe(3_000_000);
    const result = releaseMemory();
    expect(result).toBeDefined();
    if (!result) return;
    expect(result.seconds).toBeGreaterThan(0);
    // A regular full collection gives back ~70 MiB of this (the large objects it unmaps); the pooled pages stay.
    // Other test files' threads share the process, so the bound is well under the ~350 MiB measured alone.
    expect(result.rssBeforeBytes - result.rssAfterBytes).toBeGreaterThan(160 * MiB);
    expect((globalThis as { gc?: unknown }).gc).toBeUndefined();
  });

  it('runs on its interval and reports each release; 0 turns it off', async () => {
    const heard: number[] = [];
    const off = startMemoryRelease({ intervalMs: 0, onRelease: (r) => heard.push(r.seconds) });
    const on = startMemoryRelease({ intervalMs: 20, onRelease: (r) => heard.push(r.seconds) });
    await new Promise((resolve) => setTimeout(resolve, 150));
    on.stop();
    off.stop();
    const count = heard.length;
    expect(count).toBeGreaterThanOrEqual(2);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(heard.length).toBe(count);
  });
});
