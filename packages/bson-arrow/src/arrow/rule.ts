/**
 * The one rule for where a value goes, as pure functions over shapes (a column's kind, type details and, for lists,
 * its element's shape): the first value with a type of its own types a column, a value that fits is written, int64
 * widens int32, and everything else belongs in the overflow column. `Column.put` (documents) and `tokens.ts` (token
 * tapes) both decide through `admit`, for inferred and for table columns alike — so one batch and several batches
 * cut anywhere make the same table (README "Schema inference"). A decoder that writes columns another way must
 * decide through these functions too.
 */
import { declaredElementType } from '../bson/element-types.js';
import type { BsonDocument, BsonValue, Decimal128, SqlDecimal } from '../bson/values.js';
import { type ConvertOptions, decimalToUnscaled, type Kind, kindOf, type ValueKind } from './kinds.js';

/** What a column can hold: its kind, the type's details and, for lists, the element's shape. */
export interface Shape {
  readonly kind: Kind;
  readonly subtype?: number;
  readonly precision?: number;
  readonly scale?: number;
  readonly bsonType?: string;
  readonly element?: Shape | null;
}

const UNTYPED: Shape = { kind: 'null' };

/**
 * The shape a column of shape `s` must take to hold `v`: `s` itself when `v` fits as it is, a widened or (for an
 * untyped column) established shape, or null when `v` belongs in the overflow column. Pure: the caller applies it.
 */
export function admit(s: Shape, v: BsonValue, vk: ValueKind, options: ConvertOptions): Shape | null {
  if (s.kind === 'null') return establish(v, vk, options);
  if (s.kind === 'ejson') return s.bsonType === undefined || vk.bsonType === s.bsonType ? s : null;
  switch (vk.kind) {
    case 'int32':
      return s.kind === 'int32' || s.kind === 'int64' || s.kind === 'double' ? s : null;
    case 'int64':
      return s.kind === 'int64' || s.kind === 'double' ? s : s.kind === 'int32' ? INT64 : null;
    case 'unsafeInt64':
      // Beyond 2^53 a double would round it.
      return s.kind === 'int64' ? s : s.kind === 'int32' ? INT64 : null;
    case 'list':
      return s.kind === 'list' ? admitElements(s, v as BsonValue[], options) : null;
    case 'binary':
    case 'uuid':
      return s.kind === vk.kind && s.subtype === vk.subtype ? s : null;
    case 'decimal':
      return s.kind === 'decimal' && fitsDecimal(s, v) ? s : null;
    case 'ejson':
    case 'wideDate':
    case 'wideDecimal':
      return null;
    default:
      return s.kind === vk.kind ? s : null;
  }
}

const INT64: Shape = { kind: 'int64' };

/**
 * The shape a value gives an untyped column, or null when the value has no column type of its own: a document
 * without a non-null member (Parquet cannot store a struct without fields), an array without a typed element (its
 * element type is unknown), a date beyond the µs range, a Decimal128 beyond the configured decimal.
 */
function establish(v: BsonValue, vk: ValueKind, options: ConvertOptions): Shape | null {
  switch (vk.kind) {
    case 'struct':
      for (const x of (v as BsonDocument).values()) if (x !== null && x !== undefined) return STRUCT;
      return null;
    case 'list': {
      // An element type the source declared (an empty relational array) types the column as well as an element.
      const declared = declaredElementType(v as BsonValue[]);
      const start = declared ? { kind: 'list' as const, element: { kind: declared } } : EMPTY_LIST;
      const s = admitElements(start, v as BsonValue[], options);
      return s === null || (s.element as Shape).kind === 'null' ? null : s;
    }
    case 'wideDate':
    case 'wideDecimal':
      return null;
    case 'unsafeInt64':
      return INT64;
    default:
      return vk as Shape; // every other value kind is a column kind
  }
}

const STRUCT: Shape = { kind: 'struct' };
const EMPTY_LIST: Shape = { kind: 'list', element: UNTYPED };

/**
 * A list column holds an array only if every element fits one element type: the elements that have a type of
 * their own establish (and widen) it in order, then the rest — empty documents and arrays — must fit it as it is.
 * Otherwise the whole array goes to the overflow column (an element has no overflow column of its own).
 */
function admitElements(s: Shape, values: BsonValue[], options: ConvertOptions): Shape | null {
  const start = s.element ?? UNTYPED;
  let el = start;
  let untyped: BsonValue[] | undefined;
  for (const x of values) {
    if (x === null || x === undefined) continue;
    const next = admit(el, x, kindOf(x, options), options);
    if (next !== null) el = next;
    else if (el.kind !== 'null') return null;
    else if (untyped) untyped.push(x);
    else untyped = [x];
  }
  for (const x of untyped ?? []) if (admit(el, x, kindOf(x, options), options) !== el) return null;
  return el === start ? s : { kind: 'list', element: el };
}

function fitsDecimal(s: Shape, v: BsonValue): boolean {
  const d = v as SqlDecimal | Decimal128;
  const precision = s.precision ?? 38;
  if (d.kind === 'decimal128') return decimalToUnscaled(d.text, s.scale ?? 0, precision) !== null;
  if (d.scale !== s.scale) return false;
  return (d.unscaled < 0n ? -d.unscaled : d.unscaled).toString().length <= precision;
}
