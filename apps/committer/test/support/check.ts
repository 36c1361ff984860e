/** Reading a committed table back (delta-log) to check what it holds. */
import { type Action, readCommitActions, Snapshot, type Storage } from './delta.js';

export interface OffsetCount {
  readonly partition: number;
  readonly offset: number;
  readonly count: number;
}

/** Every (topic_partition, offset) row of an offsets table, with how many times it occurs. */
export async function offsetRows(storage: Storage, tablePath: string): Promise<Map<string, number>> {
  const snapshot = await Snapshot.load(storage, tablePath);
  const table = await snapshot.scan({ columns: ['topic_partition', 'offset'] }).toTable();
  const counts = new Map<string, number>();
  const parts = table.getChild('topic_partition');
  const offsets = table.getChild('offset');
  for (let i = 0; i < table.numRows; i++) {
    const key = `${parts?.get(i)}:${offsets?.get(i)}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/** Problems with the rows: missing offsets in 0..last per partition, duplicates, offsets beyond last. */
export function exactlyOnceProblems(counts: Map<string, number>, last: Map<number, number>): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const [partition, end] of last) {
    for (let o = 0; o <= end; o++) {
      const key = `${partition}:${o}`;
      seen.add(key);
      const n = counts.get(key) ?? 0;
      if (n !== 1) problems.push(`${key} occurs ${n} times`);
    }
  }
  for (const key of counts.keys()) if (!seen.has(key)) problems.push(`${key} was never sent`);
  return problems.slice(0, 20);
}

/** The actions of every commit of the table, by version. */
export async function commits(storage: Storage, tablePath: string): Promise<Action[][]> {
  const snapshot = await Snapshot.load(storage, tablePath);
  const out: Action[][] = [];
  for (let v = 0; v <= snapshot.version; v++) out.push(await readCommitActions(storage, tablePath, v));
  return out;
}
