/**
 * Schema admission for one batch: each manifest's file schema is merged into the table schema as left by the
 * manifests before it, or the manifest is refused (SCHEMA_INCOMPATIBLE with one entry per column, or
 * PARTITIONING_MISMATCH when a new table's partition columns are not in its schema). Pure.
 */
import {
  type DataType,
  parseSchema,
  type StructType,
  serializeSchema,
  serializeType,
} from '@delta-writer/delta-log';
import { type CommitRequest, type Refusal, refuse, type SchemaConflict } from '@delta-writer/proto';
import type { SchemaAdmission } from '../commit/table-committer.js';
import { type SchemaLimits, schemaLimitProblem } from './limits.js';
import { type ColumnConflict, mergeSchema, type WideningMode } from './merge.js';

const EMPTY: StructType = { type: 'struct', fields: [] };

export interface AdmissionOptions {
  /** Delta schemaString of the table; empty when it does not exist. */
  readonly tableSchemaJson: string;
  readonly exists: boolean;
  readonly mode: WideningMode;
  /** Refuse schemas (the files' and the merged table's) beyond these sizes. */
  readonly limits?: SchemaLimits;
}

export interface BatchSchemaAdmission extends SchemaAdmission {
  /** The merged schema (the table's when nothing changed). */
  readonly schema: StructType;
  /** A table column changed type (the commit turns typeWidening on). */
  readonly widened: boolean;
}

export function admitSchemas(options: AdmissionOptions): BatchSchemaAdmission {
  let schema = options.tableSchemaJson ? parseSchema(options.tableSchemaJson) : EMPTY;
  let changed = !options.exists;
  let widened = false;
  return {
    admit(manifest: CommitRequest): Refusal | undefined {
      // A manifest without files advances offsets only; it has no schema to merge.
      if (manifest.deltaSchemaJson === '') {
        return !options.exists && schema.fields.length === 0 && manifest.partitionColumns.length > 0
          ? refuse.retryLater(
              'the table does not exist yet and this manifest has no files to create it from; it commits once a manifest with data created the table',
              5_000,
            )
          : undefined;
      }
      let files: StructType;
      try {
        files = parseSchema(manifest.deltaSchemaJson);
      } catch (error) {
        return refuse.schemaIncompatible(`delta_schema_json: ${(error as Error).message}`, [
          { columnPath: '', tableTypeJson: '', fileTypeJson: '', reason: (error as Error).message },
        ]);
      }
      const limits = options.limits;
      const tooLarge = limits && schemaLimitProblem(files, limits, "the files' schema");
      if (tooLarge) return refuse.schemaIncompatible(tooLarge, [limitConflict(tooLarge)]);
      const merged = mergeSchema(schema, files, options.mode);
      if (merged.conflicts.length > 0) {
        return refuse.schemaIncompatible(
          `the files' schema cannot be merged into the table schema: ${merged.conflicts.map(describe).join('; ')}`,
          merged.conflicts.map(toProto),
        );
      }
      const grown = limits && merged.changed && schemaLimitProblem(merged.schema, limits, 'the table schema');
      if (grown) return refuse.schemaIncompatible(`with these files ${grown}`, [limitConflict(grown)]);
      if (!options.exists) {
        const problem = partitionProblem(merged.schema, manifest.partitionColumns);
        if (problem) return refuse.partitioningMismatch(problem);
      }
      schema = merged.schema;
      changed ||= merged.changed;
      widened ||= merged.widened;
      return undefined;
    },
    get schema() {
      return schema;
    },
    get schemaJson() {
      // Delta's JSON, not our in-memory form (a decimal is "decimal(p,s)" there).
      return serializeSchema(schema);
    },
    get changed() {
      return changed;
    },
    get widened() {
      return widened;
    },
  };
}

function partitionProblem(schema: StructType, columns: readonly string[]): string | undefined {
  for (const c of columns) {
    const field = schema.fields.find((f) => f.name === c);
    if (!field) return `partition column '${c}' is not a top-level column of the files' schema`;
    if (typeof field.type === 'object' && field.type.type !== 'decimal') {
      return `partition column '${c}' has type ${field.type.type}; partition columns must be primitive`;
    }
  }
  return undefined;
}

function limitConflict(reason: string): SchemaConflict {
  return { columnPath: '', tableTypeJson: '', fileTypeJson: '', reason };
}

function describe(c: ColumnConflict): string {
  return `${c.path || '(schema)'} ${c.reason}`;
}

function toProto(c: ColumnConflict): SchemaConflict {
  return {
    columnPath: c.path,
    tableTypeJson: typeJson(c.tableType),
    fileTypeJson: typeJson(c.fileType),
    reason: c.reason,
  };
}

function typeJson(t: DataType | undefined): string {
  return t === undefined ? '' : serializeType(t);
}
