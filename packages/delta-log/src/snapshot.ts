/**
 * A Snapshot is the table's reconciled state at one version: protocol, metadata, schema, live files,
 * txn watermarks and domain metadata. Loading lists `_delta_log/` (starting at the `_last_checkpoint`
 * hint), reads the newest complete checkpoint and the commits after it, and replays them.
 */
import type { Action, AddFile, CommitInfo, Metadata, Protocol } from './actions.js';
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
import { StateBuilder, type TableState } from './log/replay.js';
import { buildLogSegment, type CommitFile, type LogSegment } from './log/segment.js';
import { Scan, type ScanOptions } from './scan/scan.js';
import { type ColumnMappingMode, columnMappingMode } from './schema/column-mapping.js';
import { parseSchema, type StructType } from './schema/types.js';
import type { Storage } from './storage/storage.js';
import { mapLimit } from './util/concurrency.js';

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

export class Snapshot {
  readonly storage: Storage;
  /** The table's key prefix within `storage` ('' when the storage is rooted at the table). */
  readonly tablePath: string;
  readonly state: TableState;
  /**
   * The files this snapshot was read from. A snapshot built in memory after a commit (`withCommits`) keeps the
   * checkpoint it started from but lists only the commits that step applied: the full list would grow with
   * every commit of a long-running writer.
   */
  readonly segment: LogSegment;
  readonly protocol: Protocol;
  readonly metadata: Metadata;
  readonly schema: StructType;
  /** Commit timestamp (ms): the in-commit timestamp when present, else the commit file's modification time. */
  readonly timestamp: number;

  constructor(
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
        return await Snapshot.fromSegment(storage, tablePath, segment, options.concurrency ?? 32);
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

  static async fromSegment(
    storage: Storage,
    tablePath: string,
    segment: LogSegment,
    concurrency = 32,
  ): Promise<Snapshot> {
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
      builder = new StateBuilder({ files, tombstones: new CheckpointTombstones(cp.removes, files) });
      builder.apply(cp.actions, segment.checkpoint.version);
    } else builder = new StateBuilder();
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
  get numFiles(): number {
    return this.state.files.size;
  }

  /**
   * A new snapshot with `commits` (consecutive versions after this one, already read) applied in memory.
   * Used after our own commit so the committer does not re-read what it just wrote.
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
