/**
 * The committer process: configuration from the environment, the real dependencies, {@link startCommitter};
 * SIGTERM/SIGINT stop it gracefully (in-flight commits finish, the lease is released so the standby takes over at
 * once). `wrapTables` lets fault-injection tests run the real process around delayed {@link Tables}.
 */
import { configOrExit, createLogger, onShutdown, startMemoryRelease } from '@delta-writer/service-kit';
import { PutIfAbsentNotEnforcedError, type StorageChecks, startCommitter } from './app.js';
import type { Tables } from './commit/tables.js';
import { loadConfig } from './config/load.js';
import { createDeltaDeps } from './wiring.js';

/** Beyond COMMITTER_SHUTDOWN_TIMEOUT_MS, what a stop still does: the gRPC shutdown (2 s), releasing the lease. */
const SHUTDOWN_GRACE_MS = 5_000;

export interface ProcessOptions {
  readonly wrapTables?: (tables: Tables) => Tables;
  /** Bench only: replaces the storage checks (to measure what they cost in the same run). */
  readonly wrapStorageChecks?: (checks: StorageChecks) => StorageChecks;
}

export async function runCommitterProcess(options: ProcessOptions = {}): Promise<void> {
  const config = configOrExit('committer', () => loadConfig());
  const logger = createLogger({ level: config.logLevel, service: 'committer' });
  const deps = createDeltaDeps(config, logger);
  const tables = options.wrapTables?.(deps.tables) ?? deps.tables;
  const storageChecks = options.wrapStorageChecks?.(deps.storageChecks) ?? deps.storageChecks;
  let committer: Awaited<ReturnType<typeof startCommitter>>;
  try {
    committer = await startCommitter(config, { ...deps, tables, storageChecks });
  } catch (error) {
    if (error instanceof PutIfAbsentNotEnforcedError) {
      logger.fatal(
        { reason: error.message },
        'refusing to start: the object store does not enforce put-if-absent (If-None-Match: *), which exactly-once commits rest on; point MINIO_ENDPOINT at a server that answers 412 to a second conditional PUT (AWS S3 does; check proxies in between)',
      );
      process.exit(3);
    }
    throw error;
  }
  const { metrics } = committer;
  const memoryRelease = startMemoryRelease({
    intervalMs: config.memoryReleaseIntervalMs,
    onRelease: (r) => {
      metrics.memoryReleaseDuration.observe({ thread: 'main' }, r.seconds);
      metrics.memoryReleasedBytes.inc(Math.max(0, r.rssBeforeBytes - r.rssAfterBytes));
      logger.debug(r, 'gave pooled heap pages back');
    },
    onUnavailable: () =>
      logger.warn('this runtime refuses memory-reducing collections: MEMORY_RELEASE_INTERVAL is ignored'),
  });
  onShutdown({
    logger,
    // In-flight commits finish (bounded), the lease is released: the standby takes over at once.
    stop: async () => {
      memoryRelease.stop();
      await committer.stop();
      return 0;
    },
    forceAfterMs: config.shutdownTimeoutMs + SHUTDOWN_GRACE_MS,
  });
}

export function exitOnFailure(error: unknown): never {
  process.stderr.write(`committer: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
}
