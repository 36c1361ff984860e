/**
 * One pass from a document's Extended JSON bytes (as they sit inside the Debezium envelope) into the batch's columns:
 * each value is appended to its column's Arrow builder as it is read — a string without escapes as a byte copy, a
 * number without a string or a BigInt, an ObjectId as its 24 hex bytes — with no document tree, token tape or
 * per-value object in between.
 *
 * Only a value whose kind is the kind its column already has is written here. Every other value (a new field, a type
 * that widens or conflicts, a value that goes to the overflow column, a rare BSON type) is made into its BSON value
 * and given to `Column.put`, which decides through the rule of `arrow/rule.ts` — the one place for types, conflicts
 * and overflow columns, shared with the reference path. Such a call may change the batch's schema, so it marks the
 * row `dirty`. An array element is the exception: the rule takes an array into a list column only if every element
 * fits (else the whole array is one overflow value), which is only known at its end — so an element that does not
 * fit as it is bails (below).
 *
 * Anything the lossless parser would judge differently or that this reader does not take on — duplicate member names,
 * `$`-members after the first, an array element that does not fit its list, limits, syntax errors — throws `BAIL`
 * mid-row; the caller takes the row back (`rollback.ts`) and decodes the record on the reference path. The limits of
 * this path are checked here, in `enter` (depth), `count` (values) and `named` (named fields, which bounds the
 * columns the row can add): a record that comes near one is the reference path's, which names the failure.
 */

import type {
  BoolBuilder,
  BytesBuilder,
  Float64Builder,
  Int32Builder,
  Int64Builder,
} from '../arrow/builders.js';
import type { Column } from '../arrow/column.js';
import { kindOf } from '../arrow/kinds.js';
import { admit } from '../arrow/rule.js';
import {
  type BsonValue,
  DateTime,
  Decimal128,
  double,
  INT32_MAX,
  INT32_MIN,
  INT64_MAX,
  INT64_MIN,
  ObjectId,
} from '../bson/values.js';
import { parseExtendedJson } from '../ejson/parse.js';
import { binary as binaryValue, normalizeDecimal } from '../ejson/wrappers.js';
import type { DecodeLimits } from '../errors.js';
import { valueFields } from '../limits.js';
import { BAIL, Ch, decodeUtf8, InnerText } from './inner-text.js';

/**
 * A struct column's member names as UTF-8 with their columns, in the order they were first seen: a document's next
 * name is first compared with the one after the last name matched (documents of a collection mostly keep one order),
 * then with the others — bytes against bytes, with no string made and nothing allocated.
 */
interface Shape {
  keys: Uint8Array[];
  columns: Column[];
}

const shapes = new WeakMap<Column, Shape>();

/** The wrappers read here, by name. */
enum W {
  Other,
  Oid,
  Date,
  Long,
  Int,
  Decimal,
  Binary,
}

const WRAPPERS: [W, Uint8Array][] = (
  [
    [W.Oid, '$oid'],
    [W.Date, '$date'],
    [W.Long, '$numberLong'],
    [W.Int, '$numberInt'],
    [W.Decimal, '$numberDecimal'],
    [W.Binary, '$binary'],
  ] as const
).map(([w, name]) => [w, Buffer.from(name, 'latin1')]);
const TYPE = Buffer.from('$type', 'latin1');
const BASE64 = Buffer.from('base64', 'latin1');
const SUBTYPE = Buffer.from('subType', 'latin1');

function wrapperName(b: Uint8Array, from: number, to: number): W {
  for (const [w, name] of WRAPPERS) if (sameBytes(name, b, from, to)) return w;
  return W.Other;
}

const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i); // exact doubles up to 1e22
const MAX_SAFE_DIGITS = 15;

/** What a number literal is, as the lossless parser types it. */
enum Num {
  Int32,
  /** An Int64 within ±2^53 (`value` is exact). */
  SafeInt64,
  Double,
  /** An Int64 beyond 2^53, or a double that needs the literal (`text`). */
  Text,
}

