import { Field, Int32, Int64, makeData, RecordBatch, Schema, Struct, Table, Utf8 } from 'apache-arrow';
import type { BsonDocument } from '../bson/values.js';
import type { ChangeEvent } from '../debezium/types.js';
import { stringifyExtendedJson } from '../ejson/stringify.js';
import {
  BytesBuilder,
  type ColumnBuilder,
  Int32Builder,
  Int64Builder,
  TEXT,
  writeChildren,
} from './builders.js';
import { type Node, newStruct, observeDocument } from './infer.js';
import type { ConvertOptions } from './kinds.js';
import { nodeFromField, overflowField, planStruct, type SchemaResolution } from './schema.js';

/** CDC metadata columns, in this order after the document's columns. */
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

export interface BatchOptions extends ConvertOptions {
  /**
   * The table's current schema. Columns it has keep their names and types; values that do not fit go
   * to a `<column>__ejson` overflow column; new fields become new columns. All of it is reported.
   */
  targetSchema?: Schema | null;
  /** Add the CDC metadata columns (default true). */
  cdcColumns?: boolean;
}

export interface BatchResult {
  table: Table;
  batch: RecordBatch;
  schema: Schema;
  resolutions: SchemaResolution[];
  rows: number;
}

/**
 * Accumulates change events and turns them into one Arrow record batch: the row is the full document
 * (`after`, else the `before` of a delete, else just the key), plus CDC metadata columns. Inference runs
 * as events are appended; columns are built in one pass in `finish()`.
 */
export class BatchBuilder {
  private readonly root: Node = newStruct();
  private readonly events: ChangeEvent[] = [];
  private readonly rows: BsonDocument[] = [];

  constructor(private readonly options: BatchOptions = {}) {
    const target = options.targetSchema;
    if (target) {
      this.root.frozen = true;
      const children = this.root.children as Map<string, Node>;
      const overflowOf = new Map<string, string>();
      for (const f of target.fields) {
        const of = f.metadata.get('bson.overflow_of');
        if (of !== undefined) overflowOf.set(of, f.name);
      }
      for (const f of target.fields) {
        if (isCdcColumn(f.name) || f.metadata.has('bson.overflow_of')) continue;
        const n = nodeFromField(f);
        n.overflowName = overflowOf.get(f.name);
        children.set(n.source, n);
      }
    }
  }

  get length(): number {
    return this.rows.length;
  }

  append(event: ChangeEvent): void {
    const row = event.after ?? event.before ?? event.key ?? new Map();
    observeDocument(this.root, row, this.options);
    this.rows.push(row);
    this.events.push(event);
  }

  finish(): BatchResult {
    const resolutions: SchemaResolution[] = [];
    const cdc = this.options.cdcColumns !== false;
    const children = planStruct(this.root, '', '', cdc ? [...CDC_COLUMNS] : [], this.options, resolutions);
    for (const row of this.rows) writeChildren(children, row);
    const fields: Field[] = [];
    const columns = [];
    for (const c of children) {
      fields.push(c.field);
      columns.push(c.builder.finish());
      if (c.overflow) {
        fields.push(overflowField(this.root.children?.get(c.source) as Node));
        columns.push(c.overflow.finish());
      }
    }
    if (cdc) {
      const meta = cdcBuilders();
      for (const e of this.events) appendCdc(meta, e);
      for (const [name, [type, b, nullable]] of Object.entries(meta)) {
        fields.push(new Field(name, type, nullable));
        columns.push(b.finish());
      }
    }
    const schema = new Schema(fields);
    const struct = makeData({
      type: new Struct(fields),
      length: this.rows.length,
      nullCount: 0,
      children: columns,
    });
    const batch = new RecordBatch(schema, struct);
    return { table: new Table(batch), batch, schema, resolutions, rows: this.rows.length };
  }
}

function isCdcColumn(name: string): boolean {
  return (CDC_COLUMNS as readonly string[]).includes(name);
}

type CdcBuilders = Record<(typeof CDC_COLUMNS)[number], [Utf8 | Int32 | Int64, ColumnBuilder, boolean]>;

function cdcBuilders(): CdcBuilders {
  const text = () => new BytesBuilder(false, TEXT.string);
  return {
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

function appendCdc(m: CdcBuilders, e: ChangeEvent): void {
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
