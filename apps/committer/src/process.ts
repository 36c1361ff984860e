/**
 * The committer process: configuration from the environment, the real dependencies, {@link startCommitter};
 * SIGTERM/SIGINT stop it gracefully (in-flight commits finish, the lease is released so the standby takes over at
 * once). `wrapTableCommitter` lets fault-injection tests run the real process around a delayed TableCommitter.
 */
import { PutIfAbsentNotEnforcedError, type StorageChecks, startCommitter } from './app.js';
import type { TableCommitter } from './commit/table-committer.js';
import { ConfigError, loadConfig } from './config/load.js';
import { createLogger } from './ops/log.js';
import { createDeltaDeps } from './wiring.js';

export interface ProcessOptions {
  readonly wrapTableCommitter?: (committer: TableCommitter) => TableCommitter;
  /** Bench only: replaces the storage checks (to measure what they cost in the same run). */
  readonly wrapStorageChecks?: (checks: StorageChecks) => StorageChecks;
}

export async function runCommitterProcess(options: ProcessOptions = {}): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`committer: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  const deps = createDeltaDeps(config, logger);
  const tableCommitter = options.wrapTableCommitter?.(deps.tableCommitter) ?? deps.tableCommitter;
  const storageChecks = options.wrapStorageChecks?.(deps.storageChecks) ?? deps.storageChecks;
  let committer: Awaited<ReturnType<typeof startCommitter>>;
  try {
    committer = await startCommitter(config, { ...deps, tableCommitter, storageChecks });
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
  let signals = 0;
  const stop = (signal: string) => {
    if (signals++ > 0) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    logger.info({ signal }, 'stopping');
    committer.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

export function exitOnFailure(error: unknown): never {
  process.stderr.write(`committer: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
}
