/**
 * Committing one compaction bin, shared by changelog and mirror compaction: `remove` of the bin's files (with their
 * vectors) + the new file's `add`, dataChange = false, declaring the files read so delta-log rebases it over appends.
 */
import {
  type Action,
  type AddFile,
  type CommitRequest,
  ConcurrentModificationError,
  commit,
  ENGINE_INFO,
  MetadataChangedError,
  ProtocolChangedError,
  type RemoveFile,
  type Snapshot,
} from '@delta-writer/delta-log';
import { COMMITTER_ENGINE } from '../delta/delta-tables.js';
import type { CompactionBin } from './compaction-plan.js';
import type { JobContext } from './context.js';

export interface BinCommit {
  /** The new file; undefined when every row of the bin was deleted. */
  readonly add: AddFile | undefined;
  /** Log label of the run ("compaction", "mirror compaction"). */
  readonly label: string;
  /** Extra `commitInfo.deltaWriter` fields. */
  readonly provenance?: Record<string, unknown>;
}

/** Commits one bin; the snapshot after it, or undefined when a concurrent commit took or changed one of its files. */
export async function commitBin(
  ctx: JobContext,
  tablePath: string,
  start: Snapshot,
  bin: CompactionBin,
  { add, label, provenance }: BinCommit,
): Promise<Snapshot | undefined> {
  let snapshot = start;
  for (let attempt = 1; ; attempt++) {
    const now = Date.now();
    const actions: Action[] = bin.files.map((f) => ({ remove: removeOf(f, now) }));
    if (add) actions.push({ add });
    const request: CommitRequest = {
      actions,
      readFiles: [...bin.files],
      operation: 'OPTIMIZE',
      operationParameters: { predicate: '[]', zOrderBy: '[]', auto: 'true' },
      commitInfo: {
        engineInfo: `${COMMITTER_ENGINE} ${ENGINE_INFO}`,
        deltaWriter: { term: ctx.term, ...provenance },
      },
    };
    try {
      return (await commit(ctx.storage, snapshot, request)).snapshot;
    } catch (error) {
      // A schema change does not invalidate the new file (it holds the old schema, like the files it replaces).
      const retry = error instanceof MetadataChangedError || error instanceof ProtocolChangedError;
      if (retry && attempt < 3) {
        const fresh = await ctx.snapshot(tablePath, true);
        if (!fresh || bin.files.some((f) => !fresh.isLive(f))) {
          return undefined;
        }
        snapshot = fresh;
        continue;
      }
      if (error instanceof ConcurrentModificationError) {
        ctx.logger.info({ table: tablePath, conflict: error.code }, `${label}: bin given up`);
        return undefined;
      }
      throw error;
    }
  }
}

function removeOf(f: AddFile, now: number): RemoveFile {
  return {
    path: f.path,
    deletionTimestamp: now,
    dataChange: false,
    extendedFileMetadata: true,
    partitionValues: f.partitionValues,
    size: f.size,
    ...(f.stats !== undefined ? { stats: f.stats } : {}),
    ...(f.deletionVector ? { deletionVector: f.deletionVector } : {}),
  };
}
