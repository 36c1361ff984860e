import {
  type BsonValue,
  DateTime,
  Double,
  double,
  INT32_MAX,
  INT32_MIN,
  INT64_MAX,
  INT64_MIN,
  isInt32Number,
} from '../bson/values.js';
import { DEFAULT_LIMITS, DecodeError } from '../errors.js';
import { C, type ParseOptions, Parser } from './parse.js';
import { currentChunk, replaceChunk, Tape, Tok } from './tape.js';

/** The names of the objects being parsed (innermost last), to find duplicate keys. */
const KEYS: string[] = [];
let keysTop = 0;

/** The tape parser gives up; the lossless parser decides (and reports every error). */
const STEP_ASIDE = new Error('step aside for the lossless parser');

/**
 * Parses Extended JSON into a tape, accepting exactly what `parseExtendedJson` accepts and meaning the
 * same values (`Tape.value()` equals its result). Returns `undefined` — the caller then runs the lossless
 * parser, which also produces every error — for invalid text, limits, and documents with duplicate keys
 * (a `Map` keeps the first position and the last value: not a token stream).
 */
/** The member names of the last document parsed, by position: the guesses for the next one. */
const GUESSES = 4096;
/** Names of one document compared through the sketch before a Set takes over. */
const SKETCH_NAMES = 64;
const GUESS: (string | undefined)[] = [];

function isPlainName(k: string): boolean {
  for (let i = 0; i < k.length; i++) {
    const c = k.charCodeAt(i);
    if (c === C.Quote || c === C.Backslash || c < 0x20) return false;
  }
  return true;
}

export function parseTape(text: string, options: ParseOptions = {}): Tape | undefined {
  if (options.extended === false) return undefined;
  const p = new TapeParser(
    text,
    options.maxDepth ?? DEFAULT_LIMITS.maxDepth,
    options.maxFields ?? DEFAULT_LIMITS.maxFields,
  );
  try {
    p.skipWs();
    p.token(0);
    p.skipWs();
    if (p.pos !== text.length) return undefined;
  } catch (e) {
    p.abandon();
    if (e === STEP_ASIDE || e instanceof DecodeError || e instanceof RangeError) return undefined;
    throw e;
  }
  return p.tape(text);
}

const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i); // exact doubles up to 1e22

class TapeParser extends Parser {
  /** Tokens written, from `base` in chunk `c` (whose `used` moves only when the document is complete). */
  n = 0;
  private c = currentChunk();
  private base = this.c.used;
  private refBase = this.c.refs.length;
  /** Member names read so far. */
  private names = 0;

  constructor(s: string, maxDepth: number, maxFields: number) {
    super(s, maxDepth, maxFields, true);
    keysTop = 0;
  }

  /** Appends a token; returns its index relative to the document's first token. */
  private emit(type: Tok, num: number, aux: number): number {
    const i = this.n++;
    let at = this.base + i;
    if (at === this.c.type.length) {
      this.move();
      at = i;
    }
    const c = this.c;
    c.type[at] = type;
    c.num[at] = num;
    c.aux[at] = aux;
    return i;
  }

  private emitRef(type: Tok, ref: unknown): void {
    const i = this.emit(type, 0, 0); // may move to a new chunk: the ref index is taken after
    this.c.aux[this.base + i] = this.c.refs.length;
    this.c.refs.push(ref);
  }

  /** The chunk is full: the document so far moves to the start of a new one. */
  private move(): void {
    const from = this.c;
    const to = replaceChunk(Math.max(2 * this.n, 1024));
    const end = this.base + this.n - 1; // the token being emitted is not written yet
    to.type.set(from.type.subarray(this.base, end));
    to.num.set(from.num.subarray(this.base, end));
    to.aux.set(from.aux.subarray(this.base, end));
    to.refs = from.refs.slice(this.refBase);
    from.refs.length = this.refBase;
    for (let i = 0; i < end - this.base; i++) {
      const t = to.type[i];
      if (t === Tok.Key || t === Tok.StrRef || t === Tok.Value)
        to.aux[i] = (to.aux[i] as number) - this.refBase;
    }
    this.c = to;
    this.base = 0;
    this.refBase = 0;
  }

  /** The parsed document, its tokens now taken in the chunk. */
  tape(text: string): Tape {
    this.c.used = this.base + this.n;
    return new Tape(text, this.c, this.base, this.base + this.n);
  }

  /** Gives the tokens and refs written back to the chunk. */
  abandon(): void {
    this.c.refs.length = this.refBase;
  }

