/**
 * Committing with optimistic concurrency (PROTOCOL "Commit Protocol"): write `<v>.json` only if absent;
 * when another writer got there first, read the winning commits, check them for conflicts, and either
 * rebase onto them and try the next version or fail with a typed `ConcurrentModificationError`.
 */
import { randomUUID } from 'node:crypto';
import type { Action, AddFile, CommitInfo, Txn } from '../actions.js';
import { serializeActions } from '../actions.js';
import { writeCheckpoint } from '../checkpoint/write.js';
import { InvalidCommitError, MaxCommitAttemptsError } from '../errors.js';
import { commitFileName, joinPath, LOG_DIR } from '../log/paths.js';
import { fileKey } from '../log/replay.js';
import { fileMayMatch, type Predicate } from '../scan/predicate.js';
import { Scan } from '../scan/scan.js';
import { listLogFiles, readCommit, Snapshot } from '../snapshot.js';
import type { Storage } from '../storage/storage.js';
import { mapLimit } from '../util/concurrency.js';
import { type CommitIntent, checkConflicts } from './conflict.js';
import { hasFeature, validateCommit } from './validate.js';

/** This library's `engineInfo`, written in commitInfo. */
export const ENGINE_INFO = 'delta-log/0.1.0';

/**
 * What {@link commit} writes: actions, txns, what the commit read (for conflict checks), and its commitInfo.
 */
export interface CommitRequest {
  /** add / remove / cdc / domainMetadata actions, plus at most one metaData and one protocol action. */
  actions?: Action[];
  /** Application watermarks committed atomically with the data; `lastUpdated` defaults to now. */
  txns?: Array<Omit<Txn, 'lastUpdated'> & { lastUpdated?: number }>;
  /** Recorded in commitInfo, e.g. `WRITE`, `STREAMING UPDATE`, `DELETE`. */
  operation: string;
  operationParameters?: Record<string, unknown>;
  /** Files (their `add` actions or paths) this commit read; their concurrent removal conflicts. */
  readFiles?: Array<AddFile | string>;
  /** The commit read the whole table (e.g. an overwrite decided on its content). */
  readWholeTable?: boolean;
  /** The commit read the rows matching this predicate: concurrent adds that may match conflict. */
  readPredicate?: Predicate;
  userMetadata?: string;
  /** Extra commitInfo fields (free-form provenance). */
  commitInfo?: Record<string, unknown>;
}

/** Options of {@link commit}. */
export interface CommitOptions {
  /** Attempts after the first one lost a race to a non-conflicting commit (default 15). */
  maxRetries?: number;
  /** Clock (ms), for tests. */
  now?: () => number;
  /**
   * Write a checkpoint after committing a version that is a multiple of `delta.checkpointInterval`
   * (default 10). A failed checkpoint does not fail the commit; see `CommitResult.checkpointError`.
   */
  autoCheckpoint?: boolean;
}

/** The committed version and the snapshot right after it. */
export interface CommitResult {
  /** The version this commit became. */
  version: number;
  /** 1 when the first attempt won. */
  attempts: number;
  /** The table right after this commit (winners it rebased onto included), built without re-reading. */
  snapshot: Snapshot;
  /** Exactly what was written, commitInfo first. */
  actions: Action[];
  /** Set when `autoCheckpoint` wrote a checkpoint for this version. */
  checkpointed?: boolean;
  /** Set when `autoCheckpoint` tried and failed (the commit itself succeeded). */
  checkpointError?: unknown;
}

function intentOf(snapshot: Snapshot, request: CommitRequest, actions: readonly Action[]): CommitIntent {
  const removes = new Set<string>();
  const domains = new Set<string>();
  for (const a of actions) {
    if ('remove' in a) removes.add(fileKey(a.remove.path, a.remove.deletionVector));
    if ('domainMetadata' in a) domains.add(a.domainMetadata.domain);
  }
  const readFiles = new Set<string>(
    (request.readFiles ?? []).map((f) =>
      typeof f === 'string' ? fileKey(f, undefined) : fileKey(f.path, f.deletionVector),
    ),
  );
  // Removing a file means having read it.
  for (const r of removes) readFiles.add(r);
  const predicate = request.readPredicate;
  const intent: CommitIntent = {
    removes,
    readFiles,
    readWholeTable: request.readWholeTable ?? false,
    txnAppIds: new Set((request.txns ?? []).map((t) => t.appId)),
    domains,
  };
  if (predicate) {
    const scan = new Scan(snapshot, {});
    intent.readMayMatch = (add) => {
      const [file] = scan.filesOf([add]);
      return file ? fileMayMatch(predicate, file, snapshot) : true;
    };
  }
  return intent;
}

