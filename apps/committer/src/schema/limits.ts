/**
 * How big a table schema may grow. Every commit plans against the table schema, every reader materializes it, and
 * Parquet writes one column chunk per leaf: a manifest must not be able to give a table 50,000 columns or a
 * 1,000-deep struct. Pure; the sizes are measured in one pass, without recursion, so a hostile depth cannot
 * overflow the stack.
 */
import type { DataType, StructType } from '@delta-writer/delta-log';

export interface SchemaLimits {
  /** Most fields at all nesting levels (struct fields; array elements and map entries are not counted). */
  readonly maxColumns: number;
  /** Deepest nesting of structs, arrays and maps; a top-level column is depth 1. */
  readonly maxDepth: number;
}

export interface SchemaSize {
  readonly columns: number;
  readonly depth: number;
}

/** Counts the fields and the nesting depth of `schema`, stopping early once either passes `limits`. */
export function schemaSize(schema: StructType, limits?: SchemaLimits): SchemaSize {
  let columns = 0;
  let depth = 0;
  const stack: { type: DataType; depth: number }[] = schema.fields.map((f) => ({ type: f.type, depth: 1 }));
  columns += schema.fields.length;
  while (stack.length > 0) {
    const { type, depth: d } = stack.pop() as { type: DataType; depth: number };
    if (d > depth) depth = d;
    if (limits && (columns > limits.maxColumns || depth > limits.maxDepth)) break;
    if (typeof type !== 'object') continue;
    switch (type.type) {
      case 'struct':
        columns += type.fields.length;
        for (const f of type.fields) stack.push({ type: f.type, depth: d + 1 });
        break;
      case 'array':
        stack.push({ type: type.elementType, depth: d + 1 });
        break;
      case 'map':
        stack.push({ type: type.keyType, depth: d + 1 }, { type: type.valueType, depth: d + 1 });
        break;
    }
  }
  return { columns, depth };
}

/** Why `schema` is over the limits (naming the setting), or undefined. */
export function schemaLimitProblem(
  schema: StructType,
  limits: SchemaLimits,
  what: string,
): string | undefined {
  const size = schemaSize(schema, limits);
  if (size.columns > limits.maxColumns)
    return `${what} has more than ${limits.maxColumns} columns (COMMITTER_MAX_SCHEMA_COLUMNS)`;
  if (size.depth > limits.maxDepth)
    return `${what} nests deeper than ${limits.maxDepth} levels (COMMITTER_MAX_SCHEMA_DEPTH)`;
  return undefined;
}
