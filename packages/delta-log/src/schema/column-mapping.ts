/**
 * Column mapping (PROTOCOL "Column Mapping"): in `name` and `id` modes, data files, partition values and
 * statistics use each field's physical name (and, in `id` mode, Parquet field ids) instead of its display name.
 */
import type { Metadata } from '../actions.js';
import type { StructField } from './types.js';

/** A table's column mapping mode (`delta.columnMapping.mode`). */
export type ColumnMappingMode = 'none' | 'name' | 'id';

export const PHYSICAL_NAME_KEY = 'delta.columnMapping.physicalName';
export const COLUMN_ID_KEY = 'delta.columnMapping.id';

/** The column mapping mode of a table's metadata. */
export function columnMappingMode(metadata: Metadata): ColumnMappingMode {
  const mode = metadata.configuration['delta.columnMapping.mode'];
  return mode === 'name' || mode === 'id' ? mode : 'none';
}

/** The name of a column in the data files: its physical name under column mapping, else its name. */
export function physicalName(field: StructField, mode: ColumnMappingMode): string {
  if (mode === 'none') return field.name;
  const p = field.metadata[PHYSICAL_NAME_KEY];
  return typeof p === 'string' ? p : field.name;
}

export function columnId(field: StructField): number | undefined {
  const id = field.metadata[COLUMN_ID_KEY];
  return typeof id === 'number' ? id : undefined;
}
