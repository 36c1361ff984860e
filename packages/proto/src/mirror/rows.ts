/**
 * The row block of a mirror-table data file (`MirrorRows.arrow_ipc`, format version 1): one Arrow IPC stream whose
 * row i says what row i of the data file is — the document key, the version of the state it holds, whether it is a
 * delete, and for rows computed from partial updates the version they were computed on. The ingestor encodes it,
 * the committer decodes it; the layout is documented on `MirrorRows` in committer.proto.
 */
import {
  Int32,
  Int64,
  makeVector,
  Table,
  tableFromIPC,
  tableToIPC,
  Utf8,
  vectorFromArray,
} from 'apache-arrow';
import type { RowVersion } from './version.js';

export const MIRROR_ROWS_FORMAT = 1;

/** One row of a mirror data file. */
export interface MirrorRow {
  readonly key: string;
  readonly version: RowVersion;
  readonly op: 'upsert' | 'delete';
  /** Set on rows computed by applying partial updates to the key's stored row: the stored version read. */
  readonly base?: RowVersion;
  /** Set on rows computed by applying partial updates to a full document of the same batch: its version. */
  readonly from?: RowVersion;
}

const COLUMNS = [
  'key',
  'seq',
  'op',
  'kafka_partition',
  'kafka_offset',
  'base_seq',
  'base_partition',
  'base_offset',
  'from_seq',
  'from_partition',
  'from_offset',
] as const;

export class MirrorRowsError extends Error {
  override readonly name = 'MirrorRowsError';
}

function versionColumns(rows: readonly MirrorRow[], pick: (r: MirrorRow) => RowVersion | undefined) {
  return [
    vectorFromArray(
      rows.map((r) => pick(r)?.seq ?? null),
      new Utf8(),
    ),
    makeVector({
      type: new Int32(),
      data: Int32Array.from(rows, (r) => pick(r)?.partition ?? 0),
      nullBitmap: validity(rows, (r) => pick(r) !== undefined),
    }),
    makeVector({
      type: new Int64(),
      data: BigInt64Array.from(rows, (r) => BigInt(pick(r)?.offset ?? 0)),
      nullBitmap: validity(rows, (r) => pick(r) !== undefined),
    }),
  ] as const;
}

/** An Arrow validity bitmap, or undefined when every value is present (no bitmap needed). */
function validity(rows: readonly MirrorRow[], present: (r: MirrorRow) => boolean): Uint8Array | undefined {
  if (rows.every(present)) return undefined;
  const bits = new Uint8Array(Math.ceil(rows.length / 8));
  rows.forEach((r, i) => {
    if (present(r)) bits[i >> 3] = (bits[i >> 3] as number) | (1 << (i & 7));
  });
  return bits;
}

/** Encodes the block (an Arrow IPC stream). */
export function encodeMirrorRows(rows: readonly MirrorRow[]): Uint8Array {
  const [baseSeq, basePartition, baseOffset] = versionColumns(rows, (r) => r.base);
  const [fromSeq, fromPartition, fromOffset] = versionColumns(rows, (r) => r.from);
  const table = new Table({
    key: vectorFromArray(
      rows.map((r) => r.key),
      new Utf8(),
    ),
    seq: vectorFromArray(
      rows.map((r) => r.version.seq),
      new Utf8(),
    ),
    op: vectorFromArray(
      rows.map((r) => (r.op === 'delete' ? 'd' : 'u')),
      new Utf8(),
    ),
    kafka_partition: makeVector(Int32Array.from(rows, (r) => r.version.partition)),
    kafka_offset: makeVector(BigInt64Array.from(rows, (r) => BigInt(r.version.offset))),
    base_seq: baseSeq,
    base_partition: basePartition,
    base_offset: baseOffset,
    from_seq: fromSeq,
    from_partition: fromPartition,
    from_offset: fromOffset,
  });
  return tableToIPC(table, 'stream');
}

/** Decodes a block; throws {@link MirrorRowsError} naming what is wrong with a malformed one. */
export function decodeMirrorRows(bytes: Uint8Array): MirrorRow[] {
  let table: Table;
  try {
    table = tableFromIPC(bytes);
  } catch (error) {
    throw new MirrorRowsError(`the mirror row block is not an Arrow IPC stream: ${(error as Error).message}`);
  }
  const columns = Object.fromEntries(
    COLUMNS.map((name) => {
      const column = table.getChild(name);
      if (!column) throw new MirrorRowsError(`the mirror row block has no column ${name}`);
      return [name, column];
    }),
  ) as Record<(typeof COLUMNS)[number], NonNullable<ReturnType<Table['getChild']>>>;
  const version = (seq: unknown, partition: unknown, offset: unknown, row: number): RowVersion => {
    if (typeof seq !== 'string' || !/^\d+(\.\d+)*$/.test(seq))
      throw new MirrorRowsError(`row ${row}: seq ${JSON.stringify(seq)} is not a source sequence`);
    const p = Number(partition);
    const o = Number(offset);
    if (!Number.isSafeInteger(o) || o < 0 || !Number.isInteger(p) || p < 0)
      throw new MirrorRowsError(`row ${row}: Kafka position ${partition}/${offset} is invalid`);
    return { seq, partition: p, offset: o };
  };
  const optional = (prefix: 'base' | 'from', row: number): RowVersion | undefined => {
    const seq = columns[`${prefix}_seq`].get(row);
    return seq === null
      ? undefined
      : version(seq, columns[`${prefix}_partition`].get(row), columns[`${prefix}_offset`].get(row), row);
  };
  const rows: MirrorRow[] = [];
  for (let i = 0; i < table.numRows; i++) {
    const key = columns.key.get(i);
    if (typeof key !== 'string') throw new MirrorRowsError(`row ${i}: the key is missing`);
    const op = columns.op.get(i);
    if (op !== 'u' && op !== 'd')
      throw new MirrorRowsError(`row ${i}: op ${JSON.stringify(op)} is not u or d`);
    const base = optional('base', i);
    const from = optional('from', i);
    rows.push({
      key,
      version: version(columns.seq.get(i), columns.kafka_partition.get(i), columns.kafka_offset.get(i), i),
      op: op === 'd' ? 'delete' : 'upsert',
      ...(base ? { base } : {}),
      ...(from ? { from } : {}),
    });
  }
  return rows;
}