  /** One value, as `Parser.value` (same value count, same depth rule). */
  token(depth: number): void {
    if (++this.fields > this.maxFields) throw STEP_ASIDE;
    const s = this.s;
    const c = s.charCodeAt(this.pos);
    switch (c) {
      case C.Quote:
        this.str();
        return;
      case C.LBrace:
        this.doc(depth + 1);
        return;
      case C.LBracket:
        this.arr(depth + 1);
        return;
      case C.LowerT:
        this.word('true', Tok.True, 0);
        return;
      case C.LowerF:
        this.word('false', Tok.False, 0);
        return;
      case C.LowerN:
        this.word('null', Tok.Null, 0);
        return;
      case C.N:
        this.word('NaN', Tok.Double, Number.NaN);
        return;
      case C.I:
        this.word('Infinity', Tok.Double, Number.POSITIVE_INFINITY);
        return;
      default:
        if (c === C.Minus || (c >= C.Zero && c <= C.Nine)) {
          this.numberToken();
          return;
        }
        throw STEP_ASIDE;
    }
  }

  /**
   * A member name and its colon, as `Parser.key` reads them. Documents of a collection mostly repeat
   * their names in the same order, so the name at the same position in the previous document is tried
   * first: one comparison instead of scanning, hashing and comparing.
   */
  private memberName(): string {
    const s = this.s;
    const at = this.pos;
    const ordinal = this.names++;
    const guess = ordinal < GUESSES ? GUESS[ordinal] : undefined;
    if (guess !== undefined && s.charCodeAt(at) === C.Quote) {
      const len = guess.length;
      let i = 0;
      while (i < len && guess.charCodeAt(i) === s.charCodeAt(at + 1 + i)) i++;
      if (i === len && s.charCodeAt(at + 1 + len) === C.Quote) {
        this.pos = at + len + 2;
        this.skipWs();
        if (s.charCodeAt(this.pos) === C.Colon) {
          this.pos++;
          this.skipWs();
          return guess;
        }
        this.pos = at;
      }
    }
    const key = this.key();
    // Only names whose text is the name itself (no quote, backslash or control character) are guesses.
    if (ordinal < GUESSES) GUESS[ordinal] = isPlainName(key) ? key : undefined;
    return key;
  }

  private word(w: string, type: Tok, num: number): void {
    if (!this.s.startsWith(w, this.pos)) throw STEP_ASIDE;
    this.pos += w.length;
    this.emit(type, num, 0);
  }

  private str(): void {
    const s = this.s;
    const start = this.pos + 1;
    const len = s.length;
    for (let i = start; i < len; i++) {
      const c = s.charCodeAt(i);
      if (c === C.Quote) {
        this.pos = i + 1;
        this.emit(Tok.Str, start, i);
        return;
      }
      if (c === C.Backslash) {
        this.emitRef(Tok.StrRef, this.escapedString(start, i));
        return;
      }
      if (c < 0x20) throw STEP_ASIDE;
    }
    throw STEP_ASIDE;
  }

  private doc(depth: number): void {
    if (depth > this.maxDepth) throw STEP_ASIDE;
    const s = this.s;
    const open = this.pos;
    const fieldsAtOpen = this.fields;
    const tok = this.emit(Tok.Doc, 1, 0);
    this.pos++;
    this.skipWs();
    if (s.charCodeAt(this.pos) === C.RBrace) {
      this.pos++;
      return;
    }
    let key = this.memberName();
    // `{"$…": …}`: a wrapper (or a document that only looks like one), by the lossless rules.
    if (key.charCodeAt(0) === C.Dollar) {
      this.wrapper(key, depth, open, tok, fieldsAtOpen);
      return;
    }
    const base = keysTop;
    let count = 0;
    // A 32-bit sketch of the names so far: only a name whose bit is already set is compared with them. Once a
    // document has more names than the sketch can tell apart, a Set takes over (linear, not quadratic, time).
    let sketch = 0;
    let seen: Set<string> | undefined;
    for (;;) {
      const bit = 1 << ((key.length * 7 + key.charCodeAt(0) + key.charCodeAt(key.length - 1) * 3) & 31);
      if (seen) {
        if (seen.has(key)) throw STEP_ASIDE; // duplicate key
        seen.add(key);
      } else if (sketch & bit) {
        for (let j = base; j < keysTop; j++) if (KEYS[j] === key) throw STEP_ASIDE; // duplicate key
        if (keysTop - base >= SKETCH_NAMES) seen = new Set([...KEYS.slice(base, keysTop), key]);
      }
      sketch |= bit;
      KEYS[keysTop++] = key;
      this.emitRef(Tok.Key, key);
      this.token(depth);
      count++;
      this.skipWs();
      const c = s.charCodeAt(this.pos++);
      if (c === C.RBrace) break;
      if (c !== C.Comma) throw STEP_ASIDE;
      this.skipWs();
      key = this.memberName();
      if (key.charCodeAt(0) === C.Dollar) {
        // A `$`-key after the first: the lossless parser interprets the whole object as a wrapper.
        keysTop = base;
        this.generic(depth, open, tok, fieldsAtOpen);
        return;
      }
    }
    keysTop = base;
    this.c.num[this.base + tok] = this.n - tok;
    this.c.aux[this.base + tok] = count;
  }

