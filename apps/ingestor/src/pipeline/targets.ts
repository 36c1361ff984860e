/**
 * Which tables a topic's records go to, and which part of each sealed batch every table takes. Pure.
 *
 * `DELTA_WRITE_MODE`: `append` → the changelog at the topic's table; `upsert` → the mirror there; `both` → the mirror
 * at `<table>` and the changelog at `<table>_changelog`, each committed on its own (its own `txn` actions). When a
 * partition is assigned, its tables may hold different offsets (one was behind when the last owner stopped, or it
 * is new): the partition starts at the lowest position and each table takes only the records after its own
 * committed offset — the catch-up — then both go on with the same ranges.
 */
import type { TableRoute } from '../routing.js';
import type { OffsetRange, SealedBatch, Target, TargetBatch } from './types.js';

export type WriteMode = 'append' | 'upsert' | 'both';

export const CHANGELOG_SUFFIX = '_changelog';

export function targetsFor(route: TableRoute, mode: WriteMode): Target[] {
  const changelog = (r: TableRoute): Target => ({ key: r.tableUri, kind: 'changelog', route: r });
  const mirror: Target = { key: route.tableUri, kind: 'mirror', route };
  if (mode === 'append') return [changelog(route)];
  if (mode === 'upsert') return [mirror];
  return [
    mirror,
    changelog({
      routingKey: `${route.routingKey}${CHANGELOG_SUFFIX}`,
      tablePath: `${route.tablePath}${CHANGELOG_SUFFIX}`,
      tableUri: `${route.tableUri}${CHANGELOG_SUFFIX}`,
    }),
  ];
}

/** Where one target's data starts in a partition: offsets up to `floor` are in its table already. */
export interface TargetStart {
  floor: bigint;
  /** The target's first range must say that offsets before it are gone from Kafka. */
  gapAcknowledged: boolean;
}

/**
 * The part of `batch` each target takes. `starts` holds, per target key, where a target starts that has not taken a
 * batch yet; targets that took their first part are removed from it (later batches go to them whole).
 */
export function splitForTargets(
  batch: Pick<SealedBatch, 'range' | 'records'>,
  targets: readonly Target[],
  starts: Map<string, TargetStart>,
): TargetBatch[] {
  const out: TargetBatch[] = [];
  for (const target of targets) {
    const start = starts.get(target.key);
    if (!start) {
      out.push({ target, range: batch.range, fromIndex: 0 });
      continue;
    }
    if (start.floor >= batch.range.last) continue; // the table has all of it
    const first = start.floor + 1n > batch.range.first ? start.floor + 1n : batch.range.first;
    const range: OffsetRange = {
      first,
      last: batch.range.last,
      ...((start.gapAcknowledged || (first === batch.range.first && batch.range.gapAcknowledged)) && {
        gapAcknowledged: true,
      }),
    };
    const offsets = batch.records.offsets;
    let at = 0;
    while (at < offsets.length && (offsets[at] as bigint) < first) at++;
    out.push({ target, range, fromIndex: at });
    starts.delete(target.key);
  }
  return out;
}
