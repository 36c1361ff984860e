/** Exponential backoff with full jitter: spreads the retries of many ingestors after a committer failover. */
export interface Backoff {
  readonly initialMs: number;
  readonly maxMs: number;
}

export const DEFAULT_BACKOFF: Backoff = { initialMs: 100, maxMs: 5_000 };

/** Delay before retry number `attempt` (1-based): uniform in [0, min(maxMs, initialMs · 2^(attempt-1))]. */
export function backoffDelay(attempt: number, backoff: Backoff, random: () => number = Math.random): number {
  const ceiling = Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.min(attempt - 1, 30));
  return Math.floor(random() * ceiling);
}
