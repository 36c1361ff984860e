/**
 * Merging the schema of a manifest's files into the table schema, as a pure function. The result is either the
 * merged table schema or every column that cannot be merged, each with a reason the ingestor can act on.
 *
 * What merges:
 * - columns the table lacks (top-level or nested in structs, array elements, map values) are added, nullable: rows
 *   already in the table have no value for them;
 * - columns the files lack are fine when the table column is nullable (readers fill nulls);
 * - numeric types per the widening mode (see {@link WideningMode}).
 * Columns are matched case-insensitively, as Delta does; a name differing only in case is a conflict.
 */
import { type DataType, isWidening, type StructField, type StructType } from '@delta-writer/delta-log';

/**
 * - `promote`: the documented alternative to Delta's typeWidening feature. New columns are created at the widest
 *   type of their kind (byte, short, integer → long; float → double); files holding a narrower type of the same
 *   chain are accepted as they are (Parquet readers upcast int32 → int64 → double and float → double when they
 *   read them: checked with delta-rs and Spark). No column ever changes type, so every reader can read the table.
 * - `feature`: Delta typeWidening. A table column changes to the wider type a file needs (the widenings the
 *   protocol allows: integer → long, byte/short/integer → double, float → double, decimal precision); the commit
 *   turns the feature on. Readers must support the typeWidening reader feature (Spark with Delta ≥ 3.3; not
 *   delta-rs 1.x).
 * - `off`: file types must equal table types.
 */
export type WideningMode = 'promote' | 'feature' | 'off';

export interface ColumnConflict {
  /** Dotted path; names containing dots are backquoted. Array elements are `.element`, map values `.value`. */
  readonly path: string;
  /** The table's type, or undefined when the table lacks the column. */
  readonly tableType?: DataType;
  readonly fileType?: DataType;
  readonly reason: string;
}

export interface MergeResult {
  readonly schema: StructType;
  /** The merged schema differs from the table schema. */
  readonly changed: boolean;
  /** A table column changed type (mode `feature` only). */
  readonly widened: boolean;
  /** Non-empty: nothing may be merged (the schema is the table's unchanged). */
  readonly conflicts: readonly ColumnConflict[];
}

/** Characters Parquet column names cannot hold without Delta column mapping (which the committer does not use). */
const INVALID_NAME = /[ ,;{}()\n\t=]/;
const INTEGRAL = ['byte', 'short', 'integer', 'long'];

interface Ctx {
  readonly mode: WideningMode;
  readonly conflicts: ColumnConflict[];
  changed: boolean;
  widened: boolean;
}

export function mergeSchema(table: StructType, files: StructType, mode: WideningMode): MergeResult {
  const ctx: Ctx = { mode, conflicts: [], changed: false, widened: false };
  const schema = mergeStruct(table, files, '', ctx);
  return ctx.conflicts.length > 0
    ? { schema: table, changed: false, widened: false, conflicts: ctx.conflicts }
    : { schema, changed: ctx.changed, widened: ctx.widened, conflicts: [] };
}

/** The schema a table is created with from its first files: every column nullable, types per the mode. */
export function newTableSchema(files: StructType, mode: WideningMode): MergeResult {
  return mergeSchema({ type: 'struct', fields: [] }, files, mode);
}

export function columnPath(parent: string, name: string): string {
  const part = name.includes('.') ? `\`${name}\`` : name;
  return parent ? `${parent}.${part}` : part;
}

