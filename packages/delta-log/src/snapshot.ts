/**
 * A Snapshot is the table's reconciled state at one version: protocol, metadata, schema, live files,
 * txn watermarks and domain metadata. Loading lists `_delta_log/` (starting at the `_last_checkpoint`
 * hint), reads the newest complete checkpoint and the commits after it, and replays them.
 */
import type {
  Action,
  AddFile,
  CommitInfo,
  DeletionVectorDescriptor,
  Metadata,
  Protocol,
  RemoveFile,
  Txn,
} from './actions.js';
import { parseActions } from './actions.js';
import { CheckpointFiles, CheckpointTombstones } from './checkpoint/columns.js';
import { readCheckpointContents } from './checkpoint/read.js';
import {
  DeltaError,
  FileNotFoundError,
  InvalidTableError,
  TableNotFoundError,
  VersionNotFoundError,
} from './errors.js';
import { assertReadable } from './features.js';
import { parseLastCheckpoint } from './log/last-checkpoint.js';
import { joinPath, LAST_CHECKPOINT, LOG_DIR, type LogFile, pad20, parseLogFileName } from './log/paths.js';
import { fileKey, StateBuilder, TableState } from './log/replay.js';
import { buildLogSegment, type CommitFile, type LogSegment } from './log/segment.js';
import { Scan, type ScanOptions } from './scan/scan.js';
import { type ColumnMappingMode, columnMappingMode } from './schema/column-mapping.js';
import { parseSchema, type StructType } from './schema/types.js';
import type { Storage } from './storage/storage.js';
import { mapLimit } from './util/concurrency.js';

/** Options of {@link Snapshot.load}. */
export interface SnapshotLoadOptions {
  /** Load this version instead of the latest. */
  version?: number;
  /** Commit files read in parallel (default 32). */
  concurrency?: number;
  /**
   * Told when the table was read around a problem (an unreadable checkpoint replaced by an older one or by the
   * commits). Default: `process.emitWarning` (printed to stderr by Node) with the warning's code.
   */
  onWarning?: (warning: LoadWarning) => void;
  /**
   * Track tombstones (default true). A long-running writer that neither checkpoints nor vacuums from this snapshot
   * can say false: removes then only take files out, and memory follows the live files, not a week of removes (as
   * delta-rs's `require_tombstones`). `buildCheckpoint` and `vacuum` refuse such a snapshot.
   */
  tombstones?: boolean;
}

/** A problem the load worked around; the snapshot is still exact. */
export interface LoadWarning {
  readonly code: 'DELTA_CHECKPOINT_UNREADABLE';
  readonly message: string;
  readonly cause: unknown;
}

function emitWarning(warning: LoadWarning): void {
  process.emitWarning(warning.message, { code: warning.code });
}

const decoder = new TextDecoder();

/** Lists `_delta_log/` files with version >= `from` (all when `from` is 0/undefined). */
export async function listLogFiles(storage: Storage, tablePath: string, from = 0): Promise<LogFile[]> {
  const prefix = `${joinPath(tablePath, LOG_DIR)}/`;
  // Every file of version v-1 starts with `pad(v-1).`; '/' sorts after '.', so this skips exactly those.
  const startAfter = from > 0 ? `${prefix}${pad20(from - 1)}/` : undefined;
  const metas = await storage.list(prefix, startAfter ? { startAfter } : {});
  const out: LogFile[] = [];
  for (const m of metas) {
    const f = parseLogFileName(m.path.slice(prefix.length), m.size, m.lastModified);
    if (f) out.push(f);
  }
  return out;
}

/** The actions of commit `version` of the table at `tablePath`; `FileNotFoundError` when it is not (or no longer) there. */
export async function readCommit(storage: Storage, tablePath: string, version: number): Promise<Action[]> {
  const name = `${pad20(version)}.json`;
  const bytes = await storage.get(joinPath(tablePath, LOG_DIR, name));
  return parseActions(decoder.decode(bytes), name);
}

