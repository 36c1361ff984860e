/**
 * Checks of a changelog table fed by the Debezium PostgreSQL connector: one row per change record of the topic (by
 * Kafka position), the rows in source order (`_cdc_seq`) equal to the changes PostgreSQL made — snapshot reads as a
 * set, then every streamed change in commit order — and the changelog replayed by primary key equal to
 * `SELECT * FROM` the source table at the end, as the mirror table's rows must be (the same comparison).
 */
import type { InRecord } from '../harness/kafka.js';
import type { PgChange } from '../harness/postgres.js';

type Row = Record<string, unknown>;

export interface RelationalResult {
  events: number;
  lost: number;
  duplicated: number;
  problems: string[];
}

const data = (row: Row): Row =>
  Object.fromEntries(
    Object.keys(row)
      .filter((k) => !/^_(cdc|kafka)_/.test(k) && row[k] !== null && row[k] !== undefined)
      .sort()
      .map((k) => [k, row[k]]),
  );
const text = (row: Row) => JSON.stringify(data(row));
const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const sortKeys = (row: Row) =>
  JSON.stringify(Object.fromEntries(Object.entries(row).sort(([a], [b]) => (a < b ? -1 : 1))));

export function checkRelationalChangelog(
  topic: string,
  rows: readonly Row[],
  records: readonly InRecord[],
  expected: { snapshot: Map<string, Row>; changes: PgChange[]; final: Map<string, Row> },
): RelationalResult {
  const problems: string[] = [];
  const problem = (p: string) => {
    if (problems.length < 20) problems.push(p);
  };
  // exactly once, by position: every change record (not the tombstones) is one row
  const positions = new Map<string, number>();
  for (const r of rows) {
    const at = `${r._kafka_topic}/${r._kafka_partition}@${r._kafka_offset}`;
    positions.set(at, (positions.get(at) ?? 0) + 1);
  }
  const changeRecords = records.filter((r) => r.value !== null);
  let lost = 0;
  let duplicated = 0;
  for (const r of changeRecords) {
    const at = `${topic}/${r.partition}@${r.offset}`;
    const n = positions.get(at) ?? 0;
    positions.delete(at);
    if (n === 0) {
      lost++;
      problem(`lost: ${at}`);
    } else if (n > 1) {
      duplicated += n - 1;
      problem(`duplicated ×${n}: ${at}`);
    }
  }
  for (const at of positions.keys()) problem(`row at ${at} matches no change record`);

  // content, in source order
  // A consistent three-way comparison: the snapshot's reads share one sequence, and a comparator that never says
  // "equal" lets the sort scatter them among the streamed changes. Equal sequences are ordered by Kafka position, as
  // the mirror orders them (docs/mirror-tables.md §4): the first change streamed after the snapshot can sit at the
  // snapshot's LSN (seen: a delete at the LSN of the reads, which the replay then put before the row's read).
  const ordered = [...rows].sort(
    (a, b) =>
      compare(String(a._cdc_seq), String(b._cdc_seq)) ||
      Number(a._kafka_partition) - Number(b._kafka_partition) ||
      compare(String(a._kafka_offset).padStart(20, '0'), String(b._kafka_offset).padStart(20, '0')),
  );
  const reads = ordered.filter((r) => r._cdc_op === 'r');
  const streamed = ordered.filter((r) => r._cdc_op !== 'r');
  const snapshot = new Set([...expected.snapshot.values()].map(sortKeys));
  const readSet = new Set(reads.map(text));
  if (reads.length !== expected.snapshot.size || [...snapshot].some((s) => !readSet.has(s))) {
    problem(`snapshot: ${reads.length} reads, want the ${expected.snapshot.size} rows that existed`);
  }
  if (streamed.length !== expected.changes.length) {
    problem(`${streamed.length} streamed rows, PostgreSQL made ${expected.changes.length} changes`);
  }
  let differing = 0;
  expected.changes.forEach((c, i) => {
    const r = streamed[i];
    const want = `${c.op} ${sortKeys(c.row)}`;
    const got = r ? `${String(r._cdc_op)} ${text(r)}` : 'nothing';
    if (got !== want && differing++ < 5)
      problem(`change ${i}: the table holds ${got.slice(0, 400)}, want ${want.slice(0, 400)}`);
  });
  if (differing > 5) problem(`${differing} changes differ`);

  // replay by primary key = SELECT * FROM the source table
  const state = new Map<string, Row>();
  for (const r of ordered) {
    const id = String(r.id);
    if (r._cdc_op === 'd') state.delete(id);
    else state.set(id, r);
  }
  const replay = compareWithSource('replay', state, expected.final);
  if (replay) problem(replay);
  return { events: changeRecords.length, lost, duplicated, problems };
}

/**
 * Rows by primary key (a replayed changelog, a mirror table's live rows) against `SELECT * FROM` the source table:
 * the same data columns with the same values, no row more or less. A sentence when they differ.
 */
export function compareWithSource(
  label: string,
  rows: ReadonlyMap<string, Row>,
  final: ReadonlyMap<string, Row>,
): string | undefined {
  const wrong = [...final].filter(([id, row]) => {
    const got = rows.get(id);
    return got === undefined || text(got) !== sortKeys(row);
  });
  const extra = [...rows.keys()].filter((id) => !final.has(id));
  if (wrong.length === 0 && extra.length === 0) return undefined;
  const [id, want] = wrong[0] ?? [];
  const got = id === undefined ? undefined : rows.get(id);
  return `${label} ≠ SELECT * FROM the table: ${wrong.length} rows differ${
    id === undefined
      ? ''
      : ` (e.g. id ${id}: ${got ? text(got).slice(0, 300) : 'no row'}, want ${sortKeys(want as Row).slice(0, 300)})`
  }, ${extra.length} extra${extra.length ? ` (e.g. id ${extra[0]})` : ''}`;
}
