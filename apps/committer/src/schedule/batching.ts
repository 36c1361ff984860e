/**
 * Group-commit batching as a pure function: given one table's queue, the limits and the time, how many manifests to
 * take now, or until when to wait for more. A batch is due when it is full (by manifests or files) or its oldest
 * manifest has waited `maxWaitMs`; it takes manifests from the head in order, at least one even if that one alone
 * exceeds the file limit.
 */
export interface BatchLimits {
  readonly maxWaitMs: number;
  readonly maxManifests: number;
  readonly maxFiles: number;
}

export interface Queued {
  readonly enqueuedAt: number;
  readonly files: number;
}

export type BatchDecision =
  | { readonly take: number }
  | { readonly waitUntil: number }
  | { readonly idle: true };

/** How many head items fit in one batch. */
export function batchSize(queue: readonly Queued[], limits: BatchLimits): number {
  let files = 0;
  let n = 0;
  for (const item of queue) {
    if (n >= limits.maxManifests) break;
    if (n > 0 && files + item.files > limits.maxFiles) break;
    files += item.files;
    n++;
  }
  return n;
}

/** `flush` ignores the wait (shutdown, or a drained table). */
export function nextBatch(
  queue: readonly Queued[],
  limits: BatchLimits,
  now: number,
  flush = false,
): BatchDecision {
  const head = queue[0];
  if (!head) return { idle: true };
  const size = batchSize(queue, limits);
  const full = size < queue.length || size >= limits.maxManifests;
  const dueAt = head.enqueuedAt + limits.maxWaitMs;
  if (flush || full || now >= dueAt) return { take: size };
  return { waitUntil: dueAt };
}
