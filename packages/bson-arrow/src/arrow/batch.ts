import { type Data, type Field, makeData, RecordBatch, Schema, Struct, Table } from 'apache-arrow';
import type { BsonDocument } from '../bson/values.js';
import { documentSource } from '../debezium/mongo-fast.js';
import type { ChangeEvent } from '../debezium/types.js';
import { Tape } from '../ejson/tape.js';
import { attachBudget, type BatchLimits, ColumnBudget, DEFAULT_BATCH_LIMITS, fieldBound } from '../limits.js';
import { CDC_COLUMNS, CdcColumns } from './cdc.js';
import { Column } from './column.js';
import type { ConvertOptions } from './kinds.js';
import { truncateColumn } from './rollback.js';
import { addTargetChildren, nameChildren, type SchemaResolution, settle } from './schema.js';
import { collectStatistics, type LeafStatistics, statisticsKey } from './statistics.js';
import { putDocument } from './tokens.js';

export { CDC_COLUMNS };

export interface BatchOptions extends ConvertOptions, Partial<BatchLimits> {
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
  /**
   * The Delta statistics of each leaf column (by its path of column names), kept while the rows were appended:
   * `LeafStatisticsOf` of `@delta-writer/delta-log/files`. Undefined for a path the batch has no column at.
   */
  statistics: (path: readonly string[]) => LeafStatistics | undefined;
}

/**
 * Turns change events into one Arrow record batch: the row is the full document (`after`, else the
 * `before` of a delete, else just the key), plus CDC metadata columns. Each event is written into the
 * column buffers as it is appended; `finish()` names the columns, reports what the schema had to do, and
 * assembles the batch.
 */
export class BatchBuilder {
  private readonly root: Column;
  private readonly cdc: CdcColumns | null;
  private readonly budget: ColumnBudget;
  private rows = 0;

  constructor(batchOptions: BatchOptions = {}) {
    // The columns share this object: it is how new columns reach this batch's budget.
    const options = { ...batchOptions };
    this.budget = new ColumnBudget(options.maxColumns ?? DEFAULT_BATCH_LIMITS.maxColumns);
    attachBudget(options, this.budget);
    const target = options.targetSchema;
    this.root = new Column('', options, Boolean(target));
    this.root.init('struct');
    this.cdc = options.cdcColumns === false ? null : new CdcColumns();
    if (target) {
      const cdc = new Set<string>(CDC_COLUMNS);
      addTargetChildren(
        this.root,
        target.fields,
        options,
        (s) => {
          this.budget.added();
          return new Column(s, options, true);
        },
        (f) => cdc.has(f.name),
      );
    }
  }

  get length(): number {
    return this.rows;
  }

  /** Columns of the batch so far (struct fields at every level, the target schema's included; CDC columns not). */
  get columns(): number {
    return this.budget.columns;
  }

  /**
   * Writes the event's row. Throws a `DecodeError` (`too_many_columns`) before writing anything when the row would
   * take the batch past `maxColumns`: the caller fails that record (dead-letter) and the batch goes on.
   */
  append(event: ChangeEvent): void {
    // The row is `after ?? before ?? key`; a document the decoder keeps as a token tape is written
    // straight from it, never materialized.
    const row = documentSource(event, 'after') ?? documentSource(event, 'before') ?? event.key ?? EMPTY;
    this.budget.admit(this.root, row, fieldBound(event));
    if (row instanceof Tape) putDocument(this.root, row);
    else this.root.put(row);
    this.cdc?.append(event);
    this.rows++;
  }

  /**
   * The one-pass decoder's access to the columns (`fast/record.ts`): it writes a row straight into `root` and the CDC
   * columns, then `commitRow`s it — or `rollbackRow`s what it wrote when the record turns out to be the reference
   * path's.
   */
  get tree(): { root: Column; cdc: CdcColumns | null } {
    return { root: this.root, cdc: this.cdc };
  }

  /** How many more columns the batch may get (`maxColumns` less the columns it has). */
  get columnRoom(): number {
    return this.budget.max - this.budget.columns;
  }

  commitRow(): void {
    this.rows++;
  }

  rollbackRow(): void {
    truncateColumn(this.root, this.rows);
    if (this.root.length > this.rows) this.root.length = this.rows;
  }

  finish(): BatchResult {
    const resolutions: SchemaResolution[] = [];
    settle(this.root, '', resolutions);
    nameChildren(this.root, '', '', this.cdc ? [...CDC_COLUMNS] : [], resolutions);
    const { data } = this.root.build();
    const fields: Field[] = [...(data.type as Struct).children];
    const columns: Data[] = [...data.children];
    this.cdc?.finish(fields, columns);
    const schema = new Schema(fields);
    const struct = makeData({ type: new Struct(fields), length: this.rows, nullCount: 0, children: columns });
    const batch = new RecordBatch(schema, struct);
    const stats = new Map<string, LeafStatistics>();
    collectStatistics(this.root, stats);
    this.cdc?.statistics(stats, (name) => statisticsKey([name]));
    return {
      table: new Table(batch),
      batch,
      schema,
      resolutions,
      rows: this.rows,
      statistics: (path) => stats.get(statisticsKey(path)),
    };
  }
}

const EMPTY: BsonDocument = new Map();
