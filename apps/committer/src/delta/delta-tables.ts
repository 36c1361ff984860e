/**
 * {@link Tables} on `@delta-writer/delta-log`: snapshots of tables on S3 (cached between commits and brought up to
 * date incrementally), schema admission, and one Delta commit per batch — the batch's data files as `add` actions,
 * one `txn` per (group, topic, partition), the lease term in commitInfo, and a metaData action when the schema grew.
 * A table is created by the commit of its first files (version 0, put-if-absent, txns included), so there is never
 * a table whose first files are not covered by a txn.
 *
 * An upsert batch's commit carries the mirror planner's actions (deletion vectors of replaced and deleted rows):
 * the planner is asked for them and answers with data, the Delta commit is written here — in {@link write}, the one
 * place an ingest commit is written — and the planner is told the result. Nothing calls back.
 */
import { randomUUID } from 'node:crypto';
import {
  type Action,
  type AddFile,
  ConcurrentModificationError,
  commit,
  type CommitRequest as DeltaCommitRequest,
  ENGINE_INFO,
  type Metadata,
  parseSchema,
  protocolFor,
  Snapshot,
  type Storage,
  type StructType,
  schemaChange,
  serializeSchema,
  TableNotFoundError,
} from '@delta-writer/delta-log';
import { type CommitRequest, type DataFile, type TableRef, WriteMode } from '@delta-writer/proto';
import {
  MODE_PROPERTY,
  PARTIAL_UPDATES_PROPERTY,
  partialUpdatesName,
  type TableMode,
} from '../commit/table-mode.js';
import {
  type CommitAttempt,
  type LoadOptions,
  type PreparedCommit,
  STATS_PROPERTIES,
  type TableSnapshot,
  type Tables,
} from '../commit/tables.js';
import type { MirrorPlanner } from '../mirror/planner.js';
import { admitSchemas, type BatchSchemaAdmission } from '../schema/admission.js';
import type { SchemaLimits } from '../schema/limits.js';
import type { WideningMode } from '../schema/merge.js';
import { runFenced } from './fence.js';
import { tablePathOf } from './s3.js';
import { tableLocationProblem } from './storage-checks.js';

export const COMMITTER_ENGINE = 'delta-writer-committer/0.1.0';

export interface DeltaTablesOptions {
  /** Rooted at the bucket; writes must go through a FencedStorage. */
  readonly storage: Storage;
  readonly bucket: string;
  readonly typeWidening: WideningMode;
  /** Largest table schemas this committer makes (COMMITTER_MAX_SCHEMA_COLUMNS, _DEPTH). */
  readonly schemaLimits?: SchemaLimits;
  /** Table properties of new tables. */
  readonly tableProperties: Readonly<Record<string, string>>;
  readonly cacheSize: number;
  /** This replica, recorded in commitInfo. */
  readonly committerId: string;
  /** Plans the mirror half of upsert commits; without it upsert manifests fail. */
  readonly mirror?: MirrorPlanner;
  readonly now?: () => number;
}

/** After each successful commit (for maintenance: checkpoints, the set of active tables). */
export interface CommittedTable {
  readonly table: TableRef;
  readonly tablePath: string;
  readonly snapshot: Snapshot;
}

/** A TableSnapshot backed by a delta-log Snapshot (undefined: the table does not exist). */
class LoadedTable implements TableSnapshot {
  readonly exists: boolean;
  readonly version: number;
  readonly schemaJson: string;
  readonly partitionColumns: readonly string[];
  readonly txnVersions: ReadonlyMap<string, number>;
  readonly mode?: TableMode;
  readonly partialUpdates?: string;
  readonly statsConfiguration?: Readonly<Record<string, string>>;

  constructor(
    readonly tablePath: string,
    readonly delta: Snapshot | undefined,
  ) {
    this.exists = delta !== undefined;
    this.version = delta?.version ?? -1;
    this.schemaJson = delta?.metadata.schemaString ?? '';
    this.partitionColumns = delta?.partitionColumns ?? [];
    const txns = new Map<string, number>();
    // A version beyond 2^53 (delta-log keeps it as a bigint) is another application's: Kafka offsets stay far below.
    for (const txn of delta?.txns() ?? [])
      if (typeof txn.version === 'number') txns.set(txn.appId, txn.version);
    this.txnVersions = txns;
    if (delta) {
      this.mode = delta.configuration[MODE_PROPERTY] === 'mirror' ? 'mirror' : 'changelog';
      const partial = delta.configuration[PARTIAL_UPDATES_PROPERTY];
      if (partial !== undefined) this.partialUpdates = partial;
      const stats: Record<string, string> = {};
      for (const key of STATS_PROPERTIES) {
        const value = delta.configuration[key];
        if (value !== undefined) stats[key] = value;
      }
      this.statsConfiguration = stats;
    }
  }
}