function buildCommitInfo(
  snapshot: Snapshot,
  request: CommitRequest,
  now: number,
  blindAppend: boolean,
  ict: boolean,
): CommitInfo {
  const info: CommitInfo = {
    timestamp: now,
    operation: request.operation,
    operationParameters: request.operationParameters ?? {},
    readVersion: snapshot.version,
    isolationLevel: 'Serializable',
    isBlindAppend: blindAppend,
    engineInfo: ENGINE_INFO,
    txnId: randomUUID(),
    ...(request.userMetadata !== undefined ? { userMetadata: request.userMetadata } : {}),
    ...request.commitInfo,
  };
  if (ict) {
    // PROTOCOL "In-Commit Timestamps": strictly increasing, and commitInfo must be the first action.
    const prev = snapshot.timestamp;
    return { inCommitTimestamp: Math.max(now, prev + 1), ...info };
  }
  return info;
}

async function maybeCheckpoint(result: CommitResult): Promise<CommitResult> {
  const interval = Number(result.snapshot.configuration['delta.checkpointInterval'] ?? 10);
  if (!(interval > 0) || result.version % interval !== 0) return result;
  try {
    // A snapshot without tombstones cannot make a checkpoint: read this version whole for it.
    const whole = result.snapshot.tracksTombstones
      ? result.snapshot
      : await Snapshot.load(result.snapshot.storage, result.snapshot.tablePath, { version: result.version });
    await writeCheckpoint(whole);
    return { ...result, checkpointed: true };
  } catch (err) {
    return { ...result, checkpointError: err };
  }
}

/**
 * Commits `request` on top of `snapshot`. Returns the committed version, or throws: `InvalidCommitError` /
 * `SchemaEvolutionError` / `UnsupportedFeatureError` before writing anything, a `ConcurrentModificationError`
 * subclass when a concurrent commit conflicts, `MaxCommitAttemptsError` when retries run out.
 */
export async function commit(
  storage: Storage,
  snapshot: Snapshot,
  request: CommitRequest,
  options: CommitOptions = {},
): Promise<CommitResult> {
  if (storage !== snapshot.storage) {
    throw new InvalidCommitError(
      'commit(storage, snapshot): the snapshot was loaded from a different storage',
    );
  }
  const actions = request.actions ?? [];
  const maxRetries = options.maxRetries ?? 15;
  const now = options.now ?? Date.now;
  const validated = validateCommit(snapshot, actions);
  const intent = intentOf(snapshot, request, actions);
  const blindAppend =
    validated.removes.length === 0 &&
    !validated.changesMetadata &&
    !validated.changesProtocol &&
    !request.readWholeTable &&
    !request.readPredicate &&
    (request.readFiles?.length ?? 0) === 0;
  const ict =
    hasFeature(validated.protocol, 'inCommitTimestamp') &&
    validated.metadata.configuration['delta.enableInCommitTimestamps'] === 'true';

  let base = snapshot;
  let version = snapshot.version + 1;
  for (let attempt = 1; ; attempt++) {
    const t = now();
    const txns: Action[] = (request.txns ?? []).map((x) => ({
      txn: { appId: x.appId, version: x.version, lastUpdated: x.lastUpdated ?? t },
    }));
    const written: Action[] = [
      { commitInfo: buildCommitInfo(base, request, t, blindAppend, ict) },
      ...actions,
      ...txns,
    ];
    const path = joinPath(snapshot.tablePath, LOG_DIR, commitFileName(version));
    if (await storage.putIfAbsent(path, new TextEncoder().encode(serializeActions(written)))) {
      const result: CommitResult = {
        version,
        attempts: attempt,
        snapshot: base.withCommits([{ version, actions: written, timestamp: t }]),
        actions: written,
      };
      return options.autoCheckpoint ? maybeCheckpoint(result) : result;
    }
    // Lost the race: read every commit from `version` on, check each, and rebase onto them. The check comes
    // before the retry budget so a caller that gives up still learns *why* (e.g. its txn already landed).
    const listed = await listLogFiles(storage, snapshot.tablePath, version);
    const latest = listed.reduce((m, f) => (f.kind === 'commit' ? Math.max(m, f.version) : m), version);
    // The cost is the winners' (read in parallel, checked in order), never the table's.
    const versions = Array.from({ length: latest - version + 1 }, (_, i) => version + i);
    const read = await mapLimit(versions, 8, (v) => readCommit(storage, snapshot.tablePath, v));
    const winners = versions.map((v, i) => ({ version: v, actions: read[i] as Action[] }));
    for (const w of winners) checkConflicts(intent, w.actions, w.version, version);
    if (attempt > maxRetries) throw new MaxCommitAttemptsError(version, attempt);
    base = base.withCommits(winners);
    version = latest + 1;
  }
}
