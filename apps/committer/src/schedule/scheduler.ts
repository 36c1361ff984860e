/**
 * The group-commit driver: one queue per table, batches cut by {@link nextBatch}, at most one batch in flight per
 * table (so a table's manifests are committed in arrival order) and at most `maxConcurrentTables` in flight overall
 * (tables commit independently). Manifests arriving while their table commits wait for the next batch, which is how
 * load turns into larger commits.
 */
import { type BatchLimits, nextBatch } from './batching.js';

export interface SchedulerOptions<T, R> extends BatchLimits {
  readonly maxConcurrentTables: number;
  /** Total queued (not yet in flight) manifests beyond which submit() rejects with QueueFullError. */
  readonly maxQueued: number;
  /** Counts the files of an item, for the file limit. */
  readonly filesOf: (item: T) => number;
  /** Commits one batch of one table; returns one result per item, in order. A throw fails the whole batch. */
  readonly process: (table: string, items: readonly T[]) => Promise<readonly R[]>;
  readonly now?: () => number;
}

export class QueueFullError extends Error {
  override readonly name = 'QueueFullError';
}

export class SchedulerClosedError extends Error {
  override readonly name = 'SchedulerClosedError';
}

interface Entry<T, R> {
  readonly item: T;
  readonly enqueuedAt: number;
  readonly files: number;
  resolve(result: R): void;
  reject(error: unknown): void;
}

interface TableQueue<T, R> {
  readonly entries: Entry<T, R>[];
  inFlight: boolean;
  /** Waiting for a concurrency slot. */
  ready: boolean;
  timer?: NodeJS.Timeout;
}

export class GroupCommitScheduler<T, R> {
  private readonly tables = new Map<string, TableQueue<T, R>>();
  /** Tables whose batch is due, waiting for a slot, in the order they became due. */
  private readonly readyTables: string[] = [];
  private inFlight = 0;
  private queued = 0;
  private closed = false;
  private flushing = false;
  private readonly idleWaiters: (() => void)[] = [];
  private readonly now: () => number;

  constructor(private readonly options: SchedulerOptions<T, R>) {
    this.now = options.now ?? Date.now;
  }

  /** Resolves with the item's result once the batch holding it is committed (or rejects with the batch's error). */
  submit(table: string, item: T): Promise<R> {
    if (this.closed) return Promise.reject(new SchedulerClosedError('the committer is shutting down'));
    if (this.queued >= this.options.maxQueued) {
      return Promise.reject(new QueueFullError(`${this.queued} manifests are queued; try again shortly`));
    }
    return new Promise<R>((resolve, reject) => {
      let q = this.tables.get(table);
      if (!q) {
        q = { entries: [], inFlight: false, ready: false };
        this.tables.set(table, q);
      }
      q.entries.push({ item, enqueuedAt: this.now(), files: this.options.filesOf(item), resolve, reject });
      this.queued++;
      this.schedule(table, q);
    });
  }

  /** Manifests waiting, per table and in total (for metrics). */
  get depth(): number {
    return this.queued;
  }

  /** Rejects every queued manifest that is not in flight yet (leadership lost); in-flight batches are not touched. */
  rejectQueued(error: unknown): void {
    for (const [table, q] of this.tables) {
      clearTimeout(q.timer);
      for (const e of q.entries.splice(0)) e.reject(error);
      q.ready = false;
      this.forget(table, q);
    }
    this.readyTables.length = 0;
    this.queued = 0;
    this.notifyIdle();
  }

  /** Stops accepting, commits everything queued without waiting, and resolves when nothing is left in flight. */
  async close(): Promise<void> {
    this.closed = true;
    this.flushing = true;
    for (const [table, q] of this.tables) this.schedule(table, q);
    await this.idle();
  }

  /** Resolves once nothing is queued or in flight. */
  idle(): Promise<void> {
    if (this.queued === 0 && this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private schedule(table: string, q: TableQueue<T, R>): void {
    if (q.inFlight || q.ready) return;
    const decision = nextBatch(q.entries, this.options, this.now(), this.flushing);
    clearTimeout(q.timer);
    q.timer = undefined;
    if ('idle' in decision) {
      this.forget(table, q);
    } else if ('waitUntil' in decision) {
      q.timer = setTimeout(() => {
        q.timer = undefined;
        this.schedule(table, q);
      }, decision.waitUntil - this.now());
    } else {
      q.ready = true;
      this.readyTables.push(table);
      this.pump();
    }
  }

  /** Starts due batches while slots are free. */
  private pump(): void {
    while (this.inFlight < this.options.maxConcurrentTables && this.readyTables.length > 0) {
      const table = this.readyTables.shift() as string;
      const q = this.tables.get(table);
      if (!q?.ready) continue;
      q.ready = false;
      // Re-cut at start time: more manifests may have arrived while the table waited for a slot.
      const decision = nextBatch(q.entries, this.options, this.now(), true);
      if (!('take' in decision)) continue;
      const batch = q.entries.splice(0, decision.take);
      this.queued -= batch.length;
      q.inFlight = true;
      this.inFlight++;
      void this.run(table, q, batch);
    }
  }

  private async run(table: string, q: TableQueue<T, R>, batch: Entry<T, R>[]): Promise<void> {
    try {
      const results = await this.options.process(
        table,
        batch.map((e) => e.item),
      );
      if (results.length !== batch.length) {
        throw new Error(`process returned ${results.length} results for ${batch.length} items`);
      }
      batch.forEach((e, i) => {
        e.resolve(results[i] as R);
      });
    } catch (error) {
      for (const e of batch) e.reject(error);
    } finally {
      q.inFlight = false;
      this.inFlight--;
      this.schedule(table, q);
      this.pump();
      this.notifyIdle();
    }
  }

  private forget(table: string, q: TableQueue<T, R>): void {
    if (q.entries.length === 0 && !q.inFlight && !q.ready && !q.timer) this.tables.delete(table);
  }

  private notifyIdle(): void {
    if (this.queued === 0 && this.inFlight === 0) for (const w of this.idleWaiters.splice(0)) w();
  }
}
