/**
 * VACUUM: delete data files no version within the retention window references. Referenced = live adds,
 * removes whose `deletionTimestamp` is inside `delta.deletedFileRetentionDuration` (time travel may still
 * read them), and their deletion vector files. Hidden paths (`_…`, `.…`, so `_delta_log/`) are never touched, nor
 * anything under a folder that holds a `_delta_log/` of its own (a table nested inside this one).
 * Dry-run is the default: look at the list before deleting.
 */
import { parseInterval } from '../checkpoint/write.js';
import { InvalidCommitError } from '../errors.js';
import { assertWritable } from '../features.js';
import { decodePath } from '../log/replay.js';
import { deletionVectorPath } from '../scan/deletion-vector.js';
import type { Snapshot } from '../snapshot.js';
import type { FileMeta } from '../storage/storage.js';
import { mapLimit } from '../util/concurrency.js';

/** Options of {@link vacuum}. */
export interface VacuumOptions {
  /** Delete for real (default: dry run). */
  dryRun?: boolean;
  /** Override `delta.deletedFileRetentionDuration` (hours). */
  retentionHours?: number;
  /** Allow a retention below the table's configured one (dangerous with concurrent readers/writers). */
  force?: boolean;
  now?: () => number;
}

/** The files {@link vacuum} deleted (or, in a dry run, would delete). */
export interface VacuumResult {
  dryRun: boolean;
  /** Keys relative to the table root. */
  files: string[];
  bytes: number;
}

function isHidden(rel: string): boolean {
  return rel.split('/').some((seg) => (seg.startsWith('_') || seg.startsWith('.')) && !seg.includes('='));
}

function relative(snapshot: Snapshot, path: string): string | undefined {
  const decoded = decodePath(path);
  if (!decoded.startsWith('/') && !/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(decoded)) return decoded;
  const key = snapshot.storage.keyForUri(decoded);
  if (key === undefined) return undefined;
  const prefix = snapshot.tablePath ? `${snapshot.tablePath}/` : '';
  return key.startsWith(prefix) ? key.slice(prefix.length) : undefined;
}

/**
 * Folders below the table root that hold a `_delta_log/` of their own: another table lives there, and its files,
 * which this table's log never references, are not this table's to delete.
 */
export function nestedTableRoots(relativeKeys: readonly string[]): string[] {
  const roots = new Set<string>();
  for (const rel of relativeKeys) {
    const segments = rel.split('/');
    const at = segments.indexOf('_delta_log');
    if (at > 0) roots.add(segments.slice(0, at).join('/'));
  }
  return [...roots];
}

function insideAny(rel: string, roots: readonly string[]): boolean {
  return roots.some((root) => rel.startsWith(`${root}/`));
}

/**
 * Deletes (or, by default, lists) the data files no version within the retention references (see the module
 * comment).
 */
export async function vacuum(snapshot: Snapshot, options: VacuumOptions = {}): Promise<VacuumResult> {
  assertWritable(snapshot.protocol, snapshot.metadata, snapshot.schema);
  const tombstones = snapshot.tombstonesFor('vacuum');
  const configured =
    parseInterval(snapshot.configuration['delta.deletedFileRetentionDuration']) ?? 7 * 86_400_000;
  const retention = options.retentionHours !== undefined ? options.retentionHours * 3_600_000 : configured;
  if (retention < configured && !options.force) {
    throw new InvalidCommitError(
      `vacuum retention ${retention / 3_600_000}h is below the table's ${configured / 3_600_000}h; readers of older versions could lose files (use force to override)`,
    );
  }
  const now = (options.now ?? Date.now)();
  const cutoff = now - retention;
  const keep = new Set<string>();
  const reference = (path: string, dv?: Parameters<typeof deletionVectorPath>[0]) => {
    const rel = relative(snapshot, path);
    if (rel !== undefined) keep.add(rel);
    if (dv && dv.storageType !== 'i') {
      const dvRel =
        dv.storageType === 'u' ? deletionVectorPath(dv) : relative(snapshot, deletionVectorPath(dv));
      if (dvRel !== undefined) keep.add(dvRel);
    }
  };
  for (const add of snapshot.state.files.values()) reference(add.path, add.deletionVector);
  for (const rm of tombstones) {
    if ((rm.deletionTimestamp ?? 0) > cutoff) reference(rm.path, rm.deletionVector);
  }
  const prefix = snapshot.tablePath ? `${snapshot.tablePath}/` : '';
  const listed: FileMeta[] = await snapshot.storage.list(prefix, { recursive: true });
  const nested = nestedTableRoots(listed.map((f) => f.path.slice(prefix.length)));
  const doomed = listed.filter((f) => {
    const rel = f.path.slice(prefix.length);
    return !isHidden(rel) && !keep.has(rel) && f.lastModified < cutoff && !insideAny(rel, nested);
  });
  const dryRun = options.dryRun ?? true;
  if (!dryRun) await mapLimit(doomed, 16, (f) => snapshot.storage.delete(f.path));
  return {
    dryRun,
    files: doomed.map((f) => f.path.slice(prefix.length)),
    bytes: doomed.reduce((n, f) => n + f.size, 0),
  };
}
