#!/usr/bin/env node
/**
 * `delta-writer-ingestor`: configuration from the environment, then the service until SIGTERM/SIGINT. Exit codes:
 * 0 stopped with everything committed, 1 failed or stopped without finishing its commits in time (nothing is lost:
 * the next owner resumes from the table's offsets), 78 invalid configuration (EX_CONFIG).
 */
import {
  configOrExit,
  createLogger,
  onShutdown,
  redactSecrets,
  startMemoryRelease,
  startOpsServer,
} from '@delta-writer/service-kit';
import { loadConfig } from './config/load.js';
import { createEncoderPool } from './encoder/pool.js';
import { createWorkerBuilder } from './encoder/worker-builder.js';
import { StartupError } from './kafka/dead-letter-topic.js';
import { createMetrics } from './ops/metrics.js';
import { IngestorService } from './service.js';

/** Beyond SHUTDOWN_TIMEOUT_MS (the service's own bound on draining), what a stop still does: close the clients. */
const SHUTDOWN_GRACE_MS = 2_000;

async function main(): Promise<void> {
  const config = configOrExit('ingestor', () => loadConfig());
  const logger = createLogger({
    level: config.logLevel,
    service: 'ingestor',
    base: { ingestorId: config.ingestorId },
  });
  logger.info({ config: redactSecrets(config) }, 'starting the ingestor');
  const clientCertificate = config.committer.tls === false ? undefined : config.committer.tls.cert;
  if (!config.committer.token && !clientCertificate) {
    logger.warn(
      'neither COMMITTER_TOKEN nor a client certificate is set: a committer that requires authentication (the default) refuses every call',
    );
  }
  const metrics = createMetrics();
  const pool = createEncoderPool({
    threads: config.encoderThreads,
    maxHeapBytes: config.encoderHeapLimitBytes,
    onWasmHeap: (b) => metrics.wasmHeap.set(b),
    onTaskDone: (task) => {
      metrics.threadCpu.inc({ thread: 'encoder' }, task.cpuMicros / 1e6);
      metrics.encodedRecords.inc({ path: 'fast' }, task.fastRecords);
      metrics.encodedRecords.inc({ path: 'reference' }, task.referenceRecords);
    },
    onWorkerError: (err) => logger.error({ err }, 'an encoder thread failed; it is replaced'),
  });
  const builder = createWorkerBuilder({
    pool,
    maxRecordBytes: config.maxRecordBytes,
    limits: config.recordLimits,
    chunkBytes: config.encoderChunkBytes,
    logger,
  });
  const service = new IngestorService({ config, logger, builder, metrics });
  const ops = await startOpsServer({
    port: config.metricsPort,
    metrics: metrics.registry,
    probes: service.probes,
  });
  const memoryRelease = startMemoryRelease({
    intervalMs: config.memoryReleaseIntervalMs,
    onRelease: (r) => {
      metrics.memoryReleaseDuration.observe(r.seconds);
      metrics.memoryReleasedBytes.inc(Math.max(0, r.rssBeforeBytes - r.rssAfterBytes));
      logger.debug(r, 'gave pooled heap pages back');
    },
    onUnavailable: () =>
      logger.warn('this runtime refuses memory-reducing collections: MEMORY_RELEASE_INTERVAL is ignored'),
  });
  onShutdown({
    logger,
    // No more fetching; what is buffered is flushed and committed, the group is left. Exit 1 when that did not
    // finish in time: nothing is lost, the partitions' next owner resumes from the tables' offsets.
    stop: async () => {
      memoryRelease.stop();
      const drained = await service.stop();
      await ops.close();
      logger.info({ drained }, 'stopped');
      return drained ? 0 : 1;
    },
    forceAfterMs: config.shutdownTimeoutMs + SHUTDOWN_GRACE_MS,
  });

  await service.start();
  logger.info({ port: config.metricsPort }, 'ingestor running');
  service.done.catch((err) => {
    logger.fatal({ err }, 'ingestor failed; exiting');
    process.exit(1);
  });
}

main().catch((err) => {
  // A start-up refusal is one line for the operator; anything else keeps its stack.
  const text = err instanceof StartupError ? err.message : ((err as Error).stack ?? String(err));
  process.stderr.write(`ingestor cannot start: ${text}\n`);
  process.exit(1);
});