export class DocumentWriter {
  private readonly t = new InnerText();
  private maxDepth = 100;
  private maxFields = 100_000;
  private fields = 0;
  private maxNamed = 10_000;
  /** Named fields of the row so far, at every level (the reference's `documentFields`, or more). */
  private namedFields = 0;
  /** Whether the row called `Column.put` (which may change the schema and cannot be taken back). */
  dirty = false;
  // The last number read: its type and value (or literal text).
  private numKind = Num.Int32;
  private numValue = 0;
  private numText = '';

  /**
   * Writes the document whose text is the outer-string body `[from, to)` of `b` as the next row of `root`. `maxNamed`
   * bounds the row's named fields (the smaller of the per-document limit and the columns the batch has room for).
   */
  writeRow(
    root: Column,
    b: Uint8Array,
    from: number,
    to: number,
    limits: DecodeLimits,
    maxNamed: number,
  ): void {
    const t = this.t;
    t.reset(b, from, to);
    this.maxDepth = limits.maxDepth;
    this.maxFields = limits.maxFields;
    this.maxNamed = maxNamed;
    this.fields = 0;
    this.namedFields = 0;
    this.dirty = false;
    t.skipWs();
    if (t.peek() !== Ch.LBrace || this.startsWrapper()) throw BAIL;
    this.count(1);
    this.struct(root, 1, false);
    t.skipWs();
    if (t.pos !== to) throw BAIL;
  }

  /** Where the limits of this path are checked (a record near one is left to the reference path). */
  private enter(depth: number): void {
    if (depth > this.maxDepth) throw BAIL;
  }

  private count(values: number): void {
    this.fields += values;
    if (this.fields > this.maxFields) throw BAIL;
  }

  /**
   * Named fields (document members at every level). Past the bound the row may fail `too_many_fields` or take the
   * batch past its columns: the reference path counts exactly and decides.
   */
  private named(n: number): void {
    this.namedFields += n;
    if (this.namedFields > this.maxNamed) throw BAIL;
  }

  /** At `{`: whether its first member name starts with `$` (an Extended JSON wrapper, by the lossless rules). */
  private startsWrapper(): boolean {
    const t = this.t;
    const at = t.pos;
    t.advance();
    t.skipWs();
    const wrapper = t.atQuote() && t.b[t.pos + 2] === Ch.Dollar;
    t.pos = at;
    return wrapper;
  }

  /**
   * One value into column `c`. `strict`: `c` is a list's element, where only a value that fits as it is may be
   * written (anything else would decide the whole array, see the file's comment).
   */
  private value(c: Column, depth: number, strict: boolean): void {
    const t = this.t;
    t.skipWs();
    this.count(1);
    const ch = t.peek();
    switch (ch) {
      case Ch.Quote:
        this.stringValue(c, strict);
        return;
      case Ch.LBrace:
        if (this.startsWrapper()) this.wrapper(c, depth, strict);
        else if (c.kind === 'struct') this.struct(c, depth + 1, strict);
        else this.generic(c, depth, strict);
        return;
      case Ch.LBracket:
        if (c.kind === 'list') this.list(c, depth + 1, strict);
        else this.generic(c, depth, strict);
        return;
      case Ch.LowerN:
        this.word('null');
        c.appendNull();
        return;
      case Ch.LowerT:
      case Ch.LowerF: {
        const v = ch === Ch.LowerT;
        this.word(v ? 'true' : 'false');
        if (c.kind === 'bool') {
          (c.leaf as BoolBuilder).appendBool(v);
          this.wrote(c);
        } else this.put(c, v, strict);
        return;
      }
      case Ch.N:
        this.word('NaN');
        this.double(c, Number.NaN, strict);
        return;
      case Ch.I:
        this.word('Infinity');
        this.double(c, Number.POSITIVE_INFINITY, strict);
        return;
      default:
        if (ch === Ch.Minus && t.b[t.pos + 1] === Ch.I) {
          t.pos++;
          this.word('Infinity');
          this.double(c, Number.NEGATIVE_INFINITY, strict);
          return;
        }
        if (ch === Ch.Minus || (ch >= Ch.Zero && ch <= Ch.Nine)) {
          this.number();
          this.numberInto(c, strict);
          return;
        }
        throw BAIL;
    }
  }

