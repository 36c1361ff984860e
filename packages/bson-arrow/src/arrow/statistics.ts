/**
 * The Delta statistics of a finished batch, per leaf column, from what the builders kept while appending (null count,
 * smallest and largest value): no second pass over the data. The shape is `LeafStatistics` of
 * `@delta-writer/delta-log/files` (bounds in the natural JS form of each column's Delta type), which turns them into a
 * file's `add.stats`; the leaves are those of the Delta schema of the batch — struct members by name, a BSON Timestamp
 * or regex (a two-field struct) by its fields, a list as one leaf with a null count only.
 */
import { PairBuilder } from './builders.js';
import type { Column } from './column.js';

export interface LeafStatistics {
  nullCount: number;
  min?: number | bigint | string;
  max?: number | bigint | string;
}

/** A leaf's key in the statistics map: its path of column names. */
export function statisticsKey(path: readonly string[]): string {
  return path.join('\u0000');
}

/** The statistics of the document columns under `root` (named as built), into `out`. */
export function collectStatistics(root: Column, out: Map<string, LeafStatistics>): void {
  walk(root, [], out);
}

function walk(c: Column, path: string[], out: Map<string, LeafStatistics>): void {
  for (const k of (c.children as Map<string, Column>).values()) {
    const p = [...path, k.name];
    // An untyped column (only nulls, or only values without a type of their own) has no main column, only perhaps
    // an overflow column.
    if (k.kind === 'struct') walk(k, p, out);
    else if (k.leaf instanceof PairBuilder) {
      const [a, b] = k.leaf.fields;
      out.set(statisticsKey([...p, a?.name as string]), of(k.leaf.a));
      out.set(statisticsKey([...p, b?.name as string]), of(k.leaf.b));
    } else if (k.leaf) out.set(statisticsKey(p), of(k.leaf));
    else if (k.kind === 'list') out.set(statisticsKey(p), { nullCount: k.validity?.nullCount ?? 0 });
    if (k.overflow) {
      const name = k.overflowName ?? `${k.name}__ejson`;
      out.set(statisticsKey([...path, name]), of(k.overflow));
    }
  }
}

function of(b: {
  nullCount: number;
  bounds(): { min: number | bigint | string; max: number | bigint | string } | undefined;
}): LeafStatistics {
  const bounds = b.bounds();
  return bounds ? { nullCount: b.nullCount, min: bounds.min, max: bounds.max } : { nullCount: b.nullCount };
}
