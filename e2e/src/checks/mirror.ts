/**
 * A mirror table (DELTA_WRITE_MODE=both) once its pipeline drained: its Delta log (checks/delta-log.ts, deletion
 * vectors included), txn versions equal to the last offsets of its topic — the same ones as its changelog's — and
 * its live rows read by delta-rs and by Spark, which must agree, with at most one live row per key (the table's
 * invariant, docs/mirror-tables.md §3). What the rows must equal is the caller's to say: the generator's model of
 * the collection, or SELECT * FROM the source table.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { checkDeltaLog, type DeltaField } from './delta-log.js';
import type { Readers } from './readers.js';

type Row = Record<string, unknown>;

export interface MirrorRead {
  table: string;
  /** -1 when the table does not exist. */
  version: number;
  fields: DeltaField[];
  /** Live rows by key. */
  rows: Map<string, Row>;
  /** Live files carrying a deletion vector: how much of the mirror path the table exercised. */
  filesWithVectors: number;
  problems: string[];
}

export async function readMirror(
  where: { s3: S3Client; bucket: string; path: string },
  readers: Readers,
  /** appId → the last offset the table must hold. */
  offsets: ReadonlyMap<string, bigint>,
  keyOf: (row: Row) => string,
): Promise<MirrorRead> {
  const log = await checkDeltaLog(where);
  const problems = log.problems.map((p) => `log: ${p}`);
  const out: MirrorRead = {
    table: where.path,
    version: log.version,
    fields: log.fields,
    rows: new Map(),
    filesWithVectors: log.filesWithVectors,
    problems,
  };
  for (const [appId, last] of offsets) {
    const have = log.txns.get(appId);
    if (have !== last) problems.push(`txn ${appId} is ${have ?? 'missing'}, the last offset is ${last}`);
  }
  if (log.version < 0) {
    problems.push('the mirror table does not exist');
    return out;
  }
  const read = await readers.read(`s3://${where.bucket}/${where.path}`, { version: log.version });
  if (read.disagreement) problems.push(`readers disagree: ${read.disagreement}`);
  let twice = 0;
  for (const row of read.rows) {
    const key = keyOf(row);
    if (out.rows.has(key) && twice++ < 5) problems.push(`key ${key} has more than one live row`);
    out.rows.set(key, row);
  }
  if (twice > 5) problems.push(`${twice} keys have more than one live row`);
  return out;
}
