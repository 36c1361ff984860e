/**
 * Graceful shutdown on SIGTERM/SIGINT, the same way in every service: the first signal runs the service's own stop
 * (finish in-flight work, release what it holds) and exits with the code it returns; a second signal, or a stop that
 * outlives its bound, exits at once with 1. The bound is a backstop above the service's own timeouts: a stop that
 * hangs (a peer that never answers) must not keep a pod in Terminating until the orchestrator kills it.
 */
import type { Logger } from 'pino';

export interface ShutdownOptions {
  readonly logger: Logger;
  /** Stops the service; resolves to the exit code (0 when everything finished). */
  readonly stop: (signal: string) => Promise<number>;
  /** After this long the process exits with 1 whatever the stop is doing. */
  readonly forceAfterMs: number;
  /** Default SIGTERM and SIGINT. */
  readonly signals?: readonly NodeJS.Signals[];
  /** Tests replace the process's signal source and exit. */
  readonly process?: Pick<NodeJS.EventEmitter, 'on'> & { exit(code: number): void };
}

/** Installs the signal handlers. */
export function onShutdown(options: ShutdownOptions): void {
  const proc = options.process ?? process;
  const { logger } = options;
  let stopping = false;
  const handle = (signal: string) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      proc.exit(1);
      return;
    }
    stopping = true;
    logger.info({ signal }, 'stopping');
    const force = setTimeout(() => {
      logger.error({ afterMs: options.forceAfterMs }, 'shutdown took too long; exiting');
      proc.exit(1);
    }, options.forceAfterMs);
    force.unref();
    options.stop(signal).then(
      (code) => {
        clearTimeout(force);
        proc.exit(code);
      },
      (error: unknown) => {
        clearTimeout(force);
        logger.error({ err: error }, 'shutdown failed');
        proc.exit(1);
      },
    );
  };
  for (const signal of options.signals ?? ['SIGTERM', 'SIGINT']) proc.on(signal, () => handle(signal));
}
