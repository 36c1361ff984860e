/**
 * Conflict detection for optimistic concurrency (after delta-rs `conflict_checker.rs` and Spark's
 * `ConflictChecker`): given what a commit read and changes, decide whether a commit that won the race
 * invalidates it. Blind appends conflict only with protocol/metadata changes and same-appId txns. Pure.
 */
import type { Action, AddFile } from '../actions.js';
import {
  ConcurrentAppendError,
  ConcurrentDeleteDeleteError,
  ConcurrentDeleteReadError,
  ConcurrentDomainMetadataError,
  ConcurrentTransactionError,
  MetadataChangedError,
  ProtocolChangedError,
} from '../errors.js';
import { fileKey } from '../log/replay.js';

/** What a pending commit depends on and touches. */
export interface CommitIntent {
  /** File keys (`fileKey(path, dv)`) this commit removes. */
  removes: ReadonlySet<string>;
  /** File keys this commit read and relies on still being live. */
  readFiles: ReadonlySet<string>;
  /** The commit read the whole table: any concurrent data change conflicts. */
  readWholeTable: boolean;
  /** The commit read the rows matched by this test: concurrent adds it accepts conflict. */
  readMayMatch?: (add: AddFile) => boolean;
  txnAppIds: ReadonlySet<string>;
  domains: ReadonlySet<string>;
}

/** Throws the typed `ConcurrentModificationError` that `winner` (committed as `winnerVersion`) causes, if any. */
export function checkConflicts(
  intent: CommitIntent,
  winner: readonly Action[],
  winnerVersion: number,
  attemptedVersion: number,
): void {
  for (const a of winner) {
    if ('protocol' in a) throw new ProtocolChangedError(attemptedVersion, winnerVersion);
  }
  for (const a of winner) {
    if ('metaData' in a) throw new MetadataChangedError(attemptedVersion, winnerVersion);
  }
  for (const a of winner) {
    if ('add' in a && a.add.dataChange) {
      if (intent.readWholeTable) {
        throw new ConcurrentAppendError(attemptedVersion, winnerVersion, `file ${a.add.path} was added`);
      }
      if (intent.readMayMatch?.(a.add)) {
        throw new ConcurrentAppendError(
          attemptedVersion,
          winnerVersion,
          `file ${a.add.path} matches the read predicate`,
        );
      }
    } else if ('remove' in a) {
      const key = fileKey(a.remove.path, a.remove.deletionVector);
      if (intent.removes.has(key))
        throw new ConcurrentDeleteDeleteError(attemptedVersion, winnerVersion, a.remove.path);
      if (a.remove.dataChange && (intent.readFiles.has(key) || intent.readWholeTable)) {
        throw new ConcurrentDeleteReadError(attemptedVersion, winnerVersion, a.remove.path);
      }
    } else if ('txn' in a && intent.txnAppIds.has(a.txn.appId)) {
      throw new ConcurrentTransactionError(attemptedVersion, winnerVersion, a.txn.appId);
    } else if ('domainMetadata' in a && intent.domains.has(a.domainMetadata.domain)) {
      throw new ConcurrentDomainMetadataError(attemptedVersion, winnerVersion, a.domainMetadata.domain);
    }
  }
}
