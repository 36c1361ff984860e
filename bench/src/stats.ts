/** Small numeric helpers of the report: percentiles, rates and ratios, all pure. */

/**
 * The p-th percentile (0–100) by the nearest-rank method: the smallest value with at least p % of the values at or
 * below it. Nearest rank never invents a value that was not measured, which is what a latency report should show.
 */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

/** Events per second, rounded to whole events (the report's unit). */
export function rate(events: number, ms: number): number {
  return ms > 0 ? Math.round((events * 1000) / ms) : 0;
}

/** `a / b` with two decimals, or `n/a` when the baseline is missing. */
export function ratio(a: number | undefined, b: number | undefined): string {
  if (a === undefined || b === undefined || !(b > 0)) return 'n/a';
  return `${(a / b).toFixed(2)}×`;
}
