/**
 * Wires a committer process: lease → group-commit scheduler → gRPC service, plus the operations endpoint. `main.ts`
 * adds configuration and signals; tests start it in-process with a TableCommitter of their choice.
 */
import type { Server as HttpServer } from 'node:http';
import {
  type CommitOutcome,
  type CommitRequest,
  createCommitterServer,
  listen,
  ServingStatus,
  serverCredentials,
  shutdown,
} from '@delta-writer/proto';
import { Redis } from 'ioredis';
import { commitBatch } from './commit/batch.js';
import type { TableCommitter } from './commit/table-committer.js';
import type { CommitterConfig } from './config/load.js';
import { type Leadership, LeadershipLostError, Lease, leaseRedisOptions } from './lease/lease.js';
import { closeHttp, createOpsServer, listenHttp } from './ops/http.js';
import { type Logger, redactUrl } from './ops/log.js';
import { createMetrics, type Metrics } from './ops/metrics.js';
import { GroupCommitScheduler } from './schedule/scheduler.js';
import { createHandlers } from './service/handlers.js';

export const SERVER_VERSION = '0.1.0';

export interface CommitterDeps {
  readonly tableCommitter: TableCommitter;
  readonly logger: Logger;
  readonly metrics?: Metrics;
  /** Table maintenance: runs only while this replica leads; stopped before the lease is released. */
  readonly maintenance?: Maintenance;
  /** Called when this replica becomes leader (after the snapshot cache is dropped), e.g. to sync mirror indexes. */
  readonly onLeadership?: (leadership: Leadership) => void;
  /** Releases what the dependencies hold (connections), after everything else stopped. */
  readonly close?: () => void;
}

export interface Maintenance {
  start(leadership: () => Leadership | undefined): void;
  /** Leadership ended: drop queued runs. */
  clear(): void;
  stop(): Promise<void>;
}

export interface RunningCommitter {
  readonly grpcPort: number;
  readonly httpPort: number;
  readonly lease: Lease;
  readonly metrics: Metrics;
  /** Graceful stop: refuse new work, finish in-flight commits (bounded), release the lease, close everything. */
  stop(): Promise<void>;
}

