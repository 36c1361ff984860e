import { Field, Int32, Int64, Utf8 } from 'apache-arrow';
import type { BsonDocument } from '../bson/values.js';
import type { ChangeEvent, MongoPatch } from '../debezium/types.js';
import { stringifyExtendedJson } from '../ejson/stringify.js';
import { BytesBuilder, type ColumnBuilder, Int32Builder, Int64Builder, TEXT } from './builders.js';
import type { LeafStatistics } from './statistics.js';

/** CDC metadata columns, in this order after the document's columns (README: "CDC metadata columns"). */
export const CDC_COLUMNS = [
  '_cdc_op',
  '_cdc_key',
  '_cdc_seq',
  '_cdc_ts_ms',
  '_cdc_source_ts_ms',
  '_cdc_patch',
  '_cdc_unavailable',
  '_kafka_topic',
  '_kafka_partition',
  '_kafka_offset',
] as const;

type Name = (typeof CDC_COLUMNS)[number];

export class CdcColumns {
  private readonly b: Record<Name, [Utf8 | Int32 | Int64, ColumnBuilder, boolean]>;

  constructor() {
    const text = () => new BytesBuilder(false, TEXT.string);
    this.b = {
      _cdc_op: [new Utf8(), text(), false],
      _cdc_key: [new Utf8(), text(), true],
      _cdc_seq: [new Utf8(), text(), false],
      _cdc_ts_ms: [new Int64(), new Int64Builder(false), true],
      _cdc_source_ts_ms: [new Int64(), new Int64Builder(false), true],
      _cdc_patch: [new Utf8(), text(), true],
      _cdc_unavailable: [new Utf8(), text(), true],
      _kafka_topic: [new Utf8(), text(), false],
      _kafka_partition: [new Int32(), new Int32Builder(), false],
      _kafka_offset: [new Int64(), new Int64Builder(false), false],
    };
  }

  append(e: ChangeEvent): void {
    const m = this.b;
    m._cdc_op[1].append(e.op);
    m._cdc_key[1].append(e.keyCanonical);
    m._cdc_seq[1].append(e.seq.text);
    m._cdc_ts_ms[1].append(e.tsMs === null ? null : BigInt(e.tsMs));
    m._cdc_source_ts_ms[1].append(e.sourceTsMs === null ? null : BigInt(e.sourceTsMs));
    m._cdc_patch[1].append(e.patch ? patchText(e) : null);
    m._cdc_unavailable[1].append(e.unavailable.length ? JSON.stringify(e.unavailable) : null);
    m._kafka_topic[1].append(e.record.topic);
    m._kafka_partition[1].append(e.record.partition);
    m._kafka_offset[1].append(e.record.offset);
  }

  /**
   * The CDC columns of a MongoDB change the one-pass decoder read: the same values `append` writes for its event.
   * `key` writes `_cdc_key` (a canonical text known by then); the sequence parts are non-negative safe integers or
   * null (written as 0, as `sequenceOf` does).
   */
  appendMongo(
    op: number,
    key: (b: BytesBuilder) => void,
    seq: readonly (number | null)[],
    tsMs: number | null,
    sourceTsMs: number | null,
    patch: string | null,
    topic: Uint8Array,
    partition: number,
    offset: bigint,
  ): void {
    const m = this.b;
    const op1 = m._cdc_op[1] as BytesBuilder;
    op1.open();
    op1.putBytes(OP_BYTES, op, op + 1);
    op1.close();
    const k = m._cdc_key[1] as BytesBuilder;
    k.open();
    key(k);
    k.close();
    const s = m._cdc_seq[1] as BytesBuilder;
    s.open();
    for (let i = 0; i < seq.length; i++) {
      if (i > 0) s.putAscii('.');
      const p = seq[i];
      s.putDigits(p === null || p === undefined || p < 0 ? 0 : p, 20);
    }
    s.close();
    const ts = m._cdc_ts_ms[1] as Int64Builder;
    if (tsMs === null) ts.appendNull();
    else ts.appendSafeInt(tsMs);
    const sts = m._cdc_source_ts_ms[1] as Int64Builder;
    if (sourceTsMs === null) sts.appendNull();
    else sts.appendSafeInt(sourceTsMs);
    if (patch === null) m._cdc_patch[1].appendNull();
    else (m._cdc_patch[1] as BytesBuilder).appendText(patch);
    m._cdc_unavailable[1].appendNull();
    (m._kafka_topic[1] as BytesBuilder).appendBytes(topic, 0, topic.length);
    (m._kafka_partition[1] as Int32Builder).appendInt(partition);
    const off = m._kafka_offset[1] as Int64Builder;
    if (offset <= MAX_SAFE && offset >= -MAX_SAFE) off.appendSafeInt(Number(offset));
    else off.append(offset);
  }

  /** Statistics of each CDC column, by name. */
  statistics(out: Map<string, LeafStatistics>, key: (name: string) => string): void {
    for (const [name, [, b]] of Object.entries(this.b)) {
      const bounds = b.bounds();
      out.set(key(name), bounds ? { nullCount: b.nullCount, ...bounds } : { nullCount: b.nullCount });
    }
  }

  finish(fields: Field[], columns: import('apache-arrow').Data[]): void {
    for (const [name, [type, b, nullable]] of Object.entries(this.b)) {
      fields.push(new Field(name, type, nullable));
      columns.push(b.finish());
    }
  }
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
/** The op letters by their code, for `_cdc_op`. */
const OP_BYTES = new Uint8Array(128).map((_, i) => i);

function patchText(e: ChangeEvent): string {
  return mongoPatchText(e.patch as MongoPatch);
}

/** The MongoDB update description as canonical Extended JSON: `{"set":{…},"unset":[…],"truncatedArrays":[…]}`. */
export function mongoPatchText(p: MongoPatch): string {
  const doc: BsonDocument = new Map();
  doc.set('set', p.set);
  doc.set('unset', p.unset);
  doc.set(
    'truncatedArrays',
    p.truncatedArrays.map(
      (t) =>
        new Map<string, string | number>([
          ['field', t.field],
          ['size', t.size],
        ]),
    ),
  );
  return stringifyExtendedJson(doc, { mode: 'canonical' });
}
