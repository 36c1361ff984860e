/**
 * Builds the committer request for a group of ready batches of one table. Pure.
 *
 * Batches of the same partition are merged into one source range (the request allows one range per partition);
 * that is only valid when they are contiguous, which the per-table queue guarantees by committing in seal order.
 */
import { randomUUID } from 'node:crypto';
import { type CommitInput, type DataFile, type SourceRange, WriteMode } from '@delta-writer/proto';
import type { TableRoute } from '../routing.js';
import { type OffsetRange, type SealedBatch, tpKey } from './types.js';

/** A sealed batch whose data files are written (or that has none): all a commit needs. */
export interface ReadyBatch {
  batch: SealedBatch;
  files: DataFile[];
  /** The Delta schema of the files; '' when there are none. */
  deltaSchemaJson: string;
}

export interface ManifestContext {
  consumerGroup: string;
  ingestorId: string;
  partitionColumns: string[];
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
  route: TableRoute,
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
    const range = mergeRanges(rs.map((r) => r.batch.range));
    return {
      consumerGroup: ctx.consumerGroup,
      topic,
      partition,
      firstOffset: Number(range.first),
      lastOffset: Number(range.last),
      gapAcknowledged: range.gapAcknowledged === true,
    };
  });
  return {
    table: { routingKey: route.routingKey, tableUri: route.tableUri },
    ingestorId: ctx.ingestorId,
    idempotencyId: randomUUID(),
    writeMode: WriteMode.APPEND,
    deltaSchemaJson: group.find((r) => r.files.length > 0)?.deltaSchemaJson ?? '',
    partitionColumns: ctx.partitionColumns,
    files: group.flatMap((r) => r.files),
    sourceRanges,
  };
}
