import { next, readToken, type Tape, Tok } from '../ejson/tape.js';
import type {
  BoolBuilder,
  BytesBuilder,
  ColumnBuilder,
  Float64Builder,
  Int32Builder,
  Int64Builder,
} from './builders.js';
import type { Column } from './column.js';
import { kindOf, TOKEN_KINDS, type ValueKind } from './kinds.js';
import { admit } from './rule.js';

/**
 * Writes a document from its token tape (`ejson/tape.ts`) into the columns: the same decisions as
 * `Column.put` on the document's `Map` (the column's type, widening, overflow), without
 * materializing values. Common pairs of column kind and token are written directly (UTF-8 straight from
 * the document text, numbers without boxing); any other pair, and any value the tape keeps as a BSON
 * value, goes through `Column.put` with the value read from the tape.
 */
export function putDocument(root: Column, tape: Tape): void {
  putToken(root, tape, tape.start);
}

const { BOOL, INT32, INT64, DOUBLE, STRING, OBJECT_ID, TIMESTAMP, STRUCT, LIST } = TOKEN_KINDS;

/** The kind of each token type, indexed by `Tok` (null: no kind of its own). */
const KIND: (ValueKind | null)[] = [];
KIND[Tok.Null] = null;
KIND[Tok.True] = BOOL;
KIND[Tok.False] = BOOL;
KIND[Tok.Int32] = INT32;
KIND[Tok.Int64] = INT64;
KIND[Tok.Double] = DOUBLE;
KIND[Tok.Str] = STRING;
KIND[Tok.StrRef] = STRING;
KIND[Tok.Oid] = OBJECT_ID;
KIND[Tok.Date] = TIMESTAMP;
KIND[Tok.Doc] = STRUCT;
KIND[Tok.Arr] = LIST;
KIND[Tok.Key] = null;
KIND[Tok.Value] = null;

/** Writes the value whose first token is at `i`; returns the index after it. */
function putToken(c: Column, t: Tape, i: number): number {
  const ch = t.chunk;
  const type = ch.type[i] as Tok;
  const vk = KIND[type];
  if (vk === null || vk === undefined) {
    // Null, or a value the tape keeps whole: the generic path.
    c.put(type === Tok.Null ? null : readToken(t, i));
    return i + 1;
  }
  // A value the column takes as it is goes straight from the tape. Anything else — the column's first typed
  // value, a widening, a value for the overflow column — is decided by `Column.put`, the one rule.
  if (!fitsAsIs(c, vk, t, i)) {
    c.put(readToken(t, i));
    return next(ch, i);
  }
  const after = write(c, t, i);
  c.overflow?.appendNull();
  return after;
}

/** Whether the column holds the value at `i` without any change to its type (`admit` would return the column). */
function fitsAsIs(c: Column, vk: ValueKind, t: Tape, i: number): boolean {
  switch (c.kind) {
    case 'null':
      return false;
    case 'ejson':
      return c.bsonType === undefined;
    case 'int64':
      return vk === INT64 || vk === INT32;
    case 'double':
      return vk === DOUBLE || vk === INT64 || vk === INT32;
    case 'list':
      return vk === LIST && elementsFit(c.element as Column, t, i);
    default:
      return vk.kind === c.kind;
  }
}

function elementsFit(el: Column, t: Tape, i: number): boolean {
  const ch = t.chunk;
  let j = i + 1;
  for (let k = ch.aux[i] as number; k > 0; k--) {
    const type = ch.type[j] as Tok;
    if (type !== Tok.Null) {
      const ek = KIND[type];
      if (ek) {
        if (!fitsAsIs(el, ek, t, j)) return false;
      } else {
        const x = readToken(t, j);
        if (admit(el, x, kindOf(x, el.options), el.options) !== el) return false;
      }
    }
    j = next(ch, j);
  }
  return true;
}

/** `Column.write` for the value at `i`. */
function write(c: Column, t: Tape, i: number): number {
  const ch = t.chunk;
  const leaf = c.leaf;
  let after = i + 1;
  if (leaf) {
    writeLeaf(leaf, c.kind, t, i);
    after = next(ch, i);
  } else if (c.children) {
    // Documents of a collection mostly repeat their fields in the same order: the child of the member
    // at position k is looked up in the map only when the name differs from the last document's.
    const n = c.length;
    const children = c.children;
    const before = children.size;
    const keys = c.shapeKeys;
    const columns = c.shapeColumns;
    const members = ch.aux[i] as number;
    let j = i + 1;
    for (let k = 0; k < members; k++) {
      const key = ch.refs[ch.aux[j] as number] as string;
      let child: Column;
      if (keys[k] === key) child = columns[k] as Column;
      else {
        child = children.get(key) ?? c.addChild(key, n);
        keys[k] = key;
        columns[k] = child;
      }
      j = putToken(child, t, j + 1);
    }
    // Keys are unique, so when the document has every column, every column got its value.
    if (members !== before || children.size !== before) {
      for (const x of children.values()) if (x.length === n) x.appendNull();
    }
    c.validity?.append(true);
    after = j;
  } else if (c.element) {
    const el = c.element;
    let j = i + 1;
    for (let k = ch.aux[i] as number; k > 0; k--) j = putToken(el, t, j);
    c.offsets.push(el.length);
    c.validity?.append(true);
    after = j;
  }
  c.length++;
  return after;
}

function writeLeaf(leaf: ColumnBuilder, kind: Column['kind'], t: Tape, i: number): void {
  const ch = t.chunk;
  const type = ch.type[i] as Tok;
  const num = ch.num[i] as number;
  if (kind === 'string' || kind === 'objectId') {
    if (type === (kind === 'string' ? Tok.Str : Tok.Oid)) {
      (leaf as BytesBuilder).appendText(t.text, num, ch.aux[i] as number);
      return;
    }
    if (type === Tok.StrRef && kind === 'string') {
      (leaf as BytesBuilder).appendText(ch.refs[ch.aux[i] as number] as string);
      return;
    }
  } else if (kind === 'int32' && type === Tok.Int32) {
    (leaf as Int32Builder).appendInt(num);
    return;
  } else if (kind === 'int64' && (type === Tok.Int32 || type === Tok.Int64)) {
    (leaf as Int64Builder).appendSafeInt(num);
    return;
  } else if (kind === 'double' && (type === Tok.Double || type === Tok.Int32 || type === Tok.Int64)) {
    (leaf as Float64Builder).appendDouble(num);
    return;
  } else if (kind === 'timestamp' && type === Tok.Date) {
    (leaf as Int64Builder).appendMillis(num);
    return;
  } else if (kind === 'bool' && (type === Tok.True || type === Tok.False)) {
    (leaf as BoolBuilder).appendBool(type === Tok.True);
    return;
  }
  leaf.append(readToken(t, i));
}
