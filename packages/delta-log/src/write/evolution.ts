/**
 * Schema evolution rules for writers. Allowed: new nullable columns (top-level or nested), relaxing NOT NULL
 * to nullable, and — only with the `typeWidening` feature — the widenings of PROTOCOL "Type Widening",
 * each recorded in the field's `delta.typeChanges` metadata. Everything else (drops, renames, narrowing,
 * new NOT NULL columns) is refused with `SchemaEvolutionError`. Pure.
 */
import { SchemaEvolutionError } from '../errors.js';
import { type DataType, isPrimitive, type StructField, type StructType, typeName } from '../schema/types.js';

/** Options of {@link evolveSchema}. */
export interface EvolveOptions {
  /** Allow type widening (the table must have, or be upgraded to, the `typeWidening` feature). */
  allowTypeWidening?: boolean;
  /** Column mapping off: names must avoid the characters Parquet column names cannot hold. */
  columnMapping?: boolean;
}

/** The schema {@link evolveSchema} evolved to, and whether it changed or widened a type. */
export interface Evolution {
  schema: StructType;
  /** Whether any type was widened (the protocol then needs `typeWidening`). */
  widened: boolean;
  changed: boolean;
}

const INVALID_NAME = /[ ,;{}()\n\t=]/;
const INTEGRAL = ['byte', 'short', 'integer', 'long'];
const INTEGRAL_DIGITS: Record<string, number> = { byte: 3, short: 5, integer: 10, long: 20 };

/** Whether `from` → `to` is a widening the typeWidening feature allows. */
export function isWidening(from: DataType, to: DataType): boolean {
  if (typeof from === 'string' && typeof to === 'string') {
    const a = INTEGRAL.indexOf(from);
    const b = INTEGRAL.indexOf(to);
    if (a >= 0 && b >= 0) return a < b;
    if (from === 'float' && to === 'double') return true;
    if (['byte', 'short', 'integer'].includes(from) && to === 'double') return true;
    if (from === 'date' && to === 'timestamp_ntz') return true;
    return false;
  }
  if (
    typeof from === 'object' &&
    from.type === 'decimal' &&
    typeof to === 'object' &&
    to.type === 'decimal'
  ) {
    return (
      to.precision >= from.precision &&
      to.scale >= from.scale &&
      to.precision - to.scale >= from.precision - from.scale &&
      (to.precision > from.precision || to.scale > from.scale)
    );
  }
  if (
    typeof from === 'string' &&
    INTEGRAL.includes(from) &&
    typeof to === 'object' &&
    to.type === 'decimal'
  ) {
    return to.precision - to.scale >= (INTEGRAL_DIGITS[from] as number);
  }
  return false;
}

function sameType(a: DataType, b: DataType): boolean {
  return typeName(a) === typeName(b) && typeof a === 'string';
}

interface Ctx {
  options: EvolveOptions;
  widened: boolean;
  changed: boolean;
}

function evolveType(from: DataType, to: DataType, at: string, ctx: Ctx): DataType {
  if (typeof from === 'object' && typeof to === 'object') {
    if (from.type === 'struct' && to.type === 'struct') return evolveStruct(from, to, at, ctx);
    if (from.type === 'array' && to.type === 'array') {
      if (!from.containsNull && to.containsNull) ctx.changed = true;
      if (from.containsNull && !to.containsNull)
        throw new SchemaEvolutionError(`${at}: array elements cannot become NOT NULL`);
      return { ...to, elementType: evolveType(from.elementType, to.elementType, `${at}.element`, ctx) };
    }
    if (from.type === 'map' && to.type === 'map') {
      if (from.valueContainsNull && !to.valueContainsNull)
        throw new SchemaEvolutionError(`${at}: map values cannot become NOT NULL`);
      if (!from.valueContainsNull && to.valueContainsNull) ctx.changed = true;
      return {
        ...to,
        keyType: evolveType(from.keyType, to.keyType, `${at}.key`, ctx),
        valueType: evolveType(from.valueType, to.valueType, `${at}.value`, ctx),
      };
    }
    if (
      from.type === 'decimal' &&
      to.type === 'decimal' &&
      from.precision === to.precision &&
      from.scale === to.scale
    ) {
      return from;
    }
  }
  if (sameType(from, to)) return from;
  if (isWidening(from, to)) {
    if (!ctx.options.allowTypeWidening) {
      throw new SchemaEvolutionError(
        `${at}: changing ${typeName(from)} to ${typeName(to)} needs the typeWidening table feature (allowTypeWidening)`,
      );
    }
    ctx.widened = true;
    ctx.changed = true;
    return to;
  }
  throw new SchemaEvolutionError(`${at}: cannot change type ${typeName(from)} to ${typeName(to)}`);
}

