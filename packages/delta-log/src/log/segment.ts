/**
 * Choosing the files that reconstruct a version: the newest complete checkpoint at or below it plus the
 * contiguous run of commits after that checkpoint. Pure: works on a listing, does no I/O.
 */
import { InvalidTableError, TableNotFoundError, VersionNotFoundError } from '../errors.js';
import type { LogFile } from './paths.js';

export type CommitFile = Extract<LogFile, { kind: 'commit' }>;
export type CheckpointFile = Extract<LogFile, { kind: 'checkpoint' }>;

export interface CheckpointRef {
  version: number;
  format: 'classic' | 'multipart' | 'v2';
  /** One file, or every part of a multi-part checkpoint in part order. */
  files: CheckpointFile[];
}

/** @internal The log files a snapshot is read from: the newest usable checkpoint and the commits after it. */
export interface LogSegment {
  /** The version this segment reconstructs. */
  version: number;
  checkpoint?: CheckpointRef;
  /** Commits after the checkpoint (or from 0), ascending and contiguous, ending at `version`. */
  commits: CommitFile[];
}

export interface SegmentOptions {
  /** Reconstruct this version instead of the latest. */
  version?: number;
  /** Only consider checkpoints strictly below this version (used to fall back past a corrupt checkpoint). */
  checkpointBefore?: number;
  /** For error messages. */
  location: string;
}

/** Groups the checkpoint files by version and returns the complete checkpoints, newest first. */
export function completeCheckpoints(files: readonly LogFile[]): CheckpointRef[] {
  const byVersion = new Map<number, CheckpointFile[]>();
  for (const f of files) {
    if (f.kind !== 'checkpoint') continue;
    const list = byVersion.get(f.version);
    if (list) list.push(f);
    else byVersion.set(f.version, [f]);
  }
  const out: CheckpointRef[] = [];
  for (const [version, group] of byVersion) {
    // Any single-file checkpoint is complete; prefer V2 (it may carry sidecars) then classic.
    const v2 = group.find((f) => f.format === 'v2');
    if (v2) {
      out.push({ version, format: 'v2', files: [v2] });
      continue;
    }
    const classic = group.find((f) => f.format === 'classic');
    if (classic) {
      out.push({ version, format: 'classic', files: [classic] });
      continue;
    }
    // Multi-part: there may be several attempts with different part counts; use a complete one.
    const byCount = new Map<number, Map<number, CheckpointFile>>();
    for (const f of group) {
      if (f.format !== 'multipart') continue;
      const parts = byCount.get(f.parts) ?? new Map<number, CheckpointFile>();
      byCount.set(f.parts, parts);
      parts.set(f.part, f);
    }
    for (const [count, parts] of byCount) {
      if (parts.size !== count) continue;
      const ordered: CheckpointFile[] = [];
      for (let i = 1; i <= count; i++) {
        const p = parts.get(i);
        if (p) ordered.push(p);
      }
      if (ordered.length === count) {
        out.push({ version, format: 'multipart', files: ordered });
        break;
      }
    }
  }
  return out.sort((a, b) => b.version - a.version);
}

export function buildLogSegment(files: readonly LogFile[], options: SegmentOptions): LogSegment {
  const commits = files
    .filter((f): f is CommitFile => f.kind === 'commit')
    .sort((a, b) => a.version - b.version);
  const checkpoints = completeCheckpoints(files);
  if (commits.length === 0 && checkpoints.length === 0) throw new TableNotFoundError(options.location);

  const latest = Math.max(commits.at(-1)?.version ?? -1, checkpoints[0]?.version ?? -1);
  const target = options.version ?? latest;
  if (!Number.isInteger(target) || target < 0) {
    throw new VersionNotFoundError(`invalid version ${target}`);
  }
  if (target > latest) {
    throw new VersionNotFoundError(`version ${target} does not exist; the latest version is ${latest}`);
  }
  const before = options.checkpointBefore ?? Number.POSITIVE_INFINITY;
  const checkpoint = checkpoints.find((c) => c.version <= target && c.version < before);
  const from = checkpoint ? checkpoint.version + 1 : 0;
  const tail = commits.filter((c) => c.version >= from && c.version <= target);

  if (!checkpoint) {
    const first = commits[0];
    if (first?.version !== 0) {
      const earliest = checkpoints.at(-1)?.version ?? first?.version;
      throw new VersionNotFoundError(
        `cannot reconstruct version ${target}: no checkpoint at or below it and the log starts at version ${earliest} (older commits were cleaned up)`,
      );
    }
  }
  let expected = from;
  for (const c of tail) {
    if (c.version !== expected) {
      throw new InvalidTableError(
        `versions are not contiguous: expected commit ${expected} but found ${c.version} in ${options.location}`,
      );
    }
    expected++;
  }
  const end = tail.at(-1)?.version ?? checkpoint?.version ?? -1;
  if (end !== target) {
    throw new InvalidTableError(
      `versions are not contiguous: commit ${end + 1} is missing in ${options.location}`,
    );
  }
  return checkpoint ? { version: target, checkpoint, commits: tail } : { version: target, commits: tail };
}