async function readHint(storage: Storage, tablePath: string): Promise<number | undefined> {
  try {
    const bytes = await storage.get(joinPath(tablePath, LOG_DIR, LAST_CHECKPOINT));
    return parseLastCheckpoint(decoder.decode(bytes))?.version;
  } catch (err) {
    if (err instanceof FileNotFoundError) return undefined;
    throw err;
  }
}

/** What {@link Snapshot.fromState} builds a snapshot from: a table's protocol and metadata at one version. */
export interface SnapshotState {
  /** The version the state is at; -1 for a table about to be created (its version 0 is committed on top). */
  readonly version: number;
  readonly protocol: Protocol;
  readonly metadata: Metadata;
  /** Commit timestamp (ms) of `version`; default 0 (unknown). */
  readonly timestamp?: number;
}

/**
 * A table's reconciled state at one version: protocol, metadata, schema, live files, txns, domain metadata
 * (see the module comment).
 */
export class Snapshot {
  readonly storage: Storage;
  /** The table's key prefix within `storage` ('' when the storage is rooted at the table). */
  readonly tablePath: string;
  /** @internal The reconciled state (log replay's persistent collections); read it through the methods below. */
  readonly state: TableState;
  /**
   * @internal The files this snapshot was read from. A snapshot built in memory after a commit (`withCommits`) keeps
   * the checkpoint it started from but lists only the commits that step applied: the full list would grow with
   * every commit of a long-running writer.
   */
  readonly segment: LogSegment;
  readonly protocol: Protocol;
  readonly metadata: Metadata;
  readonly schema: StructType;
  /** Commit timestamp (ms): the in-commit timestamp when present, else the commit file's modification time. */
  readonly timestamp: number;

  /** Snapshots come from {@link Snapshot.load}, {@link Snapshot.fromState}, `update` and `withCommits`. */
  private constructor(
    storage: Storage,
    tablePath: string,
    state: TableState,
    segment: LogSegment,
    timestamp: number,
    /** A snapshot of the same table whose parsed schema can be reused when the metadata did not change. */
    previous?: Snapshot,
  ) {
    if (!state.protocol)
      throw new InvalidTableError(`no protocol action found reconstructing version ${state.version}`);
    if (!state.metadata)
      throw new InvalidTableError(`no metaData action found reconstructing version ${state.version}`);
    assertReadable(state.protocol);
    this.storage = storage;
    this.tablePath = tablePath;
    this.state = state;
    this.segment = segment;
    this.protocol = state.protocol;
    this.metadata = state.metadata;
    this.schema =
      previous?.metadata === state.metadata ? previous.schema : parseSchema(state.metadata.schemaString);
    this.timestamp = timestamp;
  }

  /**
   * A snapshot from a state held in memory, without reading the log: the table's protocol and metadata at
   * `state.version`, and no live files, txns or domain metadata. Two uses: a table about to be created (version -1;
   * `commit` on it writes version 0 through the ordinary commit path, with put-if-absent and validation), and
   * reading or writing data files whose actions the caller already holds (e.g. a worker thread handed a table's
   * protocol and metadata: `scan().filesOf(adds)`, `writeDataFile`). Throws like `load` for an unreadable protocol.
   */
  static fromState(storage: Storage, tablePath: string, state: SnapshotState): Snapshot {
    const table = new TableState();
    table.version = state.version;
    table.protocol = state.protocol;
    table.metadata = state.metadata;
    return new Snapshot(
      storage,
      tablePath,
      table,
      { version: state.version, commits: [] },
      state.timestamp ?? 0,
    );
  }

