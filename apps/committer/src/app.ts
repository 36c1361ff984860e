/**
 * Wires a committer process: lease → group-commit scheduler → gRPC service, plus the operations endpoint. `main.ts`
 * adds configuration and signals; tests start it in-process with a TableCommitter of their choice.
 */
import type { Server as HttpServer } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type CommitOutcome,
  type CommitRequest,
  createCommitterServer,
  type DataFile,
  listen,
  ServingStatus,
  serverCredentials,
  shutdown,
  type TableRef,
} from '@delta-writer/proto';
import { Redis } from 'ioredis';
import { commitBatch } from './commit/batch.js';
import type { TableCommitter } from './commit/table-committer.js';
import type { CommitterConfig } from './config/load.js';
import type { ProbeResult } from './delta/storage-checks.js';
import { type Leadership, LeadershipLostError, Lease, leaseRedisOptions } from './lease/lease.js';
import { closeHttp, createOpsServer, listenHttp } from './ops/http.js';
import { type Logger, redactUrl } from './ops/log.js';
import { createMetrics, type Metrics } from './ops/metrics.js';
import { GroupCommitScheduler } from './schedule/scheduler.js';
import { serverAuth } from './service/auth.js';
import { FileChecks } from './service/file-checks.js';
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
  /** Checks against object storage; the real process always has them, tests on in-memory tables leave them out. */
  readonly storageChecks?: StorageChecks;
}

export interface StorageChecks {
  /** The first of `files` missing from the table's location or of another size, as a message; undefined if none. */
  verifyFiles(table: TableRef, files: readonly DataFile[]): Promise<string | undefined>;
  /** Put-if-absent on a fresh probe key must be refused the second time (see storage-checks.ts). */
  probePutIfAbsent(label: string): Promise<ProbeResult>;
}

/** The object store does not enforce put-if-absent: this committer must not lead. */
export class PutIfAbsentNotEnforcedError extends Error {
  override readonly name = 'PutIfAbsentNotEnforcedError';
}

