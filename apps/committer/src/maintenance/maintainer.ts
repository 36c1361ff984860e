/**
 * Schedules maintenance for the tables this leader commits to: a checkpoint every N versions (asked for after the
 * commit that crosses the mark, run after its acknowledgement) but no more of the thread's time than
 * `checkpointTimeShare` per table, compaction on one interval, log cleanup and vacuum on another. Runs go through one queue, one at a time, only while this replica leads; each runs fenced by the
 * term's signal, so losing the lease (or stopping) ends it at its next write. Ingest commits never wait for it.
 *
 * Tables are known from the commits this process makes: after a failover, the new leader maintains a table once it
 * commits to it (every table receiving data does within seconds).
 */
import type { Snapshot, Storage } from '@delta-writer/delta-log';
import type { Logger } from '@delta-writer/service-kit';
import type { MaintenanceConfig } from '../config/load.js';
import type { CommittedTable } from '../delta/delta-tables.js';
import { runFenced } from '../delta/fence.js';
import type { Leadership } from '../lease/lease.js';
import type { Metrics } from '../ops/metrics.js';
import type { JobContext, JobKind, JobReport, MirrorMaintenance } from './context.js';
import { runCheckpoint, runCleanup, runCompaction, runVacuum } from './jobs.js';
import type { MaintenancePool } from './pool.js';

export interface MaintainerOptions {
  readonly config: MaintenanceConfig;
  /** Fenced storage, rooted at the bucket. */
  readonly storage: Storage;
  readonly snapshot: (tablePath: string, fresh: boolean) => Promise<Snapshot | undefined>;
  readonly pool: MaintenancePool;
  /** Mirror tables: compaction folds their deletion vectors away and purges expired tombstones. */
  readonly mirror?: MirrorMaintenance;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/** What the maintainer knows of a table it commits to. */
interface TableInfo {
  /** Version of its newest checkpoint. */
  lastCheckpoint: number;
  checkpointing: boolean;
  /** When its last checkpoint ended (performance.now() ms) and how long it ran. */
  checkpointEndedAt: number;
  checkpointMs: number;
}

interface Job {
  readonly kind: JobKind;
  readonly tablePath: string;
  readonly done: ((report: JobReport | undefined) => void)[];
}

const RUN: Record<JobKind, (ctx: JobContext, tablePath: string) => Promise<JobReport>> = {
  checkpoint: runCheckpoint,
  compaction: runCompaction,
  cleanup: runCleanup,
  vacuum: runVacuum,
};

export class Maintainer {
  /** Tables committed to by this process. */
  private readonly tables = new Map<string, TableInfo>();
  private readonly queue: Job[] = [];
  private draining?: Promise<void>;
  private readonly timers: NodeJS.Timeout[] = [];
  private leadership: () => Leadership | undefined = () => undefined;
  private readonly stopping = new AbortController();

  constructor(private readonly options: MaintainerOptions) {}

  /** Starts the interval timers; runs happen only while `leadership()` returns a term. */
  start(leadership: () => Leadership | undefined): void {
    this.leadership = leadership;
    const { config } = this.options;
    const every = (ms: number, kinds: JobKind[]) => {
      if (ms <= 0) return;
      const timer = setInterval(() => {
        if (!this.leadership()) return;
        for (const tablePath of this.tables.keys())
          for (const kind of kinds) void this.request(kind, tablePath);
      }, ms);
      timer.unref();
      this.timers.push(timer);
    };
    every(config.compactionIntervalMs, ['compaction']);
    every(config.intervalMs, ['cleanup', 'vacuum']);
  }

  /** Called after every ingest commit: remembers the table and asks for a checkpoint when one is due. */
  committed({ tablePath, snapshot }: Pick<CommittedTable, 'tablePath' | 'snapshot'>): void {
    let info = this.tables.get(tablePath);
    if (!info) {
      info = {
        lastCheckpoint: snapshot.checkpointVersion ?? 0,
        checkpointing: false,
        checkpointEndedAt: 0,
        checkpointMs: 0,
      };
      this.tables.set(tablePath, info);
    }
    // Due at every multiple of the interval (as Delta writers do), or at the first version past one that another
    // writer's commit (a compaction) took — once the table's last checkpoint is far enough behind for its cost.
    const { checkpointInterval: interval, checkpointTimeShare: share } = this.options.config;
    const due =
      interval > 0 &&
      Math.floor(snapshot.version / interval) > Math.floor(info.lastCheckpoint / interval) &&
      performance.now() - info.checkpointEndedAt >= info.checkpointMs * (1 / share - 1);
    if (due && !info.checkpointing) {
      const table = info;
      table.checkpointing = true;
      void this.request('checkpoint', tablePath).finally(() => {
        table.checkpointing = false;
      });
    }
  }