  /** Loads the latest snapshot (or `options.version`). */
  static async load(storage: Storage, tablePath = '', options: SnapshotLoadOptions = {}): Promise<Snapshot> {
    const location = joinPath(storage.location, tablePath);
    let hint = await readHint(storage, tablePath);
    if (hint !== undefined && options.version !== undefined && hint > options.version) hint = undefined;
    let files = await listLogFiles(storage, tablePath, hint ?? 0);
    let segment: LogSegment | undefined;
    if (hint !== undefined) {
      try {
        segment = buildLogSegment(files, {
          location,
          ...(options.version !== undefined ? { version: options.version } : {}),
        });
        if (segment.checkpoint?.version !== hint) segment = undefined;
      } catch {
        segment = undefined;
      }
      // A hint that does not match the listing (stale, corrupt, or cleaned up) only costs a full listing.
      if (!segment) files = await listLogFiles(storage, tablePath, 0);
    }
    const opts = { location, ...(options.version !== undefined ? { version: options.version } : {}) };
    // Only a segment built from the hint's listing misses the log before the hint.
    let listedFromStart = segment === undefined;
    segment ??= buildLogSegment(files, opts);
    for (;;) {
      try {
        return await Snapshot.fromSegment(storage, tablePath, segment, {
          concurrency: options.concurrency ?? 32,
          tombstones: options.tombstones ?? true,
        });
      } catch (err) {
        // An unreadable checkpoint is skipped in favour of an older one or the commits (as Spark does); anything
        // else is fatal. The listing started at the hint's checkpoint, so the fallback lists the whole log: the
        // older checkpoints and commits are before it.
        const cp = segment.checkpoint;
        if (!cp || !(err instanceof CheckpointReadError))
          throw err instanceof CheckpointReadError ? err.cause : err;
        if (!listedFromStart) {
          files = await listLogFiles(storage, tablePath, 0);
          listedFromStart = true;
        }
        const why = err.cause instanceof Error ? err.cause.message : String(err.cause);
        try {
          segment = buildLogSegment(files, { ...opts, checkpointBefore: cp.version });
        } catch (fallback) {
          if (!(fallback instanceof DeltaError)) throw fallback;
          throw new InvalidTableError(
            `checkpoint ${cp.version} of ${location} is unreadable (${why}), and the table cannot be read without it: ${fallback.message}`,
            { cause: err.cause },
          );
        }
        (options.onWarning ?? emitWarning)({
          code: 'DELTA_CHECKPOINT_UNREADABLE',
          message: `checkpoint ${cp.version} of ${location} is unreadable (${why}); read from ${segment.checkpoint ? `checkpoint ${segment.checkpoint.version}` : 'the commits'} instead`,
          cause: err.cause,
        });
      }
    }
  }

  /** @internal Reads the files of a log segment (see `load`). */
  static async fromSegment(
    storage: Storage,
    tablePath: string,
    segment: LogSegment,
    options: { concurrency?: number; tombstones?: boolean } = {},
  ): Promise<Snapshot> {
    const concurrency = options.concurrency ?? 32;
    // The checkpoint and the commits after it are fetched at the same time; replay waits for both.
    const checkpoint = segment.checkpoint
      ? readCheckpointContents(storage, tablePath, segment.checkpoint).catch((err: unknown) => {
          throw new CheckpointReadError(err);
        })
      : undefined;
    const commits = mapLimit(segment.commits, concurrency, (c) => readCommit(storage, tablePath, c.version));
    // Neither rejection may go unobserved while the other is awaited.
    const [cp, actions] = await Promise.all([checkpoint, commits]);
    let builder: StateBuilder;
    if (cp && segment.checkpoint) {
      const files = new CheckpointFiles(cp.adds);
      builder = new StateBuilder(
        { files, tombstones: new CheckpointTombstones(cp.removes, files) },
        { tombstones: options.tombstones ?? true },
      );
      builder.apply(cp.actions, segment.checkpoint.version);
    } else builder = new StateBuilder({}, { tombstones: options.tombstones ?? true });
    segment.commits.forEach((c, i) => {
      builder.apply(actions[i] as Action[], c.version);
    });
    const state = builder.finish();
    const last = segment.commits.at(-1);
    return new Snapshot(storage, tablePath, state, segment, commitTimestamp(state.commitInfo, last));
  }