export class DeltaTables implements Tables {
  /** Latest known snapshot per table path, least recently used first. */
  private readonly cache = new Map<string, Snapshot>();
  private readonly listeners: ((committed: CommittedTable) => void)[] = [];
  private readonly now: () => number;

  constructor(private readonly options: DeltaTablesOptions) {
    this.now = options.now ?? Date.now;
  }

  onCommitted(listener: (committed: CommittedTable) => void): void {
    this.listeners.push(listener);
  }

  async load(table: TableRef, options: LoadOptions = {}): Promise<TableSnapshot> {
    const path = tablePathOf(table.tableUri, this.options.bucket);
    return new LoadedTable(path, await this.snapshot(path, options.fresh ?? true));
  }

  /** The table's snapshot (cached, or brought up to date when `fresh`), undefined when there is no table. */
  async snapshot(tablePath: string, fresh = true): Promise<Snapshot | undefined> {
    const cached = this.cache.get(tablePath);
    if (cached && !fresh) {
      this.remember(tablePath, cached);
      return cached;
    }
    if (cached) {
      try {
        return this.remember(tablePath, await cached.update());
      } catch {
        // e.g. the commits after the cached version were cleaned up: read the table from its checkpoint instead
        this.cache.delete(tablePath);
      }
    }
    try {
      // Without tombstones: this process keeps its snapshots for as long as it leads, and a busy mirror table's
      // removes (dozens a commit, kept a week) are needed only by checkpoints and vacuum, which load their own.
      return this.remember(
        tablePath,
        await Snapshot.load(this.options.storage, tablePath, { tombstones: false }),
      );
    } catch (error) {
      if (error instanceof TableNotFoundError) return undefined;
      throw error;
    }
  }

  schemaAdmission(snapshot: TableSnapshot): BatchSchemaAdmission {
    return admitSchemas({
      tableSchemaJson: snapshot.schemaJson,
      exists: snapshot.exists,
      mode: this.options.typeWidening,
      ...(this.options.schemaLimits ? { limits: this.options.schemaLimits } : {}),
    });
  }

  commit(prepared: PreparedCommit, signal: AbortSignal): Promise<CommitAttempt> {
    const loaded = prepared.snapshot;
    if (!(loaded instanceof LoadedTable))
      throw new Error('commit: the snapshot was not loaded by this committer');
    return runFenced(signal, async () => {
      if (!loaded.delta) {
        // Once per table: a table nested in another (or around one) loses its files to the other's vacuum.
        const problem = await tableLocationProblem(this.options.storage, loaded.tablePath);
        if (problem) return { kind: 'misplaced', problem };
      }
      const now = this.now();
      const adds = prepared.manifests.flatMap((m) => m.files.map((f) => addAction(f, now)));
      const schema = parseSchema(prepared.schemaJson);
      const upsert = prepared.manifests[0]?.writeMode === WriteMode.UPSERT;
      const base =
        loaded.delta ??
        this.beforeCreation(
          loaded.tablePath,
          schema,
          prepared.partitionColumns,
          now,
          upsert ? prepared.manifests[0] : undefined,
        );
      const metadataActions: Action[] = !loaded.delta
        ? [{ protocol: base.protocol }, { metaData: base.metadata }]
        : prepared.schemaChanged
          ? schemaChange(base, schema, { allowTypeWidening: this.options.typeWidening === 'feature' })
          : [];
      const request: DeltaCommitRequest = {
        actions: [...metadataActions, ...adds.map((add) => ({ add }))],
        txns: prepared.txns.map((t) => ({ appId: t.appId, version: t.version, lastUpdated: now })),
        operation: 'STREAMING UPDATE',
        operationParameters: { outputMode: 'Append' },
        commitInfo: {
          engineInfo: `${COMMITTER_ENGINE} ${ENGINE_INFO}`,
          deltaWriter: provenance(prepared, this.options.committerId),
        },
      };
      if (!upsert) return attemptOf(await this.write(prepared, loaded, base, request));
      const mirror = this.options.mirror;
      if (!mirror)
        throw new Error('upsert manifests need a MirrorPlanner (mirror tables are not configured)');
      // Planning, the Delta commit and the index update of a mirror table happen alone for the table.
      return mirror.exclusive(loaded.tablePath, async () => {
        const plan = await mirror.plan({
          snapshot: base,
          tablePath: loaded.tablePath,
          manifests: prepared.manifests,
          adds: new Map(adds.map((a) => [a.path, a])),
          term: prepared.term,
          now,
          readSidecar: (rel) => this.options.storage.get(`${loaded.tablePath}/${rel}`),
        });
        if (plan.kind === 'refusals') return { kind: 'refused', refusals: plan.refusals };
        if (plan.kind === 'stale') return { kind: 'conflict', reason: plan.reason };
        const written = await this.write(prepared, loaded, base, {
          ...request,
          // Any concurrent data change may have touched the rows this plan deletes: plan again then.
          readWholeTable: true,
          actions: [...metadataActions, ...plan.actions],
          operation: 'MERGE',
          operationParameters: { mergeKey: '_cdc_key', order: '_cdc_seq, _kafka_offset' },
        });
        if (written.kind === 'committed') {
          const { version, metadata } = written.snapshot;
          await mirror.committed(loaded.tablePath, plan, { version, tableId: metadata.id }, prepared.term);
        }
        return attemptOf(written);
      });
    });
  }