  /**
   * Queues a run (a run of the same kind for the same table already queued is shared). Resolves with its report,
   * or undefined when it failed, was aborted or was dropped (leadership lost).
   */
  request(kind: JobKind, tablePath: string): Promise<JobReport | undefined> {
    if (this.stopping.signal.aborted) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const queued = this.queue.find((j) => j.kind === kind && j.tablePath === tablePath);
      if (queued) queued.done.push(resolve);
      else this.queue.push({ kind, tablePath, done: [resolve] });
      this.options.metrics.maintenanceQueue.set(this.queue.length);
      this.kick();
    });
  }

  /** Leadership ended: queued runs are dropped (the running one sees its signal abort). */
  clear(): void {
    for (const job of this.queue.splice(0)) for (const done of job.done) done(undefined);
    this.options.metrics.maintenanceQueue.set(0);
  }

  /** Stops the timers, drops the queue, aborts the running job and waits for it to end. */
  async stop(): Promise<void> {
    for (const t of this.timers.splice(0)) clearInterval(t);
    this.stopping.abort(new Error('the committer is stopping'));
    this.clear();
    await this.draining;
    await this.options.pool.close();
  }

  /** Resolves once nothing is queued or running. */
  async idle(): Promise<void> {
    while (this.draining) await this.draining;
  }

  private kick(): void {
    if (this.draining) return;
    this.draining = this.drain().finally(() => {
      this.draining = undefined;
      if (this.queue.length > 0 && !this.stopping.signal.aborted) this.kick();
    });
  }

  private async drain(): Promise<void> {
    const { logger, metrics } = this.options;
    for (let job = this.queue.shift(); job; job = this.queue.shift()) {
      metrics.maintenanceQueue.set(this.queue.length);
      const leadership = this.leadership();
      if (!leadership || this.stopping.signal.aborted) {
        for (const done of job.done) done(undefined);
        this.clear();
        return;
      }
      const signal = AbortSignal.any([leadership.signal, this.stopping.signal]);
      const ctx: JobContext = { ...this.options, signal, term: leadership.term };
      const started = process.hrtime.bigint();
      let report: JobReport | undefined;
      let outcome = 'ok';
      try {
        report = await runFenced(signal, () => RUN[job.kind](ctx, job.tablePath));
        if (job.kind === 'checkpoint' && typeof report.version === 'number') {
          const info = this.tables.get(job.tablePath);
          if (info) {
            info.lastCheckpoint = Math.max(info.lastCheckpoint, report.version);
            info.checkpointMs = Number(process.hrtime.bigint() - started) / 1e6;
            info.checkpointEndedAt = performance.now();
          }
        }
        if (job.kind === 'compaction' && Number(report.gaveUp ?? 0) > 0) outcome = 'conflict';
      } catch (error) {
        outcome = signal.aborted ? 'aborted' : 'failed';
        (signal.aborted ? logger.info : logger.warn).call(
          logger,
          { err: error, kind: job.kind, table: job.tablePath },
          `maintenance: ${job.kind} ${outcome}`,
        );
      }
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      metrics.maintenanceRuns.inc({ kind: job.kind, outcome });
      metrics.maintenanceDuration.observe({ kind: job.kind }, seconds);
      metrics.maintenanceProgress.remove({ kind: job.kind, table: job.tablePath });
      if (report) {
        logger.info(
          { kind: job.kind, table: job.tablePath, ms: Math.round(seconds * 1000), ...report },
          `maintenance: ${job.kind} done`,
        );
      }
      for (const done of job.done) done(outcome === 'ok' || outcome === 'conflict' ? report : undefined);
    }
  }
}
