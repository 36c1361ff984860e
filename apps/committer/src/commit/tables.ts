/**
 * The seam between the committer's coordination logic and the Delta log: everything the commit path needs from a
 * table, as one interface, {@link Tables}. Its implementation on `@delta-writer/delta-log` is `DeltaTables`
 * (delta/delta-tables.ts); behind the seam the scheduling, exactly-once planning and gRPC layers are tested without
 * object storage. Everything an attempt can come to — a commit, a conflict, refused manifests, a refused table —
 * comes back as a value ({@link CommitAttempt}); only failures (I/O, a lost leadership) are thrown.
 */
import type { CommitRequest, Refusal, TableRef } from '@delta-writer/proto';
import type { TableMode } from './table-mode.js';

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

/** What one attempt to write a batch's Delta commit came to. */
export type CommitAttempt =
  /** The commit is in the table. */
  | { readonly kind: 'committed'; readonly version: number }
  /**
   * The table moved on since the snapshot (another writer won the version, a cached snapshot was stale): plan the
   * batch again on a fresh snapshot, where what the winner committed shows.
   */
  | { readonly kind: 'conflict'; readonly reason: string }
  /** These manifests cannot go in as they are (answer them with their refusals); plan the others again. */
  | { readonly kind: 'refused'; readonly refusals: ReadonlyMap<CommitRequest, Refusal> }
  /** The table may not be created where it was asked for (inside or around another table): refused for good. */
  | { readonly kind: 'misplaced'; readonly problem: string };

export interface LoadOptions {
  /**
   * Read the log for commits newer than any cached snapshot (default true). The batch plans its first attempt on
   * a cached snapshot (false): a stale one can only make the commit lose the put-if-absent race and be planned again,
   * while refusals and conflict re-plans always use a fresh one.
   */
  readonly fresh?: boolean;
}

export interface Tables {
  /** The latest snapshot of the table (exists = false when there is none yet). */
  load(table: TableRef, options?: LoadOptions): Promise<TableSnapshot>;
  schemaAdmission(snapshot: TableSnapshot): SchemaAdmission;
  /**
   * Writes the commit with put-if-absent, once: what it came to is the returned {@link CommitAttempt}. Stops
   * without writing when `signal` is aborted (leadership lost), by throwing its reason.
   */
  commit(prepared: PreparedCommit, signal: AbortSignal): Promise<CommitAttempt>;
  /** Drops cached snapshots (a new leadership term starts from the log). */
  forget?(): void;
}
