/**
 * A whole Delta Writer deployment for one test: committer replicas (leader + standby by default) and ingestor
 * replicas as real processes from `apps/*\/dist/main.js`, with names no other test uses. Processes can be killed,
 * stopped and restarted by name; a restarted committer keeps its port, so the ingestors' address list stays valid.
 */
import { randomUUID } from 'node:crypto';
import { entryPoint, logDir } from './paths.js';
import { freePort } from './ports.js';
import { ManagedProcess } from './process.js';
import { S3Gate } from './s3-gate.js';
import {
  type CommitterPorts,
  committerEnv,
  type Endpoints,
  ingestorEnv,
  type PipelineConfig,
} from './services.js';
import { eventually } from './wait.js';

/**
 * What the ingestors write (DELTA_WRITE_MODE): `append` the changelog at `<table>`; `both` the mirror at `<table>` and
 * the changelog at `<table>_changelog` (apps/ingestor README, "Mirror tables"). `upsert` alone is not used here: with
 * `both` every mirror check has the changelog beside it to explain a difference.
 */
export type WriteMode = 'append' | 'both';

/** The changelog table of `both` is the routed table's path with this suffix (apps/ingestor pipeline/targets.ts). */
export const CHANGELOG_SUFFIX = '_changelog';

/**
 * Ingestors with settings of their own for some topics. An ingestor's write mode and partial-update setting hold
 * for every table it writes (a per-table mode is not built, docs/mirror-tables.md §9), so topics that need other
 * settings get their own consumer group of ingestors, as an operator would deploy them.
 */
export interface IngestorGroup {
  /** Names the consumer group (`<run>.<name>`) and the processes (`<name>-1`, …). */
  name: string;
  /** Whole topic names; the default ingestors consume every other topic of the run. */
  topics: string[];
  writeMode: WriteMode;
  replicas: number;
  env?: Record<string, string>;
}

export interface PipelineOptions {
  /** Topics the ingestors consume: a regex on whole names. Default: every topic starting with the run's prefix. */
  topicPattern?: string;
  /** Write mode of the default ingestors (`ingestor-1`, …); `append` unless given. */
  writeMode?: WriteMode;
  /** Further groups of ingestors, each with its own topics and settings. */
  ingestorGroups?: IngestorGroup[];
  committerEnv?: Record<string, string>;
  ingestorEnv?: Record<string, string>;
  /** Key prefix of the tables in the bucket; default `e2e/<run>`. */
  basePath?: string;
  /** Give every process its own {@link S3Gate} to S3, so a test can hold its requests. */
  gates?: boolean;
}

