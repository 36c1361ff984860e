import { type Data, type Field, type Table, Type } from 'apache-arrow';
import {
  Binary,
  type BsonDocument,
  BsonRegExp,
  BsonSymbol,
  type BsonValue,
  Code,
  DateTime,
  Decimal128,
  double,
  ObjectId,
  SqlDate,
  SqlDecimal,
  SqlTime,
  SqlTimestamp,
  Timestamp,
} from '../bson/values.js';
import { parseExtendedJson } from '../ejson/parse.js';
import { CDC_COLUMNS } from './cdc.js';
import { META } from './fields.js';

const CDC = new Set<string>(CDC_COLUMNS);

export interface ReadOptions {
  /**
   * Key rows by the document's own field names (`bson.name`, default; values of overflow columns are put back
   * into their fields) or by Arrow column names (overflow columns as they are).
   */
  names?: 'source' | 'column';
  /** Leave out the CDC/Kafka metadata columns (default false). */
  dataOnly?: boolean;
}

/**
 * Reads rows back out of an Arrow table built by this package, as BSON values: the inverse of the
 * conversion, used by the CLI and by the round-trip tests. Nulls are left out of documents (a null
 * column and a missing field are the same thing in a table).
 */
export function rowsFromTable(table: Table, options: ReadOptions = {}): BsonDocument[] {
  const rows: BsonDocument[] = [];
  const bySource = options.names !== 'column';
  for (const batch of table.batches) {
    const fields = batch.schema.fields.filter((f) => !(options.dataOnly && CDC.has(f.name)));
    const columns = fields.map((f) => batch.data.children[batch.schema.fields.indexOf(f)] as Data);
    for (let i = 0; i < batch.numRows; i++) {
      rows.push(bySource ? readDocument(fields, columns, i) : readColumns(fields, columns, i));
    }
  }
  return rows;
}

function readColumns(fields: Field[], columns: Data[], i: number): BsonDocument {
  const row: BsonDocument = new Map();
  fields.forEach((f, j) => {
    const v = readValue(columns[j] as Data, f, i);
    if (v !== null) row.set(f.name, v);
  });
  return row;
}

/**
 * One document of a struct's fields, keyed by the documents' field names: a value that went to an overflow
 * column is read back into its field (the main column is null in that row).
 */
function readDocument(fields: Field[], columns: Data[], i: number): BsonDocument {
  const doc: BsonDocument = new Map();
  const overflow: number[] = [];
  fields.forEach((f, j) => {
    if (f.metadata.has(META.overflowOf)) overflow.push(j);
    else {
      const v = readValue(columns[j] as Data, f, i);
      if (v !== null) doc.set(sourceName(f), v);
    }
  });
  for (const j of overflow) {
    const f = fields[j] as Field;
    const v = readValue(columns[j] as Data, f, i);
    if (v === null) continue;
    const of = f.metadata.get(META.overflowOf) as string;
    const main = fields.find((x) => x.name === of && !x.metadata.has(META.overflowOf));
    doc.set(main ? sourceName(main) : (f.metadata.get(META.name) ?? of), v);
  }
  return doc;
}

function sourceName(f: Field): string {
  return f.metadata.get(META.name) ?? f.name;
}

export function readValue(data: Data, field: Field, i: number): BsonValue {
  if (data.typeId === Type.Null || !data.getValid(i)) return null;
  const j = data.offset + i;
  const tag = field.metadata.get(META.type);
  const values = data.values as ArrayLike<number | bigint>;
  switch (data.typeId) {
    case Type.Bool:
      return (((data.values[j >> 3] as number) >> (j & 7)) & 1) === 1;
    case Type.Int:
      return values[j] as number | bigint;
    case Type.Float:
      return double(values[j] as number);
    case Type.Timestamp: {
      const us = values[j] as bigint;
      return us % 1000n === 0n ? new DateTime(us / 1000n) : new SqlTimestamp(us);
    }
    case Type.Date:
      return new SqlDate(values[j] as number);
    case Type.Decimal: {
      const w = data.values as Uint32Array;
      let n = 0n;
      for (let k = 3; k >= 0; k--) n = (n << 32n) | BigInt(w[j * 4 + k] as number);
      const type = data.type as unknown as { scale: number; precision: number };
      return new SqlDecimal(BigInt.asIntN(128, n), type.scale, type.precision);
    }
    case Type.Binary:
      return new Binary(Number(field.metadata.get(META.subtype) ?? 0), bytesAt(data, j));
    case Type.Utf8:
      return fromText(Buffer.from(bytesAt(data, j)).toString('utf8'), tag, field);
    case Type.Struct: {
      const kids = data.children;
      const fields = (field.type as unknown as { children: Field[] }).children;
      if (tag === 'bsonTimestamp') {
        return new Timestamp(
          Number(readValue(kids[0] as Data, fields[0] as Field, j)),
          Number(readValue(kids[1] as Data, fields[1] as Field, j)),
        );
      }
      if (tag === 'regex') {
        return new BsonRegExp(
          readValue(kids[0] as Data, fields[0] as Field, j) as string,
          readValue(kids[1] as Data, fields[1] as Field, j) as string,
        );
      }
      return readDocument(fields, kids as Data[], j);
    }
    case Type.List: {
      const offsets = data.valueOffsets as Int32Array;
      const child = data.children[0] as Data;
      const el = (field.type as unknown as { children: Field[] }).children[0] as Field;
      const out: BsonValue[] = [];
      for (let k = offsets[j] as number; k < (offsets[j + 1] as number); k++)
        out.push(readValue(child, el, k));
      return out;
    }
    default:
      throw new Error(`cannot read Arrow type ${String(data.type)}`);
  }
}

function bytesAt(data: Data, j: number): Uint8Array {
  const offsets = data.valueOffsets as Int32Array;
  return (data.values as Uint8Array).subarray(offsets[j] as number, offsets[j + 1] as number);
}

function fromText(s: string, tag: string | undefined, field: Field): BsonValue {
  switch (tag) {
    case undefined:
      return s;
    case 'decimalText':
      return decimalFromText(s);
    case 'time':
      return timeFromText(s);
    case 'objectId':
      return new ObjectId(s);
    case 'decimal128':
      return new Decimal128(s);
    case 'symbol':
      return new BsonSymbol(s);
    case 'code':
      return new Code(s, null);
    case 'uuid':
      return new Binary(
        Number(field.metadata.get(META.subtype) ?? 4),
        Buffer.from(s.replaceAll('-', ''), 'hex'),
      );
    default:
      return parseExtendedJson(s); // ejson and the rare types stored as their Extended JSON
  }
}

function decimalFromText(s: string): BsonValue {
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(s);
  if (!m) return s;
  const frac = m[3] ?? '';
  return new SqlDecimal(BigInt(`${m[1]}${m[2]}${frac}`), frac.length, null, true);
}

function timeFromText(s: string): BsonValue {
  const m = /^(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$/.exec(s);
  if (!m) return s;
  const secs = BigInt(Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]));
  return new SqlTime(secs * 1_000_000n + BigInt((m[4] ?? '').padEnd(6, '0')));
}
