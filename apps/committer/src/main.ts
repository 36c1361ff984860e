#!/usr/bin/env node
/**
 * The committer process: configuration from the environment, then {@link startCommitter}; SIGTERM/SIGINT stop it
 * gracefully (in-flight commits finish, the lease is released so the standby takes over at once).
 */
import { startCommitter } from './app.js';
import { UnwiredTableCommitter } from './commit/unwired.js';
import { ConfigError, loadConfig } from './config/load.js';
import { createLogger } from './ops/log.js';

async function main(): Promise<void> {
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
  const committer = await startCommitter(config, { tableCommitter: new UnwiredTableCommitter(), logger });
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

main().catch((error: unknown) => {
  process.stderr.write(`committer: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
