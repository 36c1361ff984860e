/**
 * The mirror half of a commit, planned for the committer's commit path: for a batch of upsert manifests of one
 * table, what the Delta commit must carry — or, as a value, the manifests that cannot go in as they are. The commit
 * path (delta/delta-tables.ts) runs it alone for the table (`exclusive`, the table's lock), in one direction:
 *
 *   plan        decode the manifests' row blocks, sync the index, look the keys up, plan, write the deletion
 *               vectors → { actions } | { refusals } | { stale }
 *   <the Delta commit of these actions with the txns, by the commit path — written there and nowhere else>
 *   committed   the vector cache and the key index learn the commit
 *
 * Refusals are per manifest (MIRROR_STALE_BASE, retryable by rebuilding the batch; MIRROR_UNSAFE, for good); the
 * batch is then planned again without them. A failed index write after the Delta commit is only counted: the commit
 * is in the table, the next plan folds it into the index.
 */
import type { Action, AddFile, Snapshot } from '@delta-writer/delta-log';
import type { CommitRequest, Refusal } from '@delta-writer/proto';
import { refuse } from '@delta-writer/proto';
import type { Logger } from '@delta-writer/service-kit';
import type { Metrics } from '../ops/metrics.js';
import { type SyncResult, syncIndex } from './index-sync.js';
import { mirrorRowsOf, type SidecarReader } from './manifest-rows.js';
import {
  finishMirrorCommit,
  type MirrorFile,
  type PreparedMirrorCommit,
  prepareMirrorCommit,
} from './mirror-commit.js';
import type { MirrorTables } from './tables.js';
import { VectorCache } from './vectors.js';

export interface MirrorPlannerOptions {
  readonly tables: MirrorTables;
  readonly metrics?: Metrics;
  readonly logger?: Logger;
  /** Deleted-row cache size (rows held across all tables). */
  readonly vectorCacheRows?: number;
}

export interface MirrorCommitInput {
  /** The table before the commit (version -1 with no files when the commit creates it). */
  readonly snapshot: Snapshot;
  readonly tablePath: string;
  readonly manifests: readonly CommitRequest[];
  /** The `add` action of every data file of `manifests`, by path. */
  readonly adds: ReadonlyMap<string, AddFile>;
  readonly term: number;
  readonly now: number;
  readonly readSidecar: SidecarReader;
}

/** What the mirror half of a batch's commit is. */
export type MirrorCommitPlan =
  /** Commit these actions (with the txns, `readWholeTable`), then hand the plan and the result to `committed`. */
  | {
      readonly kind: 'actions';
      readonly actions: readonly Action[];
      readonly prepared: Extract<PreparedMirrorCommit, { kind: 'ready' }>;
    }
  /** These manifests cannot be committed as they are: answer them, plan the others again. */
  | { readonly kind: 'refusals'; readonly refusals: ReadonlyMap<CommitRequest, Refusal> }
  /** The snapshot is older than the key index (a cached snapshot): plan again on a fresh one. */
  | { readonly kind: 'stale'; readonly reason: string };

export class MirrorPlanner {
  private readonly vectors: VectorCache;

  constructor(private readonly options: MirrorPlannerOptions) {
    this.vectors = new VectorCache(options.vectorCacheRows);
  }

  /** Plans the mirror half of a commit; call inside {@link exclusive} for the table, with the commit after it. */
  async plan(input: MirrorCommitInput): Promise<MirrorCommitPlan> {
    const { tables, metrics, logger } = this.options;
    const files = await this.filesOf(input);
    const started = performance.now();
    const prepared = await prepareMirrorCommit(input.snapshot, tables.index(input.tablePath), files.list, {
      term: input.term,
      now: input.now,
      vectors: this.vectors,
      // A cached snapshot older than the index: plan again on a fresh one rather than rebuild the index.
      sync: { refuseAhead: true },
    });
    if (prepared.kind === 'stale') return prepared;
    this.countSync(prepared.sync, input.tablePath);
    if (prepared.kind === 'conflicts') {
      const refusals = new Map<CommitRequest, Refusal>();
      for (const c of prepared.plan.conflicts) {
        const manifest = files.owner.get(c.file) as CommitRequest;
        if (refusals.has(manifest)) continue;
        const message = `key ${c.key} (row ${c.row} of ${c.file}): ${c.reason}`;
        refusals.set(manifest, c.retryable ? refuse.mirrorStaleBase(message) : refuse.mirrorUnsafe(message));
        logger?.warn({ table: input.tablePath, key: c.key, reason: c.reason }, 'mirror manifest refused');
      }
      return { kind: 'refusals', refusals };
    }
    metrics?.mirrorPrepareDuration.observe((performance.now() - started) / 1000);
    metrics?.mirrorTouchedFiles.observe(prepared.touchedFiles);
    metrics?.mirrorVectorCache.set({ measure: 'files' }, this.vectors.size);
    metrics?.mirrorVectorCache.set({ measure: 'rows' }, this.vectors.heldRows);
    return { kind: 'actions', actions: prepared.actions, prepared };
  }