  get version(): number {
    return this.state.version;
  }
  /** The version of the checkpoint this snapshot was read from (undefined: it was read from the commits alone). */
  get checkpointVersion(): number | undefined {
    return this.segment.checkpoint?.version;
  }
  get partitionColumns(): string[] {
    return this.metadata.partitionColumns;
  }
  get configuration(): Record<string, string> {
    return this.metadata.configuration;
  }
  get columnMappingMode(): ColumnMappingMode {
    return columnMappingMode(this.metadata);
  }

  /**
   * The last committed `txn.version` for `appId`, or `undefined` if the app never committed. A version beyond
   * ±2^53 (written by another engine) is a bigint: it is never rounded.
   */
  txnVersion(appId: string): number | bigint | undefined {
    return this.state.txns.get(appId)?.version;
  }

  /** The last `txn` of every application that committed one (versions beyond ±2^53 are bigints). */
  txns(): Txn[] {
    return [...this.state.txns.values()];
  }

  /** The configuration string of an active domain, or `undefined`. */
  domainMetadata(domain: string): string | undefined {
    const d = this.state.domains.get(domain);
    return d && !d.removed ? d.configuration : undefined;
  }

  /** Live data files (materialized from the checkpoint's columns on each call: keep the array to reuse it). */
  files(): AddFile[] {
    return [...this.state.files.values()];
  }

  /** The live file at `path` (as written in the log, encoded or not), whatever its deletion vector. */
  liveFile(path: string): AddFile | undefined {
    return this.state.files.byPathOf(path);
  }

  /**
   * Whether this exact file is live: its path (encoded or not) with this deletion vector (none for none). A file
   * whose deletion vector was replaced since `file` was read is not.
   */
  isLive(file: { readonly path: string; readonly deletionVector?: DeletionVectorDescriptor }): boolean {
    return this.state.files.has(fileKey(file.path, file.deletionVector));
  }

  /** Whether this snapshot tracks tombstones (see `SnapshotLoadOptions.tombstones`); kept by `update`. */
  get tracksTombstones(): boolean {
    return this.state.tombstones !== null;
  }

  /** This snapshot without its tombstones, as if loaded with `tombstones: false` (O(1); this one is unchanged). */
  withoutTombstones(): Snapshot {
    if (this.state.tombstones === null) return this;
    const state = this.state.clone();
    state.tombstones = null;
    return new Snapshot(this.storage, this.tablePath, state, this.segment, this.timestamp, this);
  }

  /** @internal The tombstones, for a checkpoint or vacuum: refused when this snapshot does not track them. */
  tombstonesFor(use: 'a checkpoint' | 'vacuum'): IterableIterator<RemoveFile> {
    if (this.state.tombstones === null) {
      throw new DeltaError(
        'DELTA_TOMBSTONES_NOT_TRACKED',
        `${use} of ${joinPath(this.storage.location, this.tablePath)} needs its tombstones, and this snapshot was loaded with { tombstones: false }: load one with them`,
      );
    }
    return this.state.tombstones.values();
  }

  get numFiles(): number {
    return this.state.files.size;
  }

