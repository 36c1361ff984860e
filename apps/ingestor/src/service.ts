/**
 * The ingestor service: wires configuration, Kafka, S3, the committer and the pipeline together, and runs consumer
 * generations. A generation is one consumer-group membership over a fixed topic list; when the topics matching
 * KAFKA_TOPIC_PATTERN change (kafkajs cannot re-subscribe a running consumer), the generation is drained — buffers
 * flushed and committed — and a new one starts with the new list. When kafkajs gives up on the cluster (an outage
 * longer than its retries), the generation ends the same way and a new one starts after a backoff (kafka/crash.ts).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { type ClientTls, type CommitterClient, createCommitterClient } from '@delta-writer/proto';
import type { Probes } from '@delta-writer/service-kit';
import { type Admin, type Kafka, Partitioners, type Producer } from 'kafkajs';
import type { Logger } from 'pino';
import type { CommitterTls, IngestorConfig } from './config/load.js';
import { createKafka } from './kafka/client.js';
import { classifyCrash, reconnectDelayMs } from './kafka/crash.js';
import { ensureDeadLetterTopic } from './kafka/dead-letter-topic.js';
import {
  consumerControl,
  createConsumer,
  offsetLookup,
  type RunningSource,
  runSource,
} from './kafka/source.js';
import { sameTopics, selectTopics } from './kafka/topics.js';
import { createMetrics, type Metrics } from './ops/metrics.js';
import type { FileBuilder } from './pipeline/builder.js';
import { createDeadLetterQueue } from './pipeline/dead-letter.js';
import { Ingestor } from './pipeline/ingestor.js';
import { createRouter } from './routing.js';
import { createUploader, type Uploader } from './storage/uploader.js';

export interface ServiceDeps {
  config: IngestorConfig;
  logger: Logger;
  builder: FileBuilder;
  metrics?: Metrics;
  committer?: CommitterClient;
  uploader?: Uploader;
  /** How often the topic list is checked for changes. */
  topicRefreshMs?: number;
  tickMs?: number;
}

/** How a consumer generation ended: `crash` is set when it did not end by choice. */
interface GenerationOutcome {
  crash: unknown;
  joined: boolean;
}

/** A commit stalled longer than this makes the instance not ready. */
const STALL_NOT_READY_MS = 120_000;

export class IngestorService {
  readonly metrics: Metrics;
  private readonly kafka: Kafka;
  private readonly admin: Admin;
  private readonly producer: Producer;
  private readonly committer: CommitterClient;
  private readonly uploader: Uploader;
  private readonly route;
  private readonly stopRequested = new AbortController();
  private loop: Promise<void> | undefined;
  private current: { ingestor: Ingestor; source: RunningSource | undefined; joined: boolean } | undefined;
  private state: 'starting' | 'idle' | 'consuming' | 'reconnecting' | 'stopping' | 'stopped' | 'failed' =
    'starting';
  private drainedCleanly = true;

