/**
 * `DeltaTable`: the entry point for reading. Holds the storage, the table's location in it, and the latest
 * loaded snapshot; loads other versions (by number or timestamp) and the commit history on demand.
 */
import type { CommitInfo } from './actions.js';
import { type CheckpointOptions, type CheckpointResult, writeCheckpoint } from './checkpoint/write.js';
import { InvalidTableError, VersionNotFoundError } from './errors.js';
import { joinPath } from './log/paths.js';
import { type CleanupOptions, type CleanupResult, cleanupLog } from './maintenance/cleanup.js';
import { type VacuumOptions, type VacuumResult, vacuum } from './maintenance/vacuum.js';
import {
  commitTimeline,
  listLogFiles,
  readCommit,
  Snapshot,
  type SnapshotLoadOptions,
  versionAtTimestamp,
} from './snapshot.js';
import type { Storage } from './storage/storage.js';
import { type OpenStorageOptions, storageForUri } from './storage/uri.js';
import { mapLimit } from './util/concurrency.js';
import { type CommitOptions, type CommitRequest, type CommitResult, commit } from './write/commit.js';
import { type CreateTableOptions, createTable } from './write/create.js';

/** One commit of a table's history. */
export interface HistoryEntry {
  version: number;
  /** Commit time (ms): commitInfo.inCommitTimestamp, else commitInfo.timestamp, else the file time. */
  timestamp: number;
  commitInfo: CommitInfo | undefined;
}

/**
 * A table: its storage, location and latest loaded snapshot; the entry point for reading, time travel,
 * history and simple writes.
 */
export class DeltaTable {
  readonly storage: Storage;
  readonly tablePath: string;
  snapshot: Snapshot;

  private constructor(storage: Storage, tablePath: string, snapshot: Snapshot) {
    this.storage = storage;
    this.tablePath = tablePath;
    this.snapshot = snapshot;
  }

  /** Opens the table at `tablePath` within `storage` and loads its latest (or `options.version`) snapshot. */
  static async open(
    storage: Storage,
    tablePath = '',
    options: SnapshotLoadOptions = {},
  ): Promise<DeltaTable> {
    const path = tablePath.replace(/^\/+|\/+$/g, '');
    return new DeltaTable(storage, path, await Snapshot.load(storage, path, options));
  }

  /** Creates a new table (version 0) and returns it opened. Throws `TableAlreadyExistsError` if one exists. */
  static async create(storage: Storage, tablePath: string, options: CreateTableOptions): Promise<DeltaTable> {
    const path = tablePath.replace(/^\/+|\/+$/g, '');
    return new DeltaTable(storage, path, await createTable(storage, path, options));
  }

  /** Opens a table by URI: a local path, `file://...` or `s3://bucket/prefix`. */
  static async openUri(
    uri: string,
    options: SnapshotLoadOptions & OpenStorageOptions = {},
  ): Promise<DeltaTable> {
    return DeltaTable.open(storageForUri(uri, options), '', options);
  }

  get location(): string {
    return joinPath(this.storage.location, this.tablePath);
  }

  get version(): number {
    return this.snapshot.version;
  }

  /** Reads commits newer than the current snapshot and makes the result current. */
  async update(): Promise<Snapshot> {
    this.snapshot = await this.snapshot.update();
    return this.snapshot;
  }

  /** Commits on top of the current snapshot (see `commit`) and makes the post-commit snapshot current. */
  async commit(request: CommitRequest, options?: CommitOptions): Promise<CommitResult> {
    const result = await commit(this.storage, this.snapshot, request, options);
    this.snapshot = result.snapshot;
    return result;
  }

  /** Writes a checkpoint of the current snapshot. */
  async checkpoint(options?: CheckpointOptions): Promise<CheckpointResult> {
    return writeCheckpoint(this.snapshot, options);
  }

  /** Deletes log files past the log retention (see `cleanupLog`). */
  async cleanupLog(options?: CleanupOptions): Promise<CleanupResult> {
    return cleanupLog(this.snapshot, options);
  }

  /** Lists (default) or deletes unreferenced data files past the retention (see `vacuum`). */
  async vacuum(options?: VacuumOptions): Promise<VacuumResult> {
    return vacuum(this.snapshot, options);
  }

  async snapshotAt(version: number): Promise<Snapshot> {
    if (version === this.snapshot.version) return this.snapshot;
    return Snapshot.load(this.storage, this.tablePath, { version });
  }

  /** The snapshot as of a time: the newest commit at or before it. */
  async snapshotAtTimestamp(at: Date | number): Promise<Snapshot> {
    const ms = at instanceof Date ? at.getTime() : at;
    return this.snapshotAt(await this.versionAtTimestamp(ms));
  }

  /**
   * The newest version committed at or before `ms`. With in-commit timestamps (PROTOCOL "In-Commit
   * Timestamps") versions from the enablement version on are dated by `commitInfo.inCommitTimestamp`
   * (binary search, reading O(log n) commits); earlier ones by file modification time.
   */
  async versionAtTimestamp(ms: number): Promise<number> {
    const conf = this.snapshot.configuration;
    const enabledAt = Number(conf['delta.inCommitTimestampEnablementVersion'] ?? Number.NaN);
    if (conf['delta.enableInCommitTimestamps'] !== 'true' || !Number.isInteger(enabledAt)) {
      return versionAtTimestamp(this.storage, this.tablePath, ms);
    }
    const ict = async (v: number): Promise<number> => {
      const info = (await readCommit(this.storage, this.tablePath, v)).find((a) => 'commitInfo' in a) as
        | { commitInfo: CommitInfo }
        | undefined;
      const ts = info?.commitInfo.inCommitTimestamp;
      if (typeof ts !== 'number')
        throw new InvalidTableError(`commit ${v} lacks commitInfo.inCommitTimestamp`);
      return ts;
    };
    if (ms < (await ict(enabledAt))) {
      if (enabledAt === 0)
        throw new VersionNotFoundError(
          `timestamp ${new Date(ms).toISOString()} is before the table was created`,
        );
      return versionAtTimestamp(this.storage, this.tablePath, ms);
    }
    let lo = enabledAt;
    let hi = this.snapshot.version;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if ((await ict(mid)) <= ms) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** Newest-first commit history (`limit` newest commits; all available by default). */
  async history(limit?: number): Promise<HistoryEntry[]> {
    const timeline = (await commitTimeline(this.storage, this.tablePath)).reverse();
    const picked = limit === undefined ? timeline : timeline.slice(0, limit);
    return mapLimit(picked, 16, async (c) => {
      const info = (await readCommit(this.storage, this.tablePath, c.version)).find(
        (a) => 'commitInfo' in a,
      ) as { commitInfo: CommitInfo } | undefined;
      const ci = info?.commitInfo;
      const ts =
        typeof ci?.inCommitTimestamp === 'number'
          ? ci.inCommitTimestamp
          : typeof ci?.timestamp === 'number'
            ? ci.timestamp
            : c.timestamp;
      return { version: c.version, timestamp: ts, commitInfo: ci };
    });
  }

  /** Whether anything that looks like a Delta log exists at the location. */
  static async exists(storage: Storage, tablePath = ''): Promise<boolean> {
    const files = await listLogFiles(storage, tablePath.replace(/^\/+|\/+$/g, ''), 0);
    return files.length > 0;
  }
}