/** How long a probe that could not reach the store waits before it tries again. */
const PROBE_RETRY_MS = 2_000;
/** How often the warning of an unauthenticated committer is repeated. */
const INSECURE_WARNING_MS = 60_000;

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
  /** Set when the store failed the put-if-absent probe: this replica stays out of leadership and unhealthy. */
  let refusingToLead: string | undefined;
  const auth = serverAuth(config.grpc.auth);

  /**
   * Probes the store until it answers: ok, or refused (throws PutIfAbsentNotEnforcedError). While it cannot be
   * reached the probe is repeated (the store may come back); `until` ends the attempts (leadership lost, stop).
   */
  const probe = async (label: string, until: () => unknown): Promise<void> => {
    const checks = deps.storageChecks;
    if (!checks) return;
    for (;;) {
      const stopped = until();
      if (stopped) throw stopped;
      try {
        const result = await checks.probePutIfAbsent(label);
        if (result.ok) {
          metrics.putIfAbsentProbes.inc({ result: 'ok' });
          return;
        }
        metrics.putIfAbsentProbes.inc({ result: 'refused' });
        throw new PutIfAbsentNotEnforcedError(result.reason);
      } catch (error) {
        if (error instanceof PutIfAbsentNotEnforcedError) throw error;
        metrics.putIfAbsentProbes.inc({ result: 'error' });
        logger.warn({ err: error, label }, 'put-if-absent probe could not reach the object store; retrying');
        await sleep(PROBE_RETRY_MS);
      }
    }
  };
  /** Per leadership term: resolves once the term's probe passed, so its first commit waits for it. */
  const termProbes = new Map<number, Promise<void>>();
  const fileChecks = deps.storageChecks
    ? new FileChecks(deps.storageChecks.verifyFiles, (request, problem) =>
        logger.warn(
          { ingestor: request.ingestorId, table: request.table?.routingKey, problem },
          'commit request names data files that are not in storage as stated',
        ),
      )
    : undefined;

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
      if (deps.storageChecks) {
        // No commit of a term before its put-if-absent probe passed; a failed probe ends the term.
        const lost = new LeadershipLostError(leadership.term, 'stopped');
        const verified = termProbes.get(leadership.term);
        if (!verified) throw lost;
        await verified.catch(() => {
          throw lost;
        });
      }
      // Manifests whose data files are not in storage as stated are answered on their own and left out.
      const refused = fileChecks ? await fileChecks.settle(manifests) : [];
      const batch = manifests.filter((_, i) => !refused[i]);
      const started = process.hrtime.bigint();
      const result =
        batch.length > 0
          ? await commitBatch(batch, {
              committer: deps.tableCommitter,
              term: leadership.term,
              signal: leadership.signal,
              maxOffsetGap: config.tables.maxOffsetGap,
            })
          : { outcomes: [], conflicts: 0, acknowledgedGaps: 0 };
      const routingKey = manifests[0]?.table?.routingKey ?? '';
      metrics.conflicts.inc(result.conflicts);
      metrics.acknowledgedGaps.inc(result.acknowledgedGaps);
      if ('committedVersion' in result && result.committedVersion !== undefined) {
        metrics.commits.inc({ table: routingKey });
        metrics.commitDuration.observe(Number(process.hrtime.bigint() - started) / 1e9);
        metrics.batchManifests.observe(batch.length);
        batch.forEach((m, i) => {
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
            manifests: batch.length,
            term: leadership.term,
          },
          'committed',
        );
      }
      let next = 0;
      return manifests.map((_, i): CommitOutcome => {
        const r = refused[i];
        return r ? { $case: 'refusal', value: r } : (result.outcomes[next++] as CommitOutcome);
      });
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
    // The store is probed again on every acquisition (it may have been reconfigured or replaced since start-up);
    // the term commits nothing until the probe passed.
    termProbes.clear();
    const verified = probe(`term-${term}`, () =>
      leadership.signal.aborted ? new LeadershipLostError(term, 'stopped') : undefined,
    );
    termProbes.set(term, verified);
    verified.then(
      () => logger.info({ term }, 'object store enforces put-if-absent'),
      (error: unknown) => {
        if (!(error instanceof PutIfAbsentNotEnforcedError)) return;
        refuseToLead(error.message);
      },
    );
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

  /** Gives the lease up for good and stays unhealthy: a store without put-if-absent cannot be led safely. */
  const refuseToLead = (reason: string) => {
    if (refusingToLead) return;
    refusingToLead = reason;
    logger.error(
      { reason },
      'refusing to lead: the object store does not enforce put-if-absent (If-None-Match: *); fix the S3 endpoint (a proxy that drops the header, an old MinIO) and restart',
    );
    void lease.stop();
  };

  const handlers = createHandlers({
    ...(fileChecks ? { fileChecks } : {}),
    lease,
    scheduler,
    committer: deps.tableCommitter,
    tableRootUri: config.storage.tableRootUri,
    serverId: config.id,
    serverVersion: SERVER_VERSION,
    metrics,
    logger,
  });
  const ready = () => !stopping && lease.isLeader && !refusingToLead;
  const grpcServer = createCommitterServer({
    handlers,
    ...auth,
    onUnauthenticated: (method, peer) => {
      metrics.authRefusals.inc({ reason: 'unauthenticated', method });
      logger.warn({ method, peer }, 'call refused: no accepted credential');
    },
    health: (service) =>
      service === ''
        ? stopping || refusingToLead
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
    live: () => !stopping && !refusingToLead,
    ready,
    describe: () => {
      const l = lease.leadership;
      return stopping
        ? 'shutting down'
        : refusingToLead
          ? `refusing to lead: ${refusingToLead}`
          : l
            ? `leader term ${l.term}`
            : 'standby';
    },
  });
  const httpPort = await listenHttp(ops, config.metricsPort);
  const depthTimer = setInterval(() => metrics.queueDepth.set(scheduler.depth), 1_000);
  depthTimer.unref();

  const insecureWarning = () =>
    logger.warn(
      'COMMITTER_INSECURE=true: gRPC calls are not authenticated; anyone who reaches this port can write every table',
    );
  let insecureTimer: NodeJS.Timeout | undefined;
  if (config.grpc.auth.insecure) {
    metrics.insecure.set(1);
    insecureWarning();
    insecureTimer = setInterval(insecureWarning, INSECURE_WARNING_MS);
    insecureTimer.unref();
  }

  const running: RunningCommitter = {
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
      clearInterval(insecureTimer);
      redis.disconnect();
      deps.close?.();
      await closeHttp(ops);
      logger.info('stopped');
    },
  };

  // Before contending for the lease: a store that ignores If-None-Match would make every exactly-once argument void.
  try {
    await probe('start', () => (stopping ? new Error('stopped during the start-up probe') : undefined));
  } catch (error) {
    await running.stop();
    throw error;
  }
  lease.start();
  deps.maintenance?.start(() => lease.leadership);
  logger.info(
    {
      id: config.instanceId,
      grpcPort,
      httpPort,
      tls: config.grpc.tls ? (config.grpc.tls.clientCaPem ? 'mutual' : 'server') : 'off',
      auth: config.grpc.auth.insecure
        ? 'none (COMMITTER_INSECURE)'
        : config.grpc.auth.tokens.length > 0
          ? `${config.grpc.auth.tokens.length} token(s)`
          : 'client certificates',
      tableRoot: config.storage.tableRootUri,
    },
    'committer started',
  );
  return running;
}
