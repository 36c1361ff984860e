import { Field, Int32, Int64, Utf8 } from 'apache-arrow';
import type { BsonDocument } from '../bson/values.js';
import type { ChangeEvent } from '../debezium/types.js';
import { stringifyExtendedJson } from '../ejson/stringify.js';
import { BytesBuilder, type ColumnBuilder, Int32Builder, Int64Builder, TEXT } from './builders.js';

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

  finish(fields: Field[], columns: import('apache-arrow').Data[]): void {
    for (const [name, [type, b, nullable]] of Object.entries(this.b)) {
      fields.push(new Field(name, type, nullable));
      columns.push(b.finish());
    }
  }
}

/** The MongoDB update description as canonical Extended JSON: `{"set":{…},"unset":[…],"truncatedArrays":[…]}`. */
function patchText(e: ChangeEvent): string {
  const p = e.patch as NonNullable<ChangeEvent['patch']>;
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