  constructor(private readonly deps: ServiceDeps) {
    const { config } = deps;
    this.metrics = deps.metrics ?? createMetrics();
    this.kafka = createKafka(config.kafka, deps.logger);
    this.admin = this.kafka.admin();
    // The dead-letter topic is at least once by design (see dead-letter.ts): no idempotent producer needed.
    this.producer = this.kafka.producer({
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    this.committer =
      deps.committer ??
      createCommitterClient({
        addresses: config.committer.addresses,
        ...(config.committer.token && { token: config.committer.token }),
        ...(config.committer.tls && { tls: clientTls(config.committer.tls) }),
        attemptTimeoutMs: config.committer.timeoutMs,
        onRetry: (r) =>
          deps.logger.warn(
            {
              attempt: r.attempt,
              address: r.address,
              cause: r.cause,
              // a leader hint outside COMMITTER_ADDRESSES on a plaintext link: the token is not sent there
              ...(r.ignoredHint !== undefined && { ignoredHint: r.ignoredHint }),
            },
            'committer call retried',
          ),
      });
    this.uploader =
      deps.uploader ??
      createUploader({
        bucket: config.s3.bucket,
        region: config.s3.region,
        ...(config.s3.endpoint && { endpoint: config.s3.endpoint }),
        ...(config.s3.credentials && { credentials: config.s3.credentials }),
        partBytes: config.s3.partBytes,
        onRetry: (err, attempt, key) => deps.logger.warn({ err, attempt, key }, 'upload failed; retrying'),
      });
    this.route = createRouter({
      bucket: config.s3.bucket,
      basePath: config.delta.basePath,
      routes: config.delta.routes,
    });
  }

  /** `/healthz`: not failed for good; `/readyz`: consuming normally (or idle: no topic to consume yet). */
  readonly probes: Probes = {
    live: () => (this.state === 'failed' ? { ok: false, detail: 'failed' } : { ok: true, detail: 'ok' }),
    ready: () => {
      if (this.state === 'idle')
        return { ok: true, detail: 'idle: no topic matches KAFKA_TOPIC_PATTERN yet' };
      if (this.state !== 'consuming') return { ok: false, detail: this.state };
      if (!this.current?.joined) return { ok: false, detail: 'joining the consumer group' };
      const stalled = this.current.ingestor.stalledSince;
      if (stalled !== undefined && Date.now() - stalled > STALL_NOT_READY_MS) {
        return { ok: false, detail: 'commits are stalled' };
      }
      return { ok: true, detail: 'consuming' };
    },
  };

  /** Connects and starts consuming; resolves once the first generation is running (or idle without topics). */
  async start(): Promise<void> {
    await this.admin.connect();
    await this.producer.connect();
    const { dlqTopic, dlq } = this.deps.config.kafka;
    try {
      await ensureDeadLetterTopic(this.admin, { topic: dlqTopic, ...dlq }, this.deps.logger);
    } catch (err) {
      await Promise.all([this.admin.disconnect(), this.producer.disconnect()]).catch(() => undefined);
      this.state = 'failed';
      throw err;
    }
    const started = new Promise<void>((resolve) => {
      this.loop = this.run(resolve).catch((err) => {
        this.state = 'failed';
        this.deps.logger.fatal({ err }, 'ingestor failed');
        resolve();
        throw err;
      });
    });
    this.loop?.catch(() => undefined);
    await started;
  }

  /** Resolves when the service stopped; rejects when it failed (the process should exit non-zero). */
  get done(): Promise<void> {
    return this.loop ?? Promise.resolve();
  }

  private async topics(): Promise<string[]> {
    const { config, logger } = this.deps;
    const selection = selectTopics(await this.admin.listTopics(), config.kafka.topicPattern, this.route, [
      config.kafka.dlqTopic,
    ]);
    for (const s of selection.skipped) logger.debug(s, 'topic matches the pattern but is not consumed');
    return selection.topics;
  }

  private async run(started: () => void): Promise<void> {
    const { config, logger } = this.deps;
    const refreshMs = this.deps.topicRefreshMs ?? 30_000;
    const stop = this.stopRequested.signal;
    let reconnects = 0;
    while (!stop.aborted) {
      let outcome: GenerationOutcome;
      try {
        const topics = await this.topics();
        if (topics.length === 0) {
          this.state = 'idle';
          reconnects = 0;
          logger.info({ pattern: config.kafka.topicPattern.source }, 'no topic to consume yet; waiting');
          started();
          await sleep(refreshMs, undefined, { signal: stop }).catch(() => undefined);
          continue;
        }
        outcome = await this.generation(topics, started, refreshMs);
      } catch (err) {
        outcome = { crash: err, joined: false };
      }
      if (outcome.crash === undefined || stop.aborted) {
        reconnects = 0;
        continue;
      }
      if (classifyCrash(outcome.crash) === 'fatal') throw outcome.crash;
      // A generation that got into the group was a working connection: its crash starts the backoff afresh.
      reconnects = outcome.joined ? 1 : reconnects + 1;
      const delayMs = reconnectDelayMs(reconnects);
      this.state = 'reconnecting';
      this.metrics.kafkaReconnects.inc();
      logger.warn(
        { err: outcome.crash, attempt: reconnects, delayMs },
        'lost Kafka; starting a new consumer generation after a pause',
      );
      started();
      await sleep(delayMs, undefined, { signal: stop }).catch(() => undefined);
    }
    this.state = 'stopped';
  }

  /** Runs one consumer generation until the topics change, a stop is requested, or the consumer crashes. */
  private async generation(
    topics: string[],
    started: () => void,
    refreshMs: number,
  ): Promise<GenerationOutcome> {
    const { config, logger } = this.deps;
    const stop = this.stopRequested.signal;
    const consumer = createConsumer(this.kafka, {
      groupId: config.kafka.groupId,
      sessionTimeoutMs: config.kafka.sessionTimeoutMs,
      topics,
    });
    const ingestor = new Ingestor({
      settings: {
        consumerGroup: config.kafka.groupId,
        ingestorId: config.ingestorId,
        fromBeginning: config.kafka.fromBeginning,
        maxPollRecords: config.kafka.maxPollRecords,
        flush: config.flush,
        memoryBudgetBytes: config.memoryBudgetBytes,
        maxRecordBytes: config.maxRecordBytes,
        partitionBy: config.delta.partitionBy,
        compression: config.delta.compression,
        schemaCacheTtlMs: config.delta.schemaCacheTtlMs,
        writeMode: config.delta.writeMode,
        partialUpdates: config.delta.partialUpdates,
      },
      route: this.route,
      consumer: consumerControl(consumer),
      offsets: offsetLookup(this.admin, config.kafka.groupId),
      committer: this.committer,
      builder: this.deps.builder,
      uploader: this.uploader,
      deadLetters: createDeadLetterQueue({
        producer: this.producer,
        topic: config.kafka.dlqTopic,
        ingestorId: config.ingestorId,
        maxAttempts: config.kafka.dlqMaxAttempts,
        onSent: (reason, n) => this.metrics.deadLettered.inc({ reason }, n),
        onRetry: (err, attempt) => logger.warn({ err, attempt }, 'dead-letter write failed; retrying'),
      }),
      metrics: this.metrics,
      logger,
    });
    const current: { ingestor: Ingestor; source: RunningSource | undefined; joined: boolean } = {
      ingestor,
      source: undefined,
      joined: false,
    };
    this.current = current;
    this.state = 'consuming';
    logger.info({ topics }, 'starting a consumer generation');
    let source: RunningSource;
    try {
      source = await runSource(
        consumer,
        ingestor,
        { groupId: config.kafka.groupId, sessionTimeoutMs: config.kafka.sessionTimeoutMs, topics },
        logger,
      );
    } catch (err) {
      // Nothing was fetched yet, so there is nothing to drain.
      await consumer.disconnect().catch(() => undefined);
      this.current = undefined;
      return { crash: err, joined: false };
    }
    current.source = source;
    void source.joined.then(() => {
      current.joined = true;
    });
    started();
    const ticker = setInterval(() => ingestor.tick(), this.deps.tickMs ?? 250);
    let crash: unknown;
    try {
      // Wait for a stop, a crash, or a change of the topic list.
      while (!stop.aborted) {
        const waited = await Promise.race([
          sleep(refreshMs, 'tick' as const, { signal: stop }).catch(() => 'stop' as const),
          source.crashed.catch((e) => {
            crash = e;
            return 'crash' as const;
          }),
        ]);
        if (waited !== 'tick') break;
        const now = await this.topics().catch(() => topics);
        if (!sameTopics(now, topics)) {
          logger.info(
            { before: topics, after: now },
            'the set of topics changed; starting a new consumer generation',
          );
          break;
        }
      }
    } finally {
      this.state = 'stopping';
      const drained = await ingestor.drain(Math.max(1000, config.shutdownTimeoutMs - 5000));
      // Only the last drain decides the exit code: what an earlier one left, the next generation re-reads.
      if (stop.aborted) this.drainedCleanly &&= drained;
      if (!drained)
        logger.warn(
          'not everything was committed in time; the next owner re-reads it from the table’s offsets',
        );
      clearInterval(ticker);
      await source.stop().catch((err) => logger.warn({ err }, 'consumer disconnect failed'));
      this.current = undefined;
    }
    return { crash, joined: current.joined };
  }

  /** Graceful stop: stop fetching, flush, commit, leave the group. Returns whether everything was committed. */
  async stop(): Promise<boolean> {
    this.stopRequested.abort();
    await this.loop?.catch(() => undefined);
    await this.producer.disconnect().catch(() => undefined);
    await this.admin.disconnect().catch(() => undefined);
    await this.deps.builder.close().catch(() => undefined);
    this.committer.close();
    this.uploader.close();
    return this.drainedCleanly;
  }
}

function clientTls(tls: CommitterTls): ClientTls {
  return {
    ...(tls.ca !== undefined && { caPem: Buffer.from(tls.ca) }),
    ...(tls.cert !== undefined && { certPem: Buffer.from(tls.cert) }),
    ...(tls.key !== undefined && { keyPem: Buffer.from(tls.key) }),
    ...(tls.serverName !== undefined && { serverName: tls.serverName }),
  };
}
