/**
 * The seam between the committer's coordination logic and the Delta log. Everything here is what the committer needs
 * from a table; the implementation on top of `@delta-writer/delta-log` lives behind it, so the scheduling,
 * exactly-once planning and gRPC layers are tested without object storage.
 */
import type { CommitRequest, Refusal, TableRef } from '@delta-writer/proto';

/** A table as of its latest version. */
export interface TableSnapshot {
  readonly exists: boolean;
  /** Latest version; -1 when the table does not exist. */
  readonly version: number;
  /** Delta `schemaString` of the table; empty when it does not exist. */
  readonly schemaJson: string;
  readonly partitionColumns: readonly string[];
  /** The version of every `txn` appId in the table (ours and any other writer's). */
  readonly txnVersions: ReadonlyMap<string, number>;
  /**
   * What the table is (its `delta-writer.mode` property; a table without it is a changelog): a mirror table takes
   * only upsert manifests, a changelog table only append manifests. Undefined when the table does not exist.
   */
  readonly mode?: TableMode;
  /** Mirror tables: how partial updates are treated (`delta-writer.partialUpdates`), fixed at creation. */
  readonly partialUpdates?: string;
  /** The table properties that decide data files' statistics (`delta.dataSkipping*`), those that are set. */
  readonly statsConfiguration?: Readonly<Record<string, string>>;
}

/** The table properties a writer of data files needs for their statistics. */
export const STATS_PROPERTIES = [
  'delta.dataSkippingNumIndexedCols',
  'delta.dataSkippingStatsColumns',
] as const;

export type TableMode = 'mirror' | 'changelog';

/** The table properties that record a table's mode and partial-update setting. */
export const MODE_PROPERTY = 'delta-writer.mode';
export const PARTIAL_UPDATES_PROPERTY = 'delta-writer.partialUpdates';

/** Merges manifest schemas into the table schema, manifest by manifest, as the batch is planned. */
export interface SchemaAdmission {
  /** A SCHEMA_INCOMPATIBLE refusal when the manifest's schema cannot be merged; otherwise merges it. */
  admit(manifest: CommitRequest): Refusal | undefined;
  /** The table schema with every admitted manifest merged in. */
  readonly schemaJson: string;
  /** Whether it differs from the snapshot's (the commit then carries a metaData action). */
  readonly changed: boolean;
}

/** One Delta commit: the files of `manifests`, the txn actions, and the schema change if any. */
export interface PreparedCommit {
  readonly table: TableRef;
  /** The snapshot the plan was made against: the commit goes to version `snapshot.version + 1`. */
  readonly snapshot: TableSnapshot;
  readonly manifests: readonly CommitRequest[];
  readonly txns: readonly { readonly appId: string; readonly version: number }[];
  /** Table schema after the commit (for creation or a metaData action when `schemaChanged`). */
  readonly schemaJson: string;
  readonly schemaChanged: boolean;
  /** Partition columns, used when the commit creates the table. */
  readonly partitionColumns: readonly string[];
  /** The leadership term (fencing token) that makes the commit; recorded in commitInfo for audit. */
  readonly term: number;
}

export interface LoadOptions {
  /**
   * Read the log for commits newer than any cached snapshot (default true). The batch plans its first attempt on
   * a cached snapshot (false): a stale one can only make the commit lose the put-if-absent race and be planned again,
   * while refusals and conflict re-plans always use a fresh one.
   */
  readonly fresh?: boolean;
}

export interface TableCommitter {
  /** The latest snapshot of the table (exists = false when there is none yet). */
  load(table: TableRef, options?: LoadOptions): Promise<TableSnapshot>;
  schemaAdmission(snapshot: TableSnapshot): SchemaAdmission;
  /**
   * Writes the commit with put-if-absent and returns the committed version. Throws {@link CommitConflictError} when
   * another writer committed since the snapshot (then the batch is planned again on a fresh snapshot), and stops
   * without writing when `signal` is aborted (leadership lost).
   */
  commit(prepared: PreparedCommit, signal: AbortSignal): Promise<number>;
  /** Drops cached snapshots (a new leadership term starts from the log). */
  forget?(): void;
}

/** The table moved on since the snapshot the commit was planned on. */
export class CommitConflictError extends Error {
  override readonly name = 'CommitConflictError';
  constructor(
    message: string,
    readonly kind: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A table may not be created where it was asked for (inside or around another table); refused for good. */
export class TableLocationError extends Error {
  override readonly name = 'TableLocationError';
}
