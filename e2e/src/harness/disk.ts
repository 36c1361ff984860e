/**
 * Free space before a long run. A soak at 2,000 events/s writes ~7 GB of Kafka logs and table files in 20 min,
 * and a run that hits ENOSPC fails in ways that look like defects of the pipeline (a soak died so at 19 min,
 * e2e/results/2026-12-06.md): better to refuse to start, or to stop a nemesis pass between runs, and say why.
 */
import { existsSync, statfsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** Bytes an unprivileged writer may still use on the filesystem that holds `dir` (or would hold it). */
export function freeBytes(dir: string): number {
  let at = resolve(dir);
  while (!existsSync(at) && dirname(at) !== at) at = dirname(at);
  const s = statfsSync(at);
  return s.bavail * s.bsize;
}

export class NotEnoughSpaceError extends Error {
  override readonly name = 'NotEnoughSpaceError';
}

const gib = (b: number) => `${(b / 2 ** 30).toFixed(1)} GiB`;

/** Throws when the filesystem of `dir` has less than `needBytes` free; `what` says what needs it. */
export function assertFreeSpace(dir: string, needBytes: number, what: string, free = freeBytes(dir)): void {
  if (free < needBytes)
    throw new NotEnoughSpaceError(
      `${what} needs about ${gib(needBytes)} free under ${dir}, and ${gib(free)} is: free some (old stack data under .data/ — e.g. .data/e2e-stack*) or point DW_E2E_STACK_DATA elsewhere`,
    );
}

/** What a soak writes per event, Kafka log and Parquet files together (measured: ~7 GB for 2.4 M events). */
export const SOAK_BYTES_PER_EVENT = 3_000;
/** Kept free on top of an estimate: the services' logs, Spark's scratch, the checks. */
export const HEADROOM_BYTES = 2 * 2 ** 30;
