/**
 * Builds the committer request for a group of ready batches of one table. Pure.
 *
 * Batches of the same partition are merged into one source range (the request allows one range per partition);
 * that is only valid when they are contiguous, which the per-table queue guarantees by committing in seal order.
 * A mirror table's request is an upsert (`WRITE_MODE_UPSERT`) carrying the row block of every data file.
 */
import { randomUUID } from 'node:crypto';
import {
  type CommitInput,
  type DataFile,
  type MirrorRows,
  PartialUpdates,
  type SourceRange,
  WriteMode,
} from '@delta-writer/proto';
import { MIRROR_ROWS_FORMAT } from '@delta-writer/proto/mirror';
import type { PartialUpdatesMode } from './builder.js';
import { type OffsetRange, type SealedBatch, type Target, tpKey } from './types.js';

/** The part of a sealed batch one table takes, with its data files written (or none): all a commit needs. */
export interface ReadyBatch {
  batch: SealedBatch;
  target: Target;
  /** The offsets this table commits (the batch's range, or its tail on a catch-up). */
  range: OffsetRange;
  files: DataFile[];
  /** The Delta schema of the files; '' when there are none. */
  deltaSchemaJson: string;
  /** The table schema the files were conformed to; '' when the builder did not know it (a new table, a cold cache). */
  builtAgainst?: string;
  /** Mirror tables: the row block of each file. */
  mirrorRows?: MirrorRows[];
  /** Mirror tables: the batch cannot be written safely (why, and what to change); never committed. */
  unsafe?: string;
}

export interface ManifestContext {
  consumerGroup: string;
  ingestorId: string;
  partitionColumns: string[];
  partialUpdates: PartialUpdatesMode;
}

/** Whether `next` may share a request with `group`: same schema (or no files on either side). */
export function compatible(group: readonly ReadyBatch[], next: ReadyBatch): boolean {
  const schema = group.find((r) => r.files.length > 0)?.deltaSchemaJson;
  return schema === undefined || next.files.length === 0 || next.deltaSchemaJson === schema;
}

export function mergeRanges(ranges: readonly OffsetRange[]): OffsetRange {
  const [head, ...rest] = ranges;
  if (head === undefined) throw new Error('mergeRanges: no ranges');
  let merged = { ...head };
  for (const r of rest) {
    if (r.first !== merged.last + 1n) {
      throw new Error(
        `ranges are not contiguous: ${merged.first}..${merged.last} then ${r.first}..${r.last}`,
      );
    }
    merged = { ...merged, last: r.last };
  }
  return merged;
}

export function buildCommitRequest(
  target: Target,
  group: readonly ReadyBatch[],
  ctx: ManifestContext,
): CommitInput {
  const byPartition = new Map<string, ReadyBatch[]>();
  for (const r of group) {
    const key = tpKey(r.batch.topic, r.batch.partition);
    byPartition.set(key, [...(byPartition.get(key) ?? []), r]);
  }
  const sourceRanges: SourceRange[] = [...byPartition.values()].map((rs) => {
    const { topic, partition } = (rs[0] as ReadyBatch).batch;
    const range = mergeRanges(rs.map((r) => r.range));
    return {
      consumerGroup: ctx.consumerGroup,
      topic,
      partition,
      firstOffset: Number(range.first),
      lastOffset: Number(range.last),
      gapAcknowledged: range.gapAcknowledged === true,
    };
  });
  const route = target.route;
  const mirror = target.kind === 'mirror';
  return {
    table: { routingKey: route.routingKey, tableUri: route.tableUri },
    ingestorId: ctx.ingestorId,
    idempotencyId: randomUUID(),
    writeMode: mirror ? WriteMode.UPSERT : WriteMode.APPEND,
    deltaSchemaJson: group.find((r) => r.files.length > 0)?.deltaSchemaJson ?? '',
    partitionColumns: ctx.partitionColumns,
    files: group.flatMap((r) => r.files),
    sourceRanges,
    ...(mirror && {
      mirror: {
        formatVersion: MIRROR_ROWS_FORMAT,
        files: group.flatMap((r) => r.mirrorRows ?? []),
        partialUpdates: ctx.partialUpdates === 'apply' ? PartialUpdates.APPLY : PartialUpdates.SKIP,
      },
    }),
  };
}
