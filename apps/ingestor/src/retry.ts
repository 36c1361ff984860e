/** Exponential backoff with full jitter, abortable. Used around S3 uploads, DLQ writes and committer calls. */
import { setTimeout as sleep } from 'node:timers/promises';

export interface RetryPolicy {
  /** Total attempts; Infinity retries until aborted. */
  attempts: number;
  initialMs: number;
  maxMs: number;
  signal?: AbortSignal;
  /** Errors for which retrying cannot help are rethrown at once. */
  retryable?: (error: unknown) => boolean;
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
}

export function backoffMs(attempt: number, initialMs: number, maxMs: number, random = Math.random): number {
  const cap = Math.min(maxMs, initialMs * 2 ** Math.min(attempt - 1, 30));
  return Math.round(cap * random());
}

export async function retry<T>(
  fn: (attempt: number) => Promise<T>,
  policy: Partial<RetryPolicy> = {},
): Promise<T> {
  const { attempts = 5, initialMs = 100, maxMs = 5_000, signal, retryable = () => true, onRetry } = policy;
  for (let attempt = 1; ; attempt++) {
    signal?.throwIfAborted();
    try {
      return await fn(attempt);
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      if (attempt >= attempts || !retryable(error)) throw error;
      const delay = backoffMs(attempt, initialMs, maxMs);
      onRetry?.(error, attempt, delay);
      // An abort during the pause rejects with a generic AbortError: report the signal's own reason instead.
      await sleep(delay, undefined, signal ? { signal } : undefined).catch((sleepError: unknown) => {
        throw signal?.aborted ? signal.reason : sleepError;
      });
    }
  }
}
