/** Polls `check` until it returns a value other than undefined; bounded, so a stuck pipeline fails with what it last saw. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  { timeoutMs = 120_000, intervalMs = 250 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() >= deadline) break;
    await sleep(intervalMs);
  }
  const why = last instanceof Error ? last.message : last === undefined ? '' : String(last);
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why ? `: ${why}` : ''}`);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A uniformly random whole number of milliseconds in [min, max]: fault timing differs from run to run. */
export function randomMs(min: number, max: number, random: () => number = Math.random): number {
  return Math.round(min + (max - min) * random());
}