function mergeStruct(table: StructType, files: StructType, at: string, ctx: Ctx): StructType {
  const byName = new Map<string, StructField>();
  for (const f of files.fields) {
    const key = f.name.toLowerCase();
    if (byName.has(key)) {
      conflict(ctx, columnPath(at, f.name), undefined, f.type, 'appears twice (names are case-insensitive)');
    }
    byName.set(key, f);
  }
  const fields: StructField[] = table.fields.map((t) => {
    const path = columnPath(at, t.name);
    const f = byName.get(t.name.toLowerCase());
    byName.delete(t.name.toLowerCase());
    if (!f) {
      if (!t.nullable)
        conflict(ctx, path, t.type, undefined, 'is NOT NULL in the table but missing in the files');
      return t;
    }
    if (f.name !== t.name) {
      conflict(ctx, path, t.type, f.type, `differs only in case from the file column '${f.name}'`);
      return t;
    }
    if (t.type === 'string' && f.type === 'string' && textEncoding(t) !== textEncoding(f)) {
      conflict(
        ctx,
        path,
        t.type,
        f.type,
        `holds ${textEncoding(t)} text in the table but ${textEncoding(f)} text in the files (bson.type)`,
      );
      return t;
    }
    const type = mergeType(t.type, f.type, path, ctx);
    // A nullable file column may hold nulls: a NOT NULL table column (made by another writer) is relaxed.
    const nullable = t.nullable || f.nullable;
    if (nullable !== t.nullable) ctx.changed = true;
    return type === t.type && nullable === t.nullable ? t : { ...t, type, nullable };
  });
  for (const f of byName.values()) {
    const path = columnPath(at, f.name);
    if (!checkNewType(f.name, f.type, path, ctx)) continue;
    fields.push({ name: f.name, type: newType(f.type, ctx.mode), nullable: true, metadata: userMetadata(f) });
    ctx.changed = true;
  }
  return { type: 'struct', fields };
}

function mergeType(table: DataType, file: DataType, at: string, ctx: Ctx): DataType {
  if (typeof table === 'object' && typeof file === 'object' && table.type === file.type) {
    switch (table.type) {
      case 'struct':
        return sameOr(table, mergeStruct(table, file as StructType, at, ctx));
      case 'array': {
        const f = file as typeof table;
        const element = mergeType(table.elementType, f.elementType, `${at}.element`, ctx);
        if (element === table.elementType && (table.containsNull || !f.containsNull)) return table;
        ctx.changed = true;
        return { ...table, elementType: element, containsNull: table.containsNull || f.containsNull };
      }
      case 'map': {
        const f = file as typeof table;
        if (JSON.stringify(table.keyType) !== JSON.stringify(f.keyType)) {
          conflict(ctx, `${at}.key`, table.keyType, f.keyType, 'map keys cannot change type');
          return table;
        }
        const value = mergeType(table.valueType, f.valueType, `${at}.value`, ctx);
        if (value === table.valueType && (table.valueContainsNull || !f.valueContainsNull)) return table;
        ctx.changed = true;
        return {
          ...table,
          valueType: value,
          valueContainsNull: table.valueContainsNull || f.valueContainsNull,
        };
      }
      case 'decimal': {
        const f = file as typeof table;
        if (table.precision === f.precision && table.scale === f.scale) return table;
        return mergePrimitive(table, file, at, ctx);
      }
    }
  }
  if (typeof table === 'string' && typeof file === 'string' && table === file) return table;
  return mergePrimitive(table, file, at, ctx);
}

function mergePrimitive(table: DataType, file: DataType, at: string, ctx: Ctx): DataType {
  if (!isPrimitive(table) || !isPrimitive(file)) {
    conflict(
      ctx,
      at,
      table,
      file,
      `${kindName(file)} in the files cannot be stored in a ${kindName(table)} column`,
    );
    return table;
  }
  if (ctx.mode !== 'off' && upcastsOnRead(file, table)) return table; // a narrower file: readers upcast it
  if (ctx.mode === 'feature' && widens(table, file)) {
    ctx.changed = true;
    ctx.widened = true;
    return file;
  }
  const hint =
    ctx.mode === 'promote' && widens(table, file)
      ? `; widening the column needs COMMITTER_TYPE_WIDENING=feature`
      : ctx.mode === 'off' && (upcastsOnRead(file, table) || widens(table, file))
        ? '; type widening is off (COMMITTER_TYPE_WIDENING=off)'
        : '';
  conflict(ctx, at, table, file, `cannot store ${typeLabel(file)} in a ${typeLabel(table)} column${hint}`);
  return table;
}

/** Whether a Parquet column of type `file` reads correctly as `table` in Spark and delta-rs (a lossless upcast). */
export function upcastsOnRead(file: DataType, table: DataType): boolean {
  if (typeof file !== 'string' || typeof table !== 'string') return false;
  const a = INTEGRAL.indexOf(file);
  const b = INTEGRAL.indexOf(table);
  if (a >= 0 && b >= 0) return a < b;
  if (table === 'double') return file === 'float' || (a >= 0 && file !== 'long');
  return false;
}

/**
 * The widenings the committer makes under `feature`: delta-log's {@link isWidening} (PROTOCOL "Type Widening")
 * except integer → decimal, which the committer does not make — it is not among the widenings
 * COMMITTER_TYPE_WIDENING documents and the reader tests check (`test/readers.test.ts`).
 */