  /**
   * Writes an ingest commit: the one place it happens. A lost put-if-absent race (or any conflict delta-log could
   * not rebase over) is a conflict; creating a table takes a single attempt, since losing means someone else
   * created it (the batch plans again on it).
   */
  private async write(
    prepared: PreparedCommit,
    loaded: LoadedTable,
    base: Snapshot,
    request: DeltaCommitRequest,
  ): Promise<Written> {
    let committed: Snapshot;
    try {
      const result = await commit(this.options.storage, base, request, loaded.delta ? {} : { maxRetries: 0 });
      committed = this.remember(loaded.tablePath, result.snapshot);
    } catch (error) {
      this.cache.delete(loaded.tablePath);
      if (error instanceof ConcurrentModificationError) return { kind: 'conflict', reason: error.message };
      throw error;
    }
    const done = { table: prepared.table, tablePath: loaded.tablePath, snapshot: committed };
    for (const listener of this.listeners) listener(done);
    return { kind: 'committed', snapshot: committed };
  }

  forget(): void {
    this.cache.clear();
  }

  /**
   * The state of a table before its version 0: protocol and metadata only. Committing on top of it writes version 0
   * through delta-log's ordinary commit path (validation, put-if-absent), with the first files and their txns.
   */
  private beforeCreation(
    tablePath: string,
    schema: StructType,
    partitionColumns: readonly string[],
    now: number,
    upsert?: CommitRequest,
  ): Snapshot {
    const configuration: Record<string, string> = { ...this.options.tableProperties };
    if (upsert) {
      // Mirror tables: replaced and deleted rows are marked in deletion vectors (merge-on-read), never rewritten.
      configuration['delta.enableDeletionVectors'] = 'true';
      configuration[MODE_PROPERTY] = 'mirror';
      const partial = upsert.mirror ? partialUpdatesName(upsert.mirror.partialUpdates) : undefined;
      if (partial) configuration[PARTIAL_UPDATES_PROPERTY] = partial;
    } else {
      configuration[MODE_PROPERTY] = 'changelog';
    }
    const metadata: Metadata = {
      id: randomUUID(),
      format: { provider: 'parquet', options: {} },
      schemaString: serializeSchema(schema),
      partitionColumns: [...partitionColumns],
      configuration,
      createdTime: now,
    };
    return Snapshot.fromState(this.options.storage, tablePath, {
      version: -1,
      protocol: protocolFor(schema, configuration),
      metadata,
    });
  }

  /** Keeps the snapshot without tombstones: a table this process created (or loaded whole) would pile them up. */
  private remember(tablePath: string, loaded: Snapshot): Snapshot {
    const snapshot = loaded.withoutTombstones();
    this.cache.delete(tablePath);
    this.cache.set(tablePath, snapshot);
    while (this.cache.size > this.options.cacheSize) {
      const oldest = this.cache.keys().next().value as string;
      this.cache.delete(oldest);
    }
    return snapshot;
  }
}

/** What {@link DeltaTables.write} came to: the table after the commit, or a conflict. */
type Written =
  | { readonly kind: 'committed'; readonly snapshot: Snapshot }
  | Extract<CommitAttempt, { kind: 'conflict' }>;

function attemptOf(written: Written): CommitAttempt {
  return written.kind === 'committed' ? { kind: 'committed', version: written.snapshot.version } : written;
}

/** The `add` action of a manifest's data file. */
export function addAction(file: DataFile, now: number): AddFile {
  return {
    path: file.path,
    partitionValues: Object.fromEntries(file.partitionValues.map((v) => [v.column, v.value ?? null])),
    size: file.sizeBytes,
    modificationTime: file.modificationTimeMs > 0 ? file.modificationTimeMs : now,
    dataChange: true,
    // Without stats readers cannot skip the file, but the row count is known: it lets them answer count(*).
    stats: file.statsJson || JSON.stringify({ numRecords: file.recordCount }),
  };
}

/** Who made the commit, for audit: the lease term (fencing token), this replica, the manifests. */
function provenance(prepared: PreparedCommit, committerId: string): Record<string, unknown> {
  const ingestors = [...new Set(prepared.manifests.map((m: CommitRequest) => m.ingestorId))];
  return { term: prepared.term, committer: committerId, manifests: prepared.manifests.length, ingestors };
}
