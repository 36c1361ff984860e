/**
 * One Delta Writer deployment for a measurement: one committer and N ingestors as real processes from
 * `apps/*\/dist/main.js`, started by the e2e harness (its Pipeline gives each run its own consumer group, tables,
 * lease key and token, and keeps every process's log under `.data/e2e/<run>/`). The services run with their
 * documented defaults, except what a benchmark on a shared stack needs (below); the harness's test settings
 * (debug logs, 1 s flushes, checkpoints every 5 versions) are put back to the defaults users get.
 */
import { fileURLToPath } from 'node:url';
import { type Pipeline as E2EPipeline, Pipeline, runName } from '@delta-writer/e2e/src/harness/pipeline.js';
import { freePort } from '@delta-writer/e2e/src/harness/ports.js';
import type { ManagedProcess } from '@delta-writer/e2e/src/harness/process.js';
import type { Endpoints } from '@delta-writer/e2e/src/harness/services.js';
import { txnAppId } from '@delta-writer/e2e/src/harness/watcher.js';
import { peakRssMiB } from './machine.js';

/** The services' own defaults (docs/configuration.md) where the e2e harness sets test values. */
const INGESTOR_DEFAULTS = { LOG_LEVEL: 'info', FLUSH_MAX_AGE_MS: '3000', KAFKA_SESSION_TIMEOUT_MS: '30000' };
/** How the ingestor image runs node (apps/ingestor/Dockerfile): the harness starts `node main.js` without them. */
const INGESTOR_IMAGE_NODE_OPTIONS = '--max-semi-space-size=8';
const INGESTOR_IMAGE_ENV = { MALLOC_ARENA_MAX: '2' };
const COMMITTER_DEFAULTS = {
  LOG_LEVEL: 'info',
  COMMITTER_CHECKPOINT_INTERVAL: '10',
  COMMITTER_LEASE_TTL_MS: '10000',
  COMMITTER_LEASE_RENEW_INTERVAL_MS: '2500',
  COMMITTER_LEASE_RETRY_INTERVAL_MS: '1000',
};

export interface DeploymentOptions {
  name: string;
  topic: string;
  ingestors: number;
  /** Extra settings of every ingestor (BENCH_INGESTOR_ENV), e.g. ENCODER_THREADS=2. */
  ingestorEnv?: Record<string, string>;
  /** Folder for CPU profiles of every service thread (src/cpu-profile.mjs). */
  profileDir?: string;
}

export interface IngestorCounters {
  /** CPU seconds of the event loop thread. */
  mainCpu: number;
  /** CPU seconds of the encoder threads inside their tasks. */
  encoderCpu: number;
  /** CPU seconds of the whole process (every thread, start-up included). */
  processCpu: number;
  /** Records the encoder decoded on its fast path and on the reference path. */
  fastRecords: number;
  referenceRecords: number;
}

/** The counters of {@link IngestorCounters} from one ingestor's `/metrics` text (absent series count as 0). */
export function parseIngestorCounters(text: string): IngestorCounters {
  const value = (series: string) => {
    const line = text.split('\n').find((l) => l.startsWith(`${series} `));
    return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
  };
  return {
    mainCpu: value('dw_ingestor_thread_cpu_seconds_total{thread="main"}'),
    encoderCpu: value('dw_ingestor_thread_cpu_seconds_total{thread="encoder"}'),
    processCpu: value('dw_ingestor_process_cpu_seconds_total'),
    fastRecords: value('dw_ingestor_encoded_records_total{path="fast"}'),
    referenceRecords: value('dw_ingestor_encoded_records_total{path="reference"}'),
  };
}

export class Deployment {
  readonly pipeline: E2EPipeline;
  committer: ManagedProcess | undefined;
  private committerMetrics = 0;
  /** Metrics port of each ingestor, by name. */
  private readonly ingestorMetrics = new Map<string, number>();
  /** Peak RSS (VmHWM, MiB) of each process, last read while it ran. */
  readonly peakRss = new Map<string, number>();