  /** After a value was appended to `c`'s main builder: the slot count, and a null in its overflow column. */
  private wrote(c: Column): void {
    c.length++;
    c.overflow?.appendNull();
  }

  /** A value the column machinery decides about (`Column.put`): widening, conflicts, overflow, new types. */
  private put(c: Column, v: BsonValue, strict: boolean): void {
    if (strict) {
      // An element is written only when it fits its list's element column as it is (int32 into a double column);
      // one that would widen it or cannot go in makes the rule look at the whole array: the reference path's.
      if (admit(c, v, kindOf(v, c.options), c.options) !== c) throw BAIL;
      c.put(v);
      return;
    }
    this.dirty = true;
    c.put(v);
  }

  private word(w: string): void {
    const t = this.t;
    for (let i = 0; i < w.length; i++) if (t.b[t.pos + i] !== w.charCodeAt(i)) throw BAIL;
    t.pos += w.length;
  }

  private stringValue(c: Column, strict: boolean): void {
    const t = this.t;
    const start = t.pos + 2;
    if (c.kind === 'string') {
      const end = t.plainString();
      if (end >= 0) (c.leaf as BytesBuilder).appendBytes(t.b, start, end);
      else (c.leaf as BytesBuilder).appendText(t.stringText());
      this.wrote(c);
      return;
    }
    const end = t.plainString();
    this.put(c, end >= 0 ? decodeUtf8(t.b, start, end) : t.stringText(), strict);
  }

  private double(c: Column, v: number, strict: boolean): void {
    if (c.kind === 'double') {
      (c.leaf as Float64Builder).appendDouble(v);
      this.wrote(c);
    } else this.put(c, double(v), strict);
  }

  private numberInto(c: Column, strict: boolean): void {
    switch (this.numKind) {
      case Num.Int32:
        if (c.kind === 'int32') {
          (c.leaf as Int32Builder).appendInt(this.numValue);
          this.wrote(c);
        } else this.put(c, this.numValue, strict);
        return;
      case Num.SafeInt64:
        if (c.kind === 'int64') {
          (c.leaf as Int64Builder).appendSafeInt(this.numValue);
          this.wrote(c);
        } else this.put(c, BigInt(this.numValue), strict);
        return;
      case Num.Double:
        this.double(c, this.numValue, strict);
        return;
      default:
        this.put(c, literalValue(this.numText), strict);
    }
  }