export async function startCommitter(
  config: CommitterConfig,
  deps: CommitterDeps,
): Promise<RunningCommitter> {
  const { logger } = deps;
  const metrics = deps.metrics ?? createMetrics();
  let stopping = false;

  const redis = new Redis(config.lease.redisUrl, leaseRedisOptions(config.lease.renewIntervalMs));
  redis.on('error', () => {}); // reported through the lease's error events, rate-limited below
  const lease = new Lease({
    redis,
    keyPrefix: config.lease.keyPrefix,
    owner: config.instanceId,
    address: config.grpc.advertisedAddress,
    ttlMs: config.lease.ttlMs,
    renewIntervalMs: config.lease.renewIntervalMs,
    retryIntervalMs: config.lease.retryIntervalMs,
  });

  const scheduler = new GroupCommitScheduler<CommitRequest, CommitOutcome>({
    maxWaitMs: config.groupCommit.maxWaitMs,
    maxManifests: config.groupCommit.maxManifests,
    maxFiles: config.groupCommit.maxFiles,
    maxConcurrentTables: config.groupCommit.maxConcurrentTables,
    maxQueued: config.groupCommit.maxQueuedManifests,
    filesOf: (m) => m.files.length,
    process: async (_table, manifests) => {
      const leadership = lease.leadership;
      if (!leadership) throw new LeadershipLostError(0, 'renewal-failed');
      const started = process.hrtime.bigint();
      const result = await commitBatch(manifests, {
        committer: deps.tableCommitter,
        term: leadership.term,
        signal: leadership.signal,
      });
      const routingKey = manifests[0]?.table?.routingKey ?? '';
      metrics.conflicts.inc(result.conflicts);
      metrics.acknowledgedGaps.inc(result.acknowledgedGaps);
      if (result.committedVersion !== undefined) {
        metrics.commits.inc({ table: routingKey });
        metrics.commitDuration.observe(Number(process.hrtime.bigint() - started) / 1e9);
        metrics.batchManifests.observe(manifests.length);
        manifests.forEach((m, i) => {
          const o = result.outcomes[i];
          if (o?.$case !== 'ack' || o.value.duplicate) return;
          metrics.files.inc(m.files.length);
          metrics.bytes.inc(m.files.reduce((n, f) => n + f.sizeBytes, 0));
          metrics.records.inc(m.files.reduce((n, f) => n + f.recordCount, 0));
        });
        logger.info(
          {
            table: routingKey,
            version: result.committedVersion,
            manifests: manifests.length,
            term: leadership.term,
          },
          'committed',
        );
      }
      return result.outcomes;
    },
  });

  let lastLeaseError = 0;
  lease.on('acquired', (leadership) => {
    const { term } = leadership;
    // Snapshots cached in an earlier term may be far behind: the new term reads the tables again.
    deps.tableCommitter.forget?.();
    deps.onLeadership?.(leadership);
    metrics.leader.set(1);
    metrics.term.set(term);
    metrics.leaseTransitions.inc({ event: 'acquired', reason: '' });
    logger.info({ term, address: config.grpc.advertisedAddress }, 'became leader');
  });
  lease.on('lost', ({ term, reason }) => {
    metrics.leader.set(0);
    metrics.term.set(0);
    metrics.leaseTransitions.inc({ event: 'lost', reason });
    // Queued manifests go back to the ingestors (they retry at the new leader); in-flight commits see the signal.
    scheduler.rejectQueued(new LeadershipLostError(term, reason));
    deps.maintenance?.clear();
    (reason === 'stopped' ? logger.info : logger.warn).call(logger, { term, reason }, 'leadership ended');
  });
  lease.on('error', (error) => {
    if (Date.now() - lastLeaseError < 5_000) return;
    lastLeaseError = Date.now();
    logger.warn({ err: error, redis: redactUrl(config.lease.redisUrl) }, 'lease: Redis call failed');
  });

  const handlers = createHandlers({
    lease,
    scheduler,
    committer: deps.tableCommitter,
    tableRootUri: config.storage.tableRootUri,
    serverId: config.id,
    serverVersion: SERVER_VERSION,
    metrics,
    logger,
  });
  const ready = () => !stopping && lease.isLeader;
  const grpcServer = createCommitterServer({
    handlers,
    tokens: config.grpc.tokens,
    health: (service) =>
      service === ''
        ? stopping
          ? ServingStatus.NOT_SERVING
          : ServingStatus.SERVING
        : service === 'deltawriter.v1.CommitterService'
          ? ready()
            ? ServingStatus.SERVING
            : ServingStatus.NOT_SERVING
          : undefined,
    onHandlerError: (error, method) => logger.error({ err: error, method }, 'gRPC handler failed'),
  });
  const grpcPort = await listen(
    grpcServer,
    `${config.grpc.host}:${config.grpc.port}`,
    serverCredentials(config.grpc.tls),
  );
  const ops: HttpServer = createOpsServer(metrics.registry, {
    live: () => !stopping,
    ready,
    describe: () => {
      const l = lease.leadership;
      return stopping ? 'shutting down' : l ? `leader term ${l.term}` : 'standby';
    },
  });
  const httpPort = await listenHttp(ops, config.metricsPort);
  const depthTimer = setInterval(() => metrics.queueDepth.set(scheduler.depth), 1_000);
  depthTimer.unref();
  lease.start();
  deps.maintenance?.start(() => lease.leadership);

  if (config.grpc.tokens.length === 0)
    logger.warn('COMMITTER_TOKEN is not set: gRPC calls are not authenticated');
  logger.info(
    {
      id: config.instanceId,
      grpcPort,
      httpPort,
      tls: config.grpc.tls ? (config.grpc.tls.clientCaPem ? 'mutual' : 'server') : 'off',
      tableRoot: config.storage.tableRootUri,
    },
    'committer started',
  );

  return {
    grpcPort,
    httpPort,
    lease,
    metrics,
    async stop() {
      if (stopping) return;
      stopping = true;
      logger.info('shutting down: finishing in-flight commits');
      const drained = Promise.all([scheduler.close(), deps.maintenance?.stop()]);
      const timeout = new Promise<'timeout'>((r) =>
        setTimeout(() => r('timeout'), config.shutdownTimeoutMs).unref(),
      );
      if ((await Promise.race([drained, timeout])) === 'timeout') {
        logger.warn({ timeoutMs: config.shutdownTimeoutMs }, 'in-flight commits did not finish in time');
      }
      await shutdown(grpcServer, 2_000);
      await lease.stop(); // releases the lease: the standby takes over at once
      clearInterval(depthTimer);
      redis.disconnect();
      deps.close?.();
      await closeHttp(ops);
      logger.info('stopped');
    },
  };
}