  constructor(
    readonly endpoints: Endpoints,
    readonly options: DeploymentOptions,
  ) {
    const run = runName(options.name);
    const preload = options.profileDir
      ? `--import ${fileURLToPath(new URL('./cpu-profile.mjs', import.meta.url))}`
      : undefined;
    const profile: Record<string, string> = options.profileDir
      ? { BENCH_PROFILE_DIR: options.profileDir }
      : {};
    const nodeOptions = (...parts: (string | undefined)[]) => parts.filter((p) => p).join(' ');
    this.pipeline = Pipeline.create(run, endpoints, {
      topicPattern: options.topic.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
      basePath: `bench/${run}`,
      committerEnv: { ...COMMITTER_DEFAULTS, ...profile, ...(preload && { NODE_OPTIONS: preload }) },
      ingestorEnv: {
        ...INGESTOR_DEFAULTS,
        ...INGESTOR_IMAGE_ENV,
        ...options.ingestorEnv,
        ...profile,
        NODE_OPTIONS: nodeOptions(INGESTOR_IMAGE_NODE_OPTIONS, options.ingestorEnv?.NODE_OPTIONS, preload),
      },
    });
  }

  get group(): string {
    return this.pipeline.config.group;
  }

  /** Key prefix of the run's table in the bucket (`<base>/shop/orders`). */
  tablePath(db: string, collection: string): string {
    return `${this.pipeline.config.basePath}/${db}/${collection}`;
  }

  tableUri(db: string, collection: string): string {
    return this.pipeline.tableUri(db, collection);
  }

  appId(partition: number): string {
    return txnAppId(this.group, this.options.topic, partition);
  }

  /** The committer, until it leads. */
  async startCommitter(): Promise<void> {
    this.committerMetrics = await freePort();
    this.committer = await this.pipeline.startCommitter('committer', {
      METRICS_PORT: String(this.committerMetrics),
    });
    await this.committer.waitFor('became leader');
  }

  /** The ingestors, all at once (as a rollout would), until each has started consuming. */
  async startIngestors(): Promise<void> {
    await this.pipeline.reserveCommitters(['committer']);
    await Promise.all(
      Array.from({ length: this.options.ingestors }, async (_, i) => {
        const name = `ingestor-${i + 1}`;
        const port = await freePort();
        this.ingestorMetrics.set(name, port);
        await this.pipeline.startIngestor(name, { METRICS_PORT: String(port) });
      }),
    );
  }

  /**
   * The ingestors' CPU counters summed over the running ingestors: each thread kind's CPU seconds (the event loop,
   * the encoder threads while encoding), the whole process's, and the records each decoder path took.
   */
  async ingestorCounters(): Promise<IngestorCounters | undefined> {
    const sum: IngestorCounters = {
      mainCpu: 0,
      encoderCpu: 0,
      processCpu: 0,
      fastRecords: 0,
      referenceRecords: 0,
    };
    for (const port of this.ingestorMetrics.values()) {
      let text: string;
      try {
        text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      } catch {
        return undefined;
      }
      const m = parseIngestorCounters(text);
      for (const k of Object.keys(sum) as (keyof IngestorCounters)[]) sum[k] += m[k];
    }
    return sum;
  }

  /** Reads each running process's peak RSS; call often, so the value of a process that dies is kept. */
  sampleRss(): void {
    for (const p of [...this.pipeline.committers.values(), ...this.pipeline.ingestors.values()]) {
      const mib = peakRssMiB(p.running ? p.pid : undefined);
      if (mib !== undefined) this.peakRss.set(p.name, Math.max(mib, this.peakRss.get(p.name) ?? 0));
    }
  }

  /** Sums of the committer's counters: manifests received and Delta commits written. */
  async committerCounters(): Promise<{ manifests: number; commits: number } | undefined> {
    try {
      const text = await (await fetch(`http://127.0.0.1:${this.committerMetrics}/metrics`)).text();
      const sum = (name: string) =>
        text
          .split('\n')
          .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
          .reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
      return {
        manifests: sum('deltawriter_committer_manifests_total'),
        commits: sum('deltawriter_committer_commits_total'),
      };
    } catch {
      return undefined;
    }
  }

  /** Whether any process has exited: a run that lost one says so instead of waiting for its timeout. */
  failure(): string | undefined {
    for (const p of [...this.pipeline.committers.values(), ...this.pipeline.ingestors.values()]) {
      if (!p.running) return `${p.name} exited; ${p.tail(8)}`;
    }
    return undefined;
  }

  async stop(): Promise<void> {
    this.sampleRss();
    await this.pipeline.stop();
  }

  get logs(): string {
    return this.pipeline.logs;
  }
}