  /**
   * A number literal, typed as the lossless parser types it: integers are Int32 or Int64 by range (beyond Int64, a
   * double), literals with a fraction or exponent are doubles. Up to 15 digits the value is computed here (for doubles
   * with Clinger's fast path: one correctly rounded operation, so it equals `Number(literal)`).
   */
  private number(): void {
    const t = this.t;
    const b = t.b;
    const start = t.pos;
    let i = start;
    const neg = b[i] === Ch.Minus;
    if (neg) i++;
    let c = b[i] as number;
    let m = 0;
    let digits = 0;
    if (c === Ch.Zero) {
      c = b[++i] as number;
      digits = 1;
    } else if (c > Ch.Zero && c <= Ch.Nine) {
      do {
        m = m * 10 + (c - Ch.Zero);
        digits++;
        c = b[++i] as number;
      } while (c >= Ch.Zero && c <= Ch.Nine);
    } else throw BAIL;
    const intDigits = digits;
    let isDouble = false;
    let scale = 0;
    if (c === Ch.Dot) {
      isDouble = true;
      const fracStart = ++i;
      c = b[i] as number;
      while (c >= Ch.Zero && c <= Ch.Nine) {
        m = m * 10 + (c - Ch.Zero);
        digits++;
        c = b[++i] as number;
      }
      if (i === fracStart) throw BAIL;
      scale = fracStart - i;
    }
    if (c === Ch.LowerE || c === Ch.UpperE) {
      isDouble = true;
      c = b[++i] as number;
      const expNeg = c === Ch.Minus;
      if (c === Ch.Plus || c === Ch.Minus) c = b[++i] as number;
      const expStart = i;
      let exp = 0;
      while (c >= Ch.Zero && c <= Ch.Nine) {
        if (exp < 1e6) exp = exp * 10 + (c - Ch.Zero);
        c = b[++i] as number;
      }
      if (i === expStart) throw BAIL;
      scale += expNeg ? -exp : exp;
    }
    t.pos = i;
    if (isDouble) {
      this.numKind = Num.Double;
      if (digits <= MAX_SAFE_DIGITS && scale >= -22 && scale <= 22) {
        const v = scale < 0 ? m / (POW10[-scale] as number) : m * (POW10[scale] as number);
        this.numValue = neg ? -v : v;
      } else this.numValue = Number(decodeUtf8(b, start, i));
      return;
    }
    if (intDigits <= MAX_SAFE_DIGITS) {
      const v = neg ? -m : m;
      this.numValue = v === 0 ? 0 : v; // `-0` as an integer literal is Int32 0
      this.numKind = v >= INT32_MIN && v <= INT32_MAX ? Num.Int32 : Num.SafeInt64;
      return;
    }
    this.numKind = Num.Text;
    this.numText = decodeUtf8(b, start, i);
  }

  private struct(c: Column, depth: number, strict: boolean): void {
    this.enter(depth);
    const t = this.t;
    const b = t.b;
    t.advance(); // {
    const n = c.length;
    const children = c.children as Map<string, Column>;
    const before = children.size;
    let shape = shapes.get(c);
    if (shape === undefined) {
      shape = { keys: [], columns: [] };
      shapes.set(c, shape);
    }
    let members = 0;
    let guess = 0;
    t.skipWs();
    if (t.peek() === Ch.RBrace) t.advance();
    else {
      for (;;) {
        t.skipWs();
        if (!t.atQuote()) throw BAIL;
        const keyStart = t.pos + 2;
        const keyEnd = t.plainString();
        let child: Column | undefined;
        let name: string | undefined;
        if (keyEnd >= 0) {
          const k = findKey(shape, b, keyStart, keyEnd, guess);
          if (k >= 0) {
            child = shape.columns[k] as Column;
            guess = k + 1;
          }
        }
        if (child === undefined) {
          name = keyEnd >= 0 ? decodeUtf8(b, keyStart, keyEnd) : t.stringText();
          // A `$`-name after the first makes the lossless parser read the object as a wrapper: reference path.
          if (name.charCodeAt(0) === Ch.Dollar) throw BAIL;
          child = children.get(name);
          if (child !== undefined && keyEnd >= 0) {
            shape.keys.push(b.slice(keyStart, keyEnd));
            shape.columns.push(child);
          }
        }
        t.expect(Ch.Colon);
        this.named(1);
        if (child === undefined) {
          // A new field: the column machinery creates its column (once its value is known to be one).
          this.count(1);
          const v = this.materialize(depth);
          this.dirty = true;
          const added = c.addChild(name as string, n);
          this.put(added, v, false);
          if (keyEnd >= 0) {
            shape.keys.push(b.slice(keyStart, keyEnd));
            shape.columns.push(added);
          }
        } else {
          // Written already in this row: a duplicate name, which the lossless parser resolves its own way.
          if (child.length !== n) throw BAIL;
          this.value(child, depth, false);
        }
        members++;
        t.skipWs();
        const d = t.peek();
        t.advance();
        if (d === Ch.RBrace) break;
        if (d !== Ch.Comma) throw BAIL;
      }
    }
    // Names are unique, so when the document has every column, every column got its value.
    if (members !== before || children.size !== before) {
      for (const x of children.values()) if (x.length === n) x.appendNull();
    }
    c.validity?.append(true);
    this.wrote(c);
    void strict;
  }

