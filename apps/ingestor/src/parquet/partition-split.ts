/**
 * Splits a batch by the values of the table's partition columns: one data file per partition value, holding the
 * other columns only (Delta keeps partition values in the `add` action, not in the file). Rows are taken as runs of
 * equal values with zero-copy slices, so a batch that arrives clustered by partition (time-based partitions, the
 * usual case) is split without copying.
 */
import { DataType, type Table, type Vector } from 'apache-arrow';

export interface PartitionGroup {
  /** Delta partition values (strings, or null), one per partition column. */
  values: Record<string, string | null>;
  table: Table;
  /** The rows of the input table in this group, as [start, end) runs in order (the group's rows are their concat). */
  runs: [number, number][];
}

export class PartitionColumnError extends Error {
  override name = 'PartitionColumnError';
}

export function splitByPartition(table: Table, partitionBy: readonly string[]): PartitionGroup[] {
  if (partitionBy.length === 0) return [{ values: {}, table, runs: [[0, table.numRows]] }];
  const columns = partitionBy.map((name) => ({ name, vector: table.getChild(name) as Vector | null }));
  const keep = table.schema.fields.map((f) => f.name).filter((n) => !partitionBy.includes(n));
  const serializers = columns.map(({ name, vector }) =>
    vector ? serializerFor(name, vector.type) : () => null,
  );

  const groups = new Map<string, { values: Record<string, string | null>; runs: [number, number][] }>();
  let runStart = 0;
  let runKey: string | undefined;
  let runValues: Record<string, string | null> = {};
  const closeRun = (end: number) => {
    if (runKey === undefined || end <= runStart) return;
    const g = groups.get(runKey) ?? { values: runValues, runs: [] };
    g.runs.push([runStart, end]);
    groups.set(runKey, g);
  };
  for (let row = 0; row < table.numRows; row++) {
    const values: Record<string, string | null> = {};
    columns.forEach(({ name, vector }, i) => {
      const raw = vector?.get(row);
      values[name] =
        raw === null || raw === undefined ? null : (serializers[i] as (v: unknown) => string | null)(raw);
    });
    const key = JSON.stringify(partitionBy.map((c) => values[c]));
    if (key !== runKey) {
      closeRun(row);
      runStart = row;
      runKey = key;
      runValues = values;
    }
  }
  closeRun(table.numRows);

  const projected = table.select(keep);
  return [...groups.values()].map(({ values, runs }) => {
    const slices = runs.map(([start, end]) => projected.slice(start, end));
    const [first, ...rest] = slices;
    return { values, runs, table: rest.length === 0 ? (first as Table) : (first as Table).concat(...rest) };
  });
}

/** Delta's partition value serialization (PROTOCOL.md "Partition Value Serialization"). */
function serializerFor(name: string, type: DataType): (value: unknown) => string | null {
  if (DataType.isUtf8(type) || DataType.isLargeUtf8(type)) return (v) => String(v);
  if (DataType.isInt(type)) return (v) => String(v);
  if (DataType.isBool(type)) return (v) => (v ? 'true' : 'false');
  if (DataType.isDate(type)) return (v) => new Date(Number(v)).toISOString().slice(0, 10);
  if (DataType.isTimestamp(type)) {
    // arrow-js returns epoch milliseconds; ISO-8601 in UTC is the form the protocol recommends.
    return (v) => new Date(Number(v)).toISOString();
  }
  throw new PartitionColumnError(
    `partition column ${name} has type ${type}; use a string, integer, boolean, date or timestamp column`,
  );
}
