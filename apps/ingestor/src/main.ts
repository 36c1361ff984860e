#!/usr/bin/env node
/**
 * `delta-writer-ingestor`: configuration from the environment, then the service until SIGTERM/SIGINT. Exit codes:
 * 0 stopped with everything committed, 1 failed or stopped without finishing its commits in time (nothing is lost:
 * the next owner resumes from the table's offsets), 78 invalid configuration (EX_CONFIG).
 */
import { ConfigError, type IngestorConfig, loadConfig, redactedConfig } from './config/load.js';
import { createEncoderPool } from './encoder/pool.js';
import { createWorkerBuilder } from './encoder/worker-builder.js';
import { StartupError } from './kafka/dead-letter-topic.js';
import { startOpsServer } from './ops/http.js';
import { createLogger } from './ops/logger.js';
import { createMetrics } from './ops/metrics.js';
import { IngestorService } from './service.js';

function configOrExit(): IngestorConfig {
  try {
    return loadConfig({ env: process.env });
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`);
      process.exit(78);
    }
    throw e;
  }
}

async function main(): Promise<void> {
  const config = configOrExit();
  const logger = createLogger({ level: config.logLevel, ingestorId: config.ingestorId });
  logger.info({ config: redactedConfig(config) }, 'starting the ingestor');
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
  const ops = await startOpsServer(config.metricsPort, metrics.registry, service.probes);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping: no more fetching; flushing and committing');
    const force = setTimeout(() => {
      logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs + 2000);
    force.unref();
    const drained = await service.stop();
    ops.close();
    logger.info({ drained }, 'stopped');
    process.exit(drained ? 0 : 1);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));

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