  private list(c: Column, depth: number, strict: boolean): void {
    this.enter(depth);
    const t = this.t;
    const el = c.element as Column;
    t.advance(); // [
    t.skipWs();
    if (t.peek() === Ch.RBracket) t.advance();
    else {
      for (;;) {
        this.value(el, depth, true);
        t.skipWs();
        const d = t.peek();
        t.advance();
        if (d === Ch.RBracket) break;
        if (d !== Ch.Comma) throw BAIL;
      }
    }
    c.offsets.push(el.length);
    c.validity?.append(true);
    this.wrote(c);
    void strict;
  }

  /**
   * `{"$…": …}`: the wrappers of the documents Debezium writes — `$oid`, `$date` with an integer, `$numberLong`,
   * `$numberInt`, `$numberDecimal` — are read here; every other one is made by the lossless parser.
   */
  private wrapper(c: Column, depth: number, strict: boolean): void {
    const t = this.t;
    const b = t.b;
    const open = t.pos;
    t.advance(); // {
    t.skipWs();
    const keyStart = t.pos + 2;
    const keyEnd = t.plainString();
    if (keyEnd < 0) {
      t.pos = open;
      this.generic(c, depth, strict);
      return;
    }
    const key = wrapperName(b, keyStart, keyEnd);
    t.expect(Ch.Colon);
    t.skipWs();
    this.count(1);
    let done = false;
    if (key === W.Oid && t.atQuote()) done = this.objectId(c, strict);
    else if (key === W.Date) done = this.date(c, strict);
    else if ((key === W.Long || key === W.Int) && t.atQuote()) done = this.integer(c, key === W.Long, strict);
    else if (key === W.Decimal && t.atQuote()) done = this.decimal(c, strict);
    else if (key === W.Binary) done = this.binary(c, strict);
    if (done) {
      t.skipWs();
      if (t.peek() === Ch.RBrace) {
        t.advance();
        return;
      }
      throw BAIL; // written already, and not a one-member wrapper after all: reference path
    }
    t.pos = open;
    this.fields--;
    this.generic(c, depth, strict);
  }

  /** `"<24 lower-case hex>"` of `$oid`; false (nothing consumed) for any other form. */
  private objectId(c: Column, strict: boolean): boolean {
    const t = this.t;
    const b = t.b;
    const at = t.pos + 2;
    if (b[at + 24] !== Ch.Backslash || b[at + 25] !== Ch.Quote) return false;
    for (let i = at; i < at + 24; i++) {
      const x = b[i] as number;
      if (!((x >= Ch.Zero && x <= Ch.Nine) || (x >= 97 && x <= 102))) return false;
    }
    t.pos = at + 26;
    if (c.kind === 'objectId') {
      (c.leaf as BytesBuilder).appendBytes(b, at, at + 24);
      this.wrote(c);
    } else this.put(c, new ObjectId(decodeUtf8(b, at, at + 24)), strict);
    return true;
  }

  /** An integer literal of at most 15 digits for `$date` (milliseconds); false for other forms. */
  private date(c: Column, strict: boolean): boolean {
    const t = this.t;
    const ch = t.peek();
    if (ch !== Ch.Minus && !(ch >= Ch.Zero && ch <= Ch.Nine)) return false;
    const at = t.pos;
    this.number();
    if (this.numKind !== Num.Int32 && this.numKind !== Num.SafeInt64) {
      t.pos = at;
      return false;
    }
    const ms = this.numValue;
    if (c.kind === 'timestamp') {
      (c.leaf as Int64Builder).appendMillis(ms);
      this.wrote(c);
    } else this.put(c, new DateTime(BigInt(ms)), strict);
    return true;
  }

