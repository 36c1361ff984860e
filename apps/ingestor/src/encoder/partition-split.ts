/**
 * Splits a batch by the values of the table's partition columns: one data file per partition value, holding the
 * other columns only (Delta keeps partition values in the `add` action, not in the file). Rows are taken as runs of
 * equal values with zero-copy slices, so a batch that arrives clustered by partition (time-based partitions, the
 * usual case) is split without copying.
 */
import { deltaTypeOfArrow, serializePartitionValue } from '@delta-writer/delta-log/files';
import { type Data, DataType, DateUnit, type Table, TimeUnit, type Vector } from 'apache-arrow';

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
  const serializers = columns.map(({ name, vector }) => (vector ? serializerFor(name, vector) : () => null));

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
    columns.forEach(({ name }, i) => {
      values[name] = (serializers[i] as (row: number) => string | null)(row);
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

/**
 * The partition value of each row, serialized as the protocol says (`serializePartitionValue` of delta-log: dates
 * `YYYY-MM-DD`, timestamps `YYYY-MM-DD HH:MM:SS.ffffff` in UTC) from the column's own buffers, so microseconds are kept.
 */
function serializerFor(name: string, vector: Vector): (row: number) => string | null {
  const type = vector.type as DataType;
  if (
    !DataType.isUtf8(type) &&
    !DataType.isLargeUtf8(type) &&
    !DataType.isInt(type) &&
    !DataType.isBool(type) &&
    !(DataType.isDate(type) && type.unit === DateUnit.DAY) &&
    !DataType.isTimestamp(type)
  ) {
    throw new PartitionColumnError(
      `partition column ${name} has type ${type}; use a string, integer, boolean, date or timestamp column`,
    );
  }
  const delta = deltaTypeOfArrow(type, name);
  const toMicros = DataType.isTimestamp(type)
    ? ({
        [TimeUnit.SECOND]: (v: bigint) => v * 1_000_000n,
        [TimeUnit.MILLISECOND]: (v: bigint) => v * 1000n,
        [TimeUnit.MICROSECOND]: (v: bigint) => v,
        [TimeUnit.NANOSECOND]: (v: bigint) => v / 1000n - (v % 1000n < 0n ? 1n : 0n),
      }[type.unit] as (v: bigint) => bigint)
    : undefined;
  return (row) => {
    if (!vector.isValid(row)) return null;
    let value: string | number | bigint | boolean;
    if (toMicros || DataType.isDate(type)) {
      // The raw value (a DateDay's days, a timestamp's ticks): `get` would round to milliseconds.
      const [data, i] = locate(vector, row);
      const raw = (data.values as ArrayLike<number | bigint>)[i] as number | bigint;
      value = toMicros ? toMicros(BigInt(raw)) : Number(raw);
    } else value = vector.get(row) as string | number | bigint | boolean;
    return serializePartitionValue(value, delta);
  };
}

/** The chunk of `vector` holding `row`, and the row's index in it. */
function locate(vector: Vector, row: number): [Data, number] {
  let i = row;
  for (const data of vector.data) {
    if (i < data.length) return [data, i + data.offset];
    i -= data.length;
  }
  throw new RangeError(`row ${row} is outside the column`);
}