function checkName(name: string, at: string, ctx: Ctx): void {
  if (!ctx.options.columnMapping && INVALID_NAME.test(name)) {
    throw new SchemaEvolutionError(
      `${at}: column name "${name}" contains one of " ,;{}()\\n\\t=" (needs column mapping)`,
    );
  }
}

function evolveStruct(from: StructType, to: StructType, at: string, ctx: Ctx): StructType {
  const seen = new Set<string>();
  for (const f of to.fields) {
    const lower = f.name.toLowerCase();
    if (seen.has(lower))
      throw new SchemaEvolutionError(`${at}: duplicate column ${f.name} (names are case-insensitive)`);
    seen.add(lower);
  }
  for (const old of from.fields) {
    if (!to.fields.some((f) => f.name.toLowerCase() === old.name.toLowerCase())) {
      throw new SchemaEvolutionError(`${at}.${old.name}: columns cannot be dropped or renamed`);
    }
  }
  const fields: StructField[] = to.fields.map((f) => {
    const path = `${at}.${f.name}`;
    const old = from.fields.find((o) => o.name.toLowerCase() === f.name.toLowerCase());
    if (!old) {
      checkName(f.name, path, ctx);
      if (!f.nullable) throw new SchemaEvolutionError(`${path}: a new column must be nullable`);
      ctx.changed = true;
      return f;
    }
    if (old.name !== f.name) throw new SchemaEvolutionError(`${path}: column ${old.name} cannot change case`);
    if (old.nullable && !f.nullable)
      throw new SchemaEvolutionError(`${path}: a nullable column cannot become NOT NULL`);
    if (!old.nullable && f.nullable) ctx.changed = true;
    const type = evolveType(old.type, f.type, path, ctx);
    const metadata = { ...old.metadata, ...f.metadata };
    if (isPrimitive(old.type) && typeName(old.type) !== typeName(type)) {
      // PROTOCOL "Type Change Metadata": readers use this to know older files hold the narrower type.
      const changes = Array.isArray(metadata['delta.typeChanges'])
        ? [...(metadata['delta.typeChanges'] as unknown[])]
        : [];
      changes.push({ fromType: typeName(old.type), toType: typeName(type) });
      metadata['delta.typeChanges'] = changes;
    }
    return { name: f.name, type, nullable: f.nullable, metadata };
  });
  return { type: 'struct', fields };
}

/** Checks `proposed` against `current` and returns the evolved schema (old metadata kept, widenings recorded). */
export function evolveSchema(
  current: StructType,
  proposed: StructType,
  options: EvolveOptions = {},
): Evolution {
  const ctx: Ctx = { options, widened: false, changed: false };
  const schema = evolveStruct(current, proposed, 'schema', ctx);
  return { schema, widened: ctx.widened, changed: ctx.changed };
}

/** Validates a brand-new schema (create table). */
export function validateNewSchema(schema: StructType, options: EvolveOptions = {}): void {
  evolveStruct(
    { type: 'struct', fields: [] },
    { ...schema, fields: schema.fields.map((f) => ({ ...f, nullable: true })) },
    'schema',
    {
      options,
      widened: false,
      changed: false,
    },
  );
}