  /** `"<digits>"` of `$numberLong` / `$numberInt`, in the lossless parser's ranges; false for other forms. */
  private integer(c: Column, long: boolean, strict: boolean): boolean {
    const t = this.t;
    const b = t.b;
    const at = t.pos + 2;
    let i = at;
    if (b[i] === Ch.Minus) i++;
    const first = i;
    while ((b[i] as number) >= Ch.Zero && (b[i] as number) <= Ch.Nine) i++;
    const digits = i - first;
    if (digits === 0 || digits > (long ? 19 : 10) || b[i] !== Ch.Backslash || b[i + 1] !== Ch.Quote)
      return false;
    if (!long || digits > MAX_SAFE_DIGITS) {
      const text = decodeUtf8(b, at, i);
      const v = long ? BigInt(text) : Number(text);
      if (long ? v < INT64_MIN || v > INT64_MAX : v < INT32_MIN || v > INT32_MAX) return false;
      t.pos = i + 2;
      if (long) this.put(c, v as bigint, strict);
      else if (c.kind === 'int32') {
        (c.leaf as Int32Builder).appendInt(v === 0 ? 0 : (v as number));
        this.wrote(c);
      } else this.put(c, v === 0 ? 0 : (v as number), strict);
      return true;
    }
    let m = 0;
    for (let k = first; k < i; k++) m = m * 10 + ((b[k] as number) - Ch.Zero);
    const v = b[at] === Ch.Minus ? -m : m;
    t.pos = i + 2;
    if (c.kind === 'int64') {
      (c.leaf as Int64Builder).appendSafeInt(v === 0 ? 0 : v);
      this.wrote(c);
    } else this.put(c, BigInt(v), strict);
    return true;
  }

  /**
   * `$binary` in v1 strict form (`"<base64>", "$type": "<hex>"`, the members in that order) or v2 form
   * (`{"base64": "…", "subType": "…"}`): the value made here, without the lossless parser, and given to the column
   * machinery (binary and UUID columns always are). False, nothing consumed, for any other form.
   */
  private binary(c: Column, strict: boolean): boolean {
    const t = this.t;
    const b = t.b;
    const at = t.pos;
    const text = (): string | undefined => {
      t.skipWs();
      if (!t.atQuote()) return undefined;
      const start = t.pos + 2;
      const end = t.plainString();
      return end < 0 ? undefined : decodeUtf8(b, start, end);
    };
    const member = (name: Uint8Array): boolean => {
      t.skipWs();
      if (!t.atQuote()) return false;
      const start = t.pos + 2;
      const end = t.plainString();
      if (end < 0 || !sameBytes(name, b, start, end)) return false;
      t.skipWs();
      if (t.peek() !== Ch.Colon) return false;
      t.advance();
      return true;
    };
    const comma = (): boolean => {
      t.skipWs();
      if (t.peek() !== Ch.Comma) return false;
      t.advance();
      return true;
    };
    let base64: string | undefined;
    let subType: string | undefined;
    if (t.atQuote()) {
      base64 = text();
      if (base64 !== undefined && comma() && member(TYPE)) subType = text();
    } else if (t.peek() === Ch.LBrace) {
      t.advance();
      if (member(BASE64)) base64 = text();
      if (base64 !== undefined && comma() && member(SUBTYPE)) subType = text();
      t.skipWs();
      if (t.peek() === Ch.RBrace) t.advance();
      else subType = undefined;
    }
    if (base64 === undefined || subType === undefined) {
      t.pos = at;
      return false;
    }
    let v: BsonValue;
    try {
      v = binaryValue(base64, subType, null);
    } catch {
      throw BAIL;
    }
    this.put(c, v, strict);
    return true;
  }

  /** `"<decimal text>"` of `$numberDecimal`: canonical texts (prices, amounts) are copied as they are. */
  private decimal(c: Column, strict: boolean): boolean {
    const t = this.t;
    const b = t.b;
    const at = t.pos + 2;
    const end = t.plainString();
    if (end < 0) return false;
    // With a `decimal128` option the value's kind is a decimal: the column machinery decides.
    const textColumn = c.kind === 'decimal128' && !c.options.decimal128;
    if (textColumn && isCanonicalPlainDecimalBytes(b, at, end)) {
      (c.leaf as BytesBuilder).appendBytes(b, at, end);
      this.wrote(c);
      return true;
    }
    const text = decodeUtf8(b, at, end);
    let v: BsonValue;
    try {
      v = new Decimal128(normalizeDecimal(text));
    } catch {
      throw BAIL;
    }
    if (textColumn) {
      (c.leaf as BytesBuilder).appendText((v as Decimal128).text);
      this.wrote(c);
    } else this.put(c, v, strict);
    return true;
  }