  /** The plan's Delta commit is in the table: the vector cache and the key index learn it. */
  async committed(
    tablePath: string,
    plan: Extract<MirrorCommitPlan, { kind: 'actions' }>,
    committed: { readonly version: number; readonly tableId: string },
    term: number,
  ): Promise<void> {
    const { tables, metrics, logger } = this.options;
    const { prepared } = plan;
    prepared.remember();
    const counts = prepared.plan.counts;
    for (const [outcome, n] of [
      ['inserted', counts.inserted],
      ['updated', counts.updated],
      ['deleted', counts.deleted],
      ['deleted_absent', counts.deletedAbsent],
      ['stale', counts.stale],
      ['superseded', counts.superseded],
    ] as const) {
      if (n > 0) metrics?.mirrorRows.inc({ outcome }, n);
    }
    try {
      await finishMirrorCommit(tables.index(tablePath), prepared, committed, term);
    } catch (error) {
      metrics?.mirrorIndexFailures.inc({ stage: 'finish' });
      logger?.warn(
        { err: error, table: tablePath, version: committed.version },
        'mirror index not moved after the commit; the next commit catches it up',
      );
    }
  }

  /** Syncs a table's index to `snapshot` (a new leadership term, after maintenance), alone for the table. */
  sync(tablePath: string, snapshot: Snapshot, term: number): Promise<SyncResult> {
    return this.options.tables.exclusive(tablePath, () => this.syncHeld(tablePath, snapshot, term));
  }

  /**
   * Runs `fn` alone for the table: no mirror commit of this process starts or ends meanwhile, so the vectors and the
   * index `fn` reads stay current until it returns (a commit plans and writes this way; mirror compaction commits a
   * bin this way). `sync` moves the index inside it (the table's lock is not re-entrant: {@link sync} there would
   * wait for itself).
   */
  exclusive<T>(
    tablePath: string,
    fn: (sync: (snapshot: Snapshot, term: number) => Promise<SyncResult>) => Promise<T>,
  ): Promise<T> {
    return this.options.tables.exclusive(tablePath, () =>
      fn((snapshot, term) => this.syncHeld(tablePath, snapshot, term)),
    );
  }

  private async syncHeld(tablePath: string, snapshot: Snapshot, term: number): Promise<SyncResult> {
    const result = await syncIndex(this.options.tables.index(tablePath), snapshot, { term });
    this.countSync(result, tablePath);
    return result;
  }

  private countSync(sync: SyncResult, tablePath: string): void {
    const { metrics, logger } = this.options;
    metrics?.mirrorIndexSyncs.inc({ action: sync.action });
    if (sync.action !== 'in-sync') {
      logger?.info({ table: tablePath, action: sync.action, work: sync.work }, 'mirror index synced');
    }
    if (sync.violations.length > 0) {
      metrics?.mirrorViolations.inc(sync.violations.length);
      logger?.error(
        { table: tablePath, keys: sync.violations.slice(0, 20), count: sync.violations.length },
        'mirror invariant violated: keys with more than one live row or a live tombstone',
      );
    }
  }

  /** The batch's new files with their rows, and which manifest each file came from. */
  private async filesOf(
    input: MirrorCommitInput,
  ): Promise<{ list: MirrorFile[]; owner: Map<string, CommitRequest> }> {
    const list: MirrorFile[] = [];
    const owner = new Map<string, CommitRequest>();
    for (const manifest of input.manifests) {
      const rows = await mirrorRowsOf(manifest, input.readSidecar);
      for (const file of manifest.files) {
        const add = input.adds.get(file.path);
        if (!add) throw new Error(`no add action for ${file.path}`);
        const fileRows = rows.get(file.path) ?? [];
        if (fileRows.length === 0) continue;
        list.push({ add, rows: fileRows });
        owner.set(add.path, manifest);
      }
    }
    return { list, owner };
  }
}