/** A name unique to this test run, usable in topics, consumer groups, S3 keys and Redis keys. */
export function runName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomUUID().slice(0, 6)}`;
}

export class Pipeline {
  readonly committers = new Map<string, ManagedProcess>();
  readonly ingestors = new Map<string, ManagedProcess>();
  readonly logs: string;
  private readonly committerPorts = new Map<string, CommitterPorts>();
  private readonly ingestorMetricsPorts = new Map<string, number>();
  private readonly gates = new Map<string, S3Gate>();
  /** Settings of one process (by id), kept for its restarts. */
  readonly processEnv = new Map<string, Record<string, string>>();
  /** The group of each ingestor not among the default ones, kept for its restarts. */
  private readonly ingestorGroupOf = new Map<string, IngestorGroup>();

  private constructor(
    readonly config: PipelineConfig,
    private readonly options: PipelineOptions,
  ) {
    this.logs = logDir(config.run);
  }

  /** `run` names everything; topics of this pipeline should start with `topicPrefix`. */
  static create(run: string, endpoints: Endpoints, options: PipelineOptions = {}): Pipeline {
    const grouped = (options.ingestorGroups ?? []).flatMap((g) => g.topics);
    const config: PipelineConfig = {
      run,
      endpoints,
      basePath: options.basePath ?? `e2e/${run}`,
      group: `${run}.ingestors`,
      topicPattern: `${grouped.length ? `(?!(?:${grouped.map(escapeRegex).join('|')})$)` : ''}${
        options.topicPattern ?? `${escapeRegex(run)}\\..*`
      }`,
      dlqTopic: `${run}.dlq`,
      leaseKey: `e2e:${run}`,
      token: randomUUID(),
    };
    return new Pipeline(config, options);
  }

  /** The table of a `<run>.<db>.<collection>` topic (the ingestor's default routing). */
  tableUri(db: string, collection: string): string {
    return `s3://${this.config.endpoints.s3.bucket}/${this.config.basePath}/${db}/${collection}`;
  }

  /** The ingestor group that consumes `topic`; undefined for the default ingestors. */
  private groupOf(topic: string): IngestorGroup | undefined {
    return this.options.ingestorGroups?.find((g) => g.topics.includes(topic));
  }

  /** The consumer group whose ingestors consume `topic` (it names the tables' txn appIds). */
  consumerGroupOf(topic: string): string {
    const group = this.groupOf(topic);
    return group ? `${this.config.run}.${group.name}` : this.config.group;
  }

  /** Where the ingestors put a topic routed to `path`: its changelog table, and its mirror table with `both`. */
  tablesOf(topic: string, path: string): { changelog: string; mirror: string | undefined } {
    const mode = this.groupOf(topic)?.writeMode ?? this.options.writeMode ?? 'append';
    return mode === 'both'
      ? { changelog: `${path}${CHANGELOG_SUFFIX}`, mirror: path }
      : { changelog: path, mirror: undefined };
  }

  /** Reserves the committer replicas' ports (ingestors get all addresses); call before starting ingestors. */
  async reserveCommitters(ids: string[]): Promise<void> {
    for (const id of ids) {
      if (!this.committerPorts.has(id)) {
        this.committerPorts.set(id, { grpc: await freePort(), metrics: await freePort() });
      }
    }
  }

  committerAddresses(): string[] {
    return [...this.committerPorts.values()].map((p) => `127.0.0.1:${p.grpc}`);
  }

  /** Where one committer replica listens for gRPC (its port is reserved first if need be). */
  async committerAddress(id: string): Promise<string> {
    await this.reserveCommitters([id]);
    return `127.0.0.1:${(this.committerPorts.get(id) as CommitterPorts).grpc}`;
  }

  async startCommitter(id: string, env: Record<string, string> = {}): Promise<ManagedProcess> {
    await this.reserveCommitters([id]);
    const ports = this.committerPorts.get(id) as CommitterPorts;
    const previous = this.committers.get(id);
    if (previous?.running) throw new Error(`committer ${id} is already running`);
    const proc = new ManagedProcess(
      id,
      entryPoint('committer'),
      committerEnv(this.config, id, ports, {
        ...this.options.committerEnv,
        ...(await this.gateEnv(id)),
        ...this.processEnv.get(id),
        ...env,
      }),
      this.logs,
    );
    this.committers.set(id, proc);
    await proc.waitFor('committer started');
    return proc;
  }

  /** Starts (or restarts) an ingestor: one of `group`'s when given, else a default one. */
  async startIngestor(
    id: string,
    env: Record<string, string> = {},
    group?: IngestorGroup,
  ): Promise<ManagedProcess> {
    const previous = this.ingestors.get(id);
    if (previous?.running) throw new Error(`ingestor ${id} is already running`);
    if (group) this.ingestorGroupOf.set(id, group);
    const gate = await this.gateEnv(id);
    const own = this.ingestorGroupOf.get(id);
    const settings = {
      DELTA_WRITE_MODE: this.options.writeMode ?? 'append',
      ...this.options.ingestorEnv,
      ...(own && {
        KAFKA_CONSUMER_GROUP: `${this.config.run}.${own.name}`,
        KAFKA_TOPIC_PATTERN: own.topics.map(escapeRegex).join('|'),
        DELTA_WRITE_MODE: own.writeMode,
        ...own.env,
      }),
    };
    // the metrics port was free a moment ago; if another process took it since, try another one
    for (let attempt = 1; ; attempt++) {
      const metricsPort = await freePort();
      this.ingestorMetricsPorts.set(id, metricsPort);
      const proc = new ManagedProcess(
        id,
        entryPoint('ingestor'),
        ingestorEnv(this.config, id, this.committerAddresses(), metricsPort, {
          ...settings,
          ...gate,
          ...this.processEnv.get(id),
          ...env,
        }),
        this.logs,
      );
      this.ingestors.set(id, proc);
      try {
        await proc.waitFor('ingestor running');
        return proc;
      } catch (err) {
        if (attempt >= 3 || !proc.tail(5).includes('EADDRINUSE')) throw err;
      }
    }
  }

  /** The S3 gate of a process (with `gates: true`), the same across its restarts. */
  gate(id: string): S3Gate {
    const gate = this.gates.get(id);
    if (!gate) throw new Error(`${id} has no S3 gate (create the pipeline with gates: true)`);
    return gate;
  }

  private async gateEnv(id: string): Promise<Record<string, string>> {
    if (!this.options.gates) return {};
    let gate = this.gates.get(id);
    if (!gate) {
      gate = await S3Gate.start(this.config.endpoints.s3.endpoint);
      this.gates.set(id, gate);
    }
    return { MINIO_ENDPOINT: gate.endpoint };
  }

  /**
   * The usual deployment: committers `committer-a` (leader) and `committer-b` (standby), then `ingestors` default
   * ingestors and the replicas of each ingestor group.
   */
  async start({ committers = 2, ingestors = 2 } = {}): Promise<void> {
    const committerIds = ['committer-a', 'committer-b', 'committer-c'].slice(0, committers);
    await this.reserveCommitters(committerIds);
    const [first, ...standbys] = committerIds;
    if (first !== undefined) {
      const leader = await this.startCommitter(first);
      await leader.waitFor('became leader');
    }
    await Promise.all(standbys.map((id) => this.startCommitter(id)));
    await Promise.all([
      ...Array.from({ length: ingestors }, (_, i) => this.startIngestor(`ingestor-${i + 1}`)),
      ...(this.options.ingestorGroups ?? []).flatMap((g) =>
        Array.from({ length: g.replicas }, (_, i) => this.startIngestor(`${g.name}-${i + 1}`, {}, g)),
      ),
    ]);
  }

  /** Where a committer's or an ingestor's Prometheus metrics are served. */
  metricsUrl(id: string): string | undefined {
    const port = this.committerPorts.get(id)?.metrics ?? this.ingestorMetricsPorts.get(id);
    return port === undefined ? undefined : `http://127.0.0.1:${port}/metrics`;
  }

  /** The committer that holds the lease now: the one whose /readyz answers 200. */
  async leader(timeoutMs = 60_000): Promise<ManagedProcess> {
    return eventually(
      'a committer to lead',
      async () => {
        for (const [id, proc] of this.committers) {
          if (!proc.running) continue;
          const port = this.committerPorts.get(id)?.metrics;
          const res = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined);
          if (res?.status === 200) return proc;
        }
        return undefined;
      },
      { timeoutMs, intervalMs: 100 },
    );
  }

  /** The last warnings and errors each process logged: what a stuck pipeline says about itself. */
  diagnose(perProcess = 2): string {
    const lines: string[] = [];
    for (const p of [...this.committers.values(), ...this.ingestors.values()]) {
      const bad = p.lines.filter((l) =>
        typeof l.level === 'number' ? l.level >= 40 : l.level === 'warn' || l.level === 'error',
      );
      for (const l of bad.slice(-perProcess)) {
        const err = (l.err as { message?: string } | undefined)?.message;
        lines.push(`${p.name}: ${l.msg}${err ? `: ${err}` : ''}${l.cause ? ` (${String(l.cause)})` : ''}`);
      }
    }
    return lines.length ? `last warnings/errors:\n  ${lines.join('\n  ')}` : 'no warnings or errors logged';
  }

  running(kind: 'committers' | 'ingestors'): ManagedProcess[] {
    return [...this[kind].values()].filter((p) => p.running);
  }

  /** Graceful stop of every process still running (ingestors first, so their last commits find a leader). */
  async stop(): Promise<void> {
    await Promise.all(this.running('ingestors').map((p) => p.stop()));
    await Promise.all(this.running('committers').map((p) => p.stop()));
    await Promise.all([...this.gates.values()].map((g) => g.close()));
  }

  /** kill -9 of everything still running; for cleanup after a failed test. */
  async kill(): Promise<void> {
    await Promise.all([...this.committers.values(), ...this.ingestors.values()].map((p) => p.kill()));
  }
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