  /** The value at the position as the lossless parser makes it, given to the column machinery. */
  private generic(c: Column, depth: number, strict: boolean): void {
    this.put(c, this.materialize(depth), strict);
  }

  /** The BSON value of the inner value at the position (consumed), by the lossless parser. */
  private materialize(depth: number): BsonValue {
    const t = this.t;
    t.skipWs();
    const start = t.pos;
    t.skipValue(this.maxDepth - depth);
    const text = t.innerTextOf(start, t.pos);
    // Each value takes at least one character: the text's length bounds the values the parser counts.
    this.count(text.length);
    let v: BsonValue;
    try {
      v = parseExtendedJson(text, { maxDepth: this.maxDepth - depth, maxFields: this.maxFields });
    } catch {
      throw BAIL;
    }
    this.named(valueFields(v, this.maxNamed));
    return v;
  }
}

/** The index of the name `b[from, to)` in the shape, trying `guess` first; -1 when it is not there. */
function findKey(shape: Shape, b: Uint8Array, from: number, to: number, guess: number): number {
  const keys = shape.keys;
  const g = keys[guess];
  if (g !== undefined && sameBytes(g, b, from, to)) return guess;
  for (let k = 0; k < keys.length; k++)
    if (k !== guess && sameBytes(keys[k] as Uint8Array, b, from, to)) return k;
  return -1;
}

function sameBytes(known: Uint8Array, b: Uint8Array, from: number, to: number): boolean {
  if (known.length !== to - from) return false;
  for (let i = 0; i < known.length; i++) if (known[i] !== b[from + i]) return false;
  return true;
}

/**
 * `isCanonicalPlainDecimal` on bytes: a plain decimal (`-?(0|[1-9]\d*)(\.\d+)?`) of at most 34 significant digits
 * whose adjusted exponent is ≥ −6 — its own canonical Decimal128 text. Other texts go to `normalizeDecimal`.
 */
function isCanonicalPlainDecimalBytes(b: Uint8Array, from: number, to: number): boolean {
  if (to - from > 40 || to <= from) return false;
  let i = from;
  if (b[i] === Ch.Minus) i++;
  const intStart = i;
  while (i < to && (b[i] as number) >= Ch.Zero && (b[i] as number) <= Ch.Nine) i++;
  const intDigits = i - intStart;
  if (intDigits === 0 || (intDigits > 1 && b[intStart] === Ch.Zero)) return false;
  let fraction = 0;
  if (i < to) {
    if (b[i] !== Ch.Dot) return false;
    const f = ++i;
    while (i < to && (b[i] as number) >= Ch.Zero && (b[i] as number) <= Ch.Nine) i++;
    fraction = i - f;
    if (fraction === 0 || i !== to) return false;
  }
  // Significant digits: all digits without leading zeros (at least one).
  let lead = intStart;
  let zeros = 0;
  while (lead < to && (b[lead] === Ch.Zero || b[lead] === Ch.Dot)) {
    if (b[lead] === Ch.Zero) zeros++;
    lead++;
  }
  const coefficient = Math.max(1, intDigits + fraction - zeros);
  return coefficient <= 34 && coefficient - 1 - fraction >= -6;
}

/** A number literal of more than 15 digits, typed as the lossless parser types it. */
function literalValue(text: string): BsonValue {
  if (/[.eE]/.test(text)) return double(Number(text));
  const big = BigInt(text);
  if (big >= INT32_MIN && big <= INT32_MAX) return Number(big);
  if (big >= INT64_MIN && big <= INT64_MAX) return big;
  return double(Number(text));
}