  /** Re-parses the object at `open` with the lossless parser and records its value. */
  private generic(depth: number, open: number, tok: number, fieldsAtOpen: number): void {
    const c = this.c;
    for (let i = this.base + tok; i < this.base + this.n; i++) {
      const t = c.type[i];
      if (t === Tok.Key || t === Tok.StrRef || t === Tok.Value) {
        c.refs.length = c.aux[i] as number; // the first ref written since `tok`
        break;
      }
    }
    this.n = tok;
    this.pos = open;
    this.fields = fieldsAtOpen;
    this.emitValue(this.object(depth));
  }

  /**
   * The wrappers of every legacy document — `$oid`, `$date` with an integer, `$numberLong`, `$numberInt` —
   * become tokens directly when they have exactly the form the lossless rules accept; every other `$`-object
   * goes through the lossless parser.
   */
  private wrapper(key: string, depth: number, open: number, tok: number, fieldsAtOpen: number): void {
    const s = this.s;
    const at = this.pos;
    let type = Tok.Null;
    let num = 0;
    let end = at;
    if (key === '$oid') {
      end = at + 26;
      if (
        s.charCodeAt(at) === C.Quote &&
        s.charCodeAt(end - 1) === C.Quote &&
        isLowerHex(s, at + 1, end - 1)
      ) {
        type = Tok.Oid;
      }
    } else if (key === '$date') {
      end = integerEnd(s, at, 15, true);
      if (end > 0) {
        type = Tok.Date;
        num = digitsValue(s, at, end);
      }
    } else if (key === '$numberLong' || key === '$numberInt') {
      if (s.charCodeAt(at) === C.Quote) {
        // The lossless rules: /^-?\d{1,19}$/ for $numberLong, /^-?\d{1,10}$/ and the Int32 range for $numberInt.
        end = integerEnd(s, at + 1, key === '$numberLong' ? 15 : 10, false);
        if (end > 0 && s.charCodeAt(end) === C.Quote) {
          num = digitsValue(s, at + 1, end);
          end++;
          if (key === '$numberLong') type = Tok.Int64;
          else if (num >= INT32_MIN && num <= INT32_MAX) type = Tok.Int32;
        }
      }
    }
    if (type !== Tok.Null) {
      this.pos = end;
      this.skipWs();
      if (s.charCodeAt(this.pos) === C.RBrace && ++this.fields <= this.maxFields) {
        this.pos++;
        const c = this.c;
        const k = this.base + tok;
        c.type[k] = type;
        if (type === Tok.Oid) {
          c.num[k] = at + 1;
          c.aux[k] = end - 1;
        } else c.num[k] = num === 0 ? 0 : num; // `-0` is Int32/Int64 0
        return;
      }
    }
    this.generic(depth, open, tok, fieldsAtOpen);
  }

  private arr(depth: number): void {
    if (depth > this.maxDepth) throw STEP_ASIDE;
    const s = this.s;
    const tok = this.emit(Tok.Arr, 1, 0);
    this.pos++;
    this.skipWs();
    let count = 0;
    if (s.charCodeAt(this.pos) === C.RBracket) this.pos++;
    else {
      for (;;) {
        this.token(depth);
        count++;
        this.skipWs();
        const c = s.charCodeAt(this.pos++);
        if (c === C.Comma) this.skipWs();
        else if (c === C.RBracket) break;
        else throw STEP_ASIDE;
      }
    }
    this.c.num[this.base + tok] = this.n - tok;
    this.c.aux[this.base + tok] = count;
  }