function widens(from: DataType, to: DataType): boolean {
  const integerToDecimal = typeof from === 'string' && INTEGRAL.includes(from) && typeof to === 'object';
  return !integerToDecimal && isWidening(from, to);
}

/** A new column's type: nullable all the way down, numeric types promoted in mode `promote`. */
function newType(t: DataType, mode: WideningMode): DataType {
  if (typeof t === 'string') {
    if (mode !== 'promote') return t;
    return INTEGRAL.includes(t) ? 'long' : t === 'float' ? 'double' : t;
  }
  switch (t.type) {
    case 'struct':
      return {
        type: 'struct',
        fields: t.fields.map((f) => ({
          name: f.name,
          type: newType(f.type, mode),
          nullable: true,
          metadata: userMetadata(f),
        })),
      };
    case 'array':
      return { type: 'array', elementType: newType(t.elementType, mode), containsNull: true };
    case 'map':
      // Map keys keep their type: readers compare keys, and a key is never null.
      return {
        type: 'map',
        keyType: t.keyType,
        valueType: newType(t.valueType, mode),
        valueContainsNull: true,
      };
    default:
      return t;
  }
}

/** Checks the names and shape of a column the table does not have yet; records conflicts. */
function checkNewType(name: string, t: DataType, path: string, ctx: Ctx): boolean {
  let ok = true;
  if (INVALID_NAME.test(name)) {
    conflict(
      ctx,
      path,
      undefined,
      t,
      'the name contains one of " ,;{}()\\n\\t=" (needs Delta column mapping)',
    );
    ok = false;
  }
  if (typeof t === 'object') {
    if (t.type === 'struct') {
      const seen = new Set<string>();
      for (const f of t.fields) {
        const child = columnPath(path, f.name);
        if (seen.has(f.name.toLowerCase())) {
          conflict(ctx, child, undefined, f.type, 'appears twice (names are case-insensitive)');
          ok = false;
        }
        seen.add(f.name.toLowerCase());
        ok = checkNewType(f.name, f.type, child, ctx) && ok;
      }
    } else if (t.type === 'array') {
      ok = checkNewType('element', t.elementType, `${path}.element`, ctx) && ok;
    } else if (t.type === 'map') {
      ok = checkNewType('value', t.valueType, `${path}.value`, ctx) && ok;
    }
  }
  return ok;
}

/**
 * What the text of a string column means, from bson-arrow's `bson.type` field metadata: plain text, one of the
 * text renderings of a BSON type, or Extended JSON (the rare types and type conflicts). Files that encode a column
 * differently from the table would mix meanings in one column, so they are refused and the ingestor builds them
 * again against the table's schema.
 */
const TEXT_RENDERINGS = new Set(['objectId', 'decimal128', 'decimalText', 'symbol', 'code', 'time', 'uuid']);
function textEncoding(field: StructField): string {
  const tag = field.metadata?.['bson.type'];
  if (typeof tag !== 'string') return 'plain';
  return TEXT_RENDERINGS.has(tag) ? tag : 'Extended JSON';
}

/** A file column's metadata without Delta's reserved `delta.*` keys (the table's own bookkeeping). */
function userMetadata(field: StructField): Record<string, unknown> {
  return Object.fromEntries(Object.entries(field.metadata ?? {}).filter(([k]) => !k.startsWith('delta.')));
}

function sameOr(table: StructType, merged: StructType): StructType {
  return JSON.stringify(table) === JSON.stringify(merged) ? table : merged;
}

function conflict(
  ctx: Ctx,
  path: string,
  tableType: DataType | undefined,
  fileType: DataType | undefined,
  reason: string,
): void {
  ctx.conflicts.push({
    path,
    ...(tableType !== undefined ? { tableType } : {}),
    ...(fileType !== undefined ? { fileType } : {}),
    reason,
  });
}

function isPrimitive(t: DataType): boolean {
  return typeof t === 'string' || t.type === 'decimal';
}

function kindName(t: DataType): string {
  return typeof t === 'string' || t.type === 'decimal' ? typeLabel(t) : t.type;
}

export function typeLabel(t: DataType): string {
  if (typeof t === 'string') return t;
  if (t.type === 'decimal') return `decimal(${t.precision},${t.scale})`;
  return t.type;
}