  /**
   * A new snapshot with `commits` (consecutive versions after this one, already read) applied in memory.
   * Used after a writer's own commit, so that it does not re-read what it just wrote.
   */
  withCommits(
    commits: ReadonlyArray<{ version: number; actions: readonly Action[]; timestamp?: number }>,
  ): Snapshot {
    // O(actions × log n): the state's collections are persistent, so this shares everything it does not change.
    const state = this.state.clone();
    let expected = this.version + 1;
    const files: CommitFile[] = [];
    let ts = this.timestamp;
    for (const c of commits) {
      if (c.version !== expected)
        throw new InvalidTableError(`commit ${c.version} applied out of order (expected ${expected})`);
      state.apply(c.actions, c.version);
      const name = `${pad20(c.version)}.json`;
      ts = commitTimestamp(state.commitInfo, undefined) || (c.timestamp ?? Date.now());
      files.push({ kind: 'commit', version: c.version, name, size: 0, lastModified: ts });
      expected++;
    }
    const segment: LogSegment = { ...this.segment, version: state.version, commits: files };
    return new Snapshot(this.storage, this.tablePath, state, segment, ts, this);
  }

  /** Plans a read of this snapshot's rows (see `Scan`). */
  scan(options: ScanOptions = {}): Scan {
    return new Scan(this, options);
  }

  /**
   * Brings this snapshot up to the latest version, reading only the new commits. Throws `TableNotFoundError`
   * when the table's log is gone (nothing at or after this version is listed any more).
   */
  async update(): Promise<Snapshot> {
    // Listing from this version (not the next) tells "no new commits" apart from "the table was deleted":
    // log cleanup never removes the newest version's files.
    const files = await listLogFiles(this.storage, this.tablePath, Math.max(0, this.version));
    if (files.length === 0 && this.version >= 0) {
      throw new TableNotFoundError(joinPath(this.storage.location, this.tablePath));
    }
    const newCommits = files
      .filter((f): f is CommitFile => f.kind === 'commit' && f.version > this.version)
      .sort((a, b) => a.version - b.version);
    if (newCommits.length === 0) return this;
    newCommits.forEach((c, i) => {
      if (c.version !== this.version + 1 + i) {
        throw new InvalidTableError(`versions are not contiguous after ${this.version}: found ${c.version}`);
      }
    });
    const actions = await mapLimit(newCommits, 32, (c) =>
      readCommit(this.storage, this.tablePath, c.version),
    );
    return this.withCommits(
      newCommits.map((c, i) => ({
        version: c.version,
        actions: actions[i] as Action[],
        timestamp: c.lastModified,
      })),
    );
  }
}

class CheckpointReadError extends DeltaError {
  constructor(cause: unknown) {
    super('DELTA_CHECKPOINT_UNREADABLE', 'checkpoint unreadable', { cause });
  }
}

function commitTimestamp(info: CommitInfo | undefined, file: CommitFile | undefined): number {
  if (typeof info?.inCommitTimestamp === 'number') return info.inCommitTimestamp;
  return file?.lastModified ?? 0;
}

/** Commit timestamps made monotonic the way Delta does for time travel (file times can go backwards). */
export async function commitTimeline(
  storage: Storage,
  tablePath: string,
): Promise<Array<{ version: number; timestamp: number }>> {
  const files = await listLogFiles(storage, tablePath, 0);
  const commits = files
    .filter((f): f is CommitFile => f.kind === 'commit')
    .sort((a, b) => a.version - b.version);
  const out: Array<{ version: number; timestamp: number }> = [];
  let prev = Number.NEGATIVE_INFINITY;
  for (const c of commits) {
    const ts = Math.max(c.lastModified, prev + 1);
    out.push({ version: c.version, timestamp: ts });
    prev = ts;
  }
  return out;
}

/** The newest version committed at or before `timestamp` (ms). */
export async function versionAtTimestamp(
  storage: Storage,
  tablePath: string,
  timestamp: number,
): Promise<number> {
  const timeline = await commitTimeline(storage, tablePath);
  let found: number | undefined;
  for (const c of timeline) if (c.timestamp <= timestamp) found = c.version;
  if (found === undefined) {
    const first = timeline[0];
    throw new VersionNotFoundError(
      first
        ? `timestamp ${new Date(timestamp).toISOString()} is before the earliest available commit (${new Date(first.timestamp).toISOString()}, version ${first.version})`
        : 'the table has no commits',
    );
  }
  return found;
}