  /**
   * A number literal, typed as `Parser.number` types it: integers are Int32 or Int64 by range, literals
   * with a fraction or exponent are doubles. Up to 15 digits the value is computed here — for doubles
   * with Clinger's fast path (an integer below 2^53 times or divided by an exact power of ten ≤ 1e22 is
   * one correctly rounded operation, so it equals `Number(literal)`); longer literals go through
   * `Number`/`BigInt` like the lossless parser.
   */
  private numberToken(): void {
    const s = this.s;
    const start = this.pos;
    let i = start;
    const neg = s.charCodeAt(i) === C.Minus;
    if (neg && s.charCodeAt(++i) === C.I) {
      this.pos = i;
      this.word('Infinity', Tok.Double, Number.NEGATIVE_INFINITY);
      return;
    }
    let c = s.charCodeAt(i);
    let m = 0;
    let digits = 0;
    if (c === C.Zero) {
      c = s.charCodeAt(++i);
      digits = 1;
    } else if (c > C.Zero && c <= C.Nine) {
      do {
        m = m * 10 + (c - C.Zero);
        digits++;
        c = s.charCodeAt(++i);
      } while (c >= C.Zero && c <= C.Nine);
    } else throw STEP_ASIDE;
    let isDouble = false;
    let scale = 0;
    if (c === C.Dot) {
      isDouble = true;
      const fracStart = ++i;
      c = s.charCodeAt(i);
      while (c >= C.Zero && c <= C.Nine) {
        m = m * 10 + (c - C.Zero);
        digits++;
        c = s.charCodeAt(++i);
      }
      if (i === fracStart) throw STEP_ASIDE;
      scale = fracStart - i;
    }
    if (c === C.LowerE || c === C.UpperE) {
      isDouble = true;
      c = s.charCodeAt(++i);
      const expNeg = c === C.Minus;
      if (c === C.Plus || c === C.Minus) c = s.charCodeAt(++i);
      const expStart = i;
      let exp = 0;
      while (c >= C.Zero && c <= C.Nine) {
        if (exp < 1e6) exp = exp * 10 + (c - C.Zero);
        c = s.charCodeAt(++i);
      }
      if (i === expStart) throw STEP_ASIDE;
      scale += expNeg ? -exp : exp;
    }
    this.pos = i;
    if (isDouble) {
      let v: number;
      if (digits <= 15 && scale >= -22 && scale <= 22) {
        v = scale < 0 ? m / (POW10[-scale] as number) : m * (POW10[scale] as number);
        if (neg) v = -v;
      } else v = Number(s.slice(start, i));
      this.emit(Tok.Double, v, 0);
      return;
    }
    if (digits <= 15) {
      const v = neg ? -m : m;
      if (v >= INT32_MIN && v <= INT32_MAX) this.emit(Tok.Int32, v === 0 ? 0 : v, 0);
      else this.emit(Tok.Int64, v, 0);
      return;
    }
    const big = BigInt(s.slice(start, i));
    if (big >= INT64_MIN && big <= INT64_MAX) this.emitValue(big);
    else this.emitValue(double(Number(s.slice(start, i))));
  }

  /** A value made by the lossless parser: a token where it has one, else kept as is. */
  private emitValue(v: BsonValue): void {
    if (v === null) this.emit(Tok.Null, 0, 0);
    else if (typeof v === 'boolean') this.emit(v ? Tok.True : Tok.False, 0, 0);
    else if (typeof v === 'string') this.emitRef(Tok.StrRef, v);
    else if (typeof v === 'number') this.emit(isInt32Number(v) ? Tok.Int32 : Tok.Double, v, 0);
    else if (v instanceof Double) this.emit(Tok.Double, v.value, 0);
    else if (typeof v === 'bigint' && v <= SAFE && v >= -SAFE) this.emit(Tok.Int64, Number(v), 0);
    else if (v instanceof DateTime && v.ms <= SAFE && v.ms >= -SAFE) this.emit(Tok.Date, Number(v.ms), 0);
    else this.emitRef(Tok.Value, v);
  }
}

const SAFE = 2n ** 53n;

function isLowerHex(s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= C.Zero && c <= C.Nine) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

/**
 * End of an optional `-` and 1 to `maxDigits` decimal digits at `at`, else -1. A JSON number literal
 * (`json`) must not continue with a fraction or exponent nor have a leading zero.
 */
function integerEnd(s: string, at: number, maxDigits: number, json: boolean): number {
  let i = at;
  if (s.charCodeAt(i) === C.Minus) i++;
  const first = i;
  let c = s.charCodeAt(i);
  while (c >= C.Zero && c <= C.Nine) c = s.charCodeAt(++i);
  if (i === first || i - first > maxDigits) return -1;
  if (json && (c === C.Dot || c === C.LowerE || c === C.UpperE)) return -1;
  if (json && s.charCodeAt(first) === C.Zero && i - first > 1) return -1;
  return i;
}

function digitsValue(s: string, from: number, to: number): number {
  let i = from;
  const neg = s.charCodeAt(i) === C.Minus;
  if (neg) i++;
  let m = 0;
  for (; i < to; i++) m = m * 10 + (s.charCodeAt(i) - C.Zero);
  return neg ? -m : m;
}
