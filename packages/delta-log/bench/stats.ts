/**
 * Summaries that stay meaningful on a shared, loaded machine: the best of N (what the code costs when it gets
 * the CPU), the median, and the spread, plus paired ratios of interleaved rounds (both engines measured
 * back-to-back, so a load spike hits both sides of one pair rather than one engine's whole series).
 */

export interface Sample {
  /** Wall-clock milliseconds. */
  wall: number;
  /** CPU milliseconds of the measuring process (user + system, all threads). */
  cpu: number;
}

export interface Summary {
  min: number;
  p25: number;
  median: number;
  p75: number;
  max: number;
}

export function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return (s[lo] as number) + ((s[hi] as number) - (s[lo] as number)) * (pos - lo);
}

export function summarize(xs: readonly number[]): Summary {
  return {
    min: quantile(xs, 0),
    p25: quantile(xs, 0.25),
    median: quantile(xs, 0.5),
    p75: quantile(xs, 0.75),
    max: quantile(xs, 1),
  };
}

export function fmt(ms: number): string {
  return ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2);
}

/** `median [p25–p75] min` in ms. */
export function describe(xs: readonly number[]): string {
  const s = summarize(xs);
  return `${fmt(s.median)} ms [${fmt(s.p25)}–${fmt(s.p75)}] best ${fmt(s.min)}`;
}

/** Measures `fn` once: wall and process CPU time. */
export async function sample<T>(fn: () => Promise<T>): Promise<{ sample: Sample; value: T }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const value = await fn();
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { sample: { wall, cpu: (c.user + c.system) / 1000 }, value };
}
