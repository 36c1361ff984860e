/**
 * Reading a JSON text that is itself the content of a JSON string — Debezium's MongoDB `after`, `before` and
 * `updatedFields` — straight from the record's UTF-8 bytes, without unescaping it into a string first. In those bytes
 * the inner text's quotes are `\"`, its backslashes `\\`, and everything else (structure, digits, names, non-ASCII
 * UTF-8) is as it is. A string of the document without escapes of its own is therefore a plain byte range that can be
 * copied into a column as is.
 *
 * Anything this reader does not take on (an outer `\u` escape, invalid UTF-8, a control character, bad syntax)
 * throws {@link BAIL}: the caller then hands the record to the reference decoder, which knows the exact outcome.
 */

/** Thrown when the fast path steps aside for a record; never escapes the fast decoder. */
export const BAIL: unique symbol = Symbol('fast path steps aside');

export enum Ch {
  Tab = 9,
  Nl = 10,
  Cr = 13,
  Space = 32,
  Quote = 34,
  Plus = 43,
  Comma = 44,
  Minus = 45,
  Dot = 46,
  Slash = 47,
  Zero = 48,
  Nine = 57,
  Colon = 58,
  UpperE = 69,
  I = 73,
  N = 78,
  LBracket = 91,
  Backslash = 92,
  RBracket = 93,
  LowerB = 98,
  LowerE = 101,
  LowerF = 102,
  LowerN = 110,
  LowerR = 114,
  LowerT = 116,
  LowerU = 117,
  LBrace = 123,
  RBrace = 125,
  Dollar = 36,
}

/** A position in an inner JSON text that lives in the bytes `[pos, end)` of `b` as the body of an outer string. */
export class InnerText {
  b: Uint8Array = EMPTY;
  pos = 0;
  end = 0;

  reset(b: Uint8Array, from: number, to: number): void {
    this.b = b;
    this.pos = from;
    this.end = to;
  }

  /** The inner character at the position (-1 at the end), without consuming it. */
  peek(): number {
    if (this.pos >= this.end) return -1;
    const c = this.b[this.pos] as number;
    if (c !== Ch.Backslash) return c;
    return outerEscape(this.b[this.pos + 1] as number);
  }

  /** Consumes one inner character (one byte, or a two-byte outer escape). */
  advance(): void {
    this.pos += this.b[this.pos] === Ch.Backslash ? 2 : 1;
  }

  skipWs(): void {
    for (;;) {
      const c = this.b[this.pos] as number;
      if (c === Ch.Space) this.pos++;
      else if (c === Ch.Backslash) {
        const e = this.b[this.pos + 1];
        if (e === Ch.LowerN || e === Ch.LowerR || e === Ch.LowerT) this.pos += 2;
        else return;
      } else return;
    }
  }

  /** Consumes the inner character `c` (after whitespace) or bails. */
  expect(c: number): void {
    this.skipWs();
    if (this.peek() !== c) throw BAIL;
    this.advance();
  }

  /** At an inner `"` (the outer `\"`): whether it is one. */
  atQuote(): boolean {
    return this.b[this.pos] === Ch.Backslash && this.b[this.pos + 1] === Ch.Quote;
  }

  /**
   * Consumes an inner string at the position (its opening quote included) whose content has no escape of its own,
   * returning the end of the content (its start is the position before the call + 2); -1 (position unchanged) when
   * the content has escapes or is not valid UTF-8 — `stringText` then reads it.
   */
  plainString(): number {
    const b = this.b;
    const end = this.end;
    let i = this.pos + 2;
    for (;;) {
      if (i >= end) throw BAIL;
      const c = b[i] as number;
      if (c === Ch.Backslash) {
        if (b[i + 1] !== Ch.Quote) return -1;
        this.pos = i + 2;
        return i;
      }
      if (c < 0x80) {
        if (c < 0x20) return -1; // a raw control character: not valid outer JSON either
        i++;
      } else {
        const n = utf8Length(b, i, end);
        if (n === 0) return -1;
        i += n;
      }
    }
  }

  /** Consumes an inner string at the position and returns its value (escapes decoded). */
  stringText(): string {
    const start = this.pos;
    this.skipString();
    // Invalid UTF-8 is the reference decoder's to judge.
    for (let i = start; i < this.pos; i++) {
      if ((this.b[i] as number) >= 0x80) {
        const n = utf8Length(this.b, i, this.pos);
        if (n === 0) throw BAIL;
        i += n - 1;
      }
    }
    const outer = decodeUtf8(this.b, start, this.pos);
    // Undo the outer layer, then the inner string's own: both are JSON string escapes.
    let inner: unknown;
    try {
      inner = JSON.parse(JSON.parse(`"${outer}"`) as string);
    } catch {
      throw BAIL;
    }
    if (typeof inner !== 'string') throw BAIL;
    return inner;
  }

  /** Moves past an inner string (opening quote at the position). */
  skipString(): void {
    const b = this.b;
    let i = this.pos + 2;
    let escaped = false;
    for (;;) {
      if (i >= this.end) throw BAIL;
      const c = b[i] as number;
      if (c === Ch.Backslash) {
        const e = b[i + 1] as number;
        if (e === Ch.Quote && !escaped) {
          this.pos = i + 2;
          return;
        }
        // `\\` in the outer text is one inner backslash: it escapes the next inner character.
        escaped = e === Ch.Backslash ? !escaped : false;
        if (e === Ch.LowerU) throw BAIL;
        i += 2;
      } else {
        if (c < 0x20) throw BAIL;
        escaped = false;
        i++;
      }
    }
  }

  /** Moves past one inner value of any kind, checking only its nesting (`maxDepth` more levels at most). */
  skipValue(maxDepth: number): void {
    this.skipWs();
    const c = this.peek();
    if (c === Ch.Quote) {
      this.skipString();
      return;
    }
    if (c === Ch.LBrace || c === Ch.LBracket) {
      if (maxDepth <= 0) throw BAIL;
      const close = c === Ch.LBrace ? Ch.RBrace : Ch.RBracket;
      this.advance();
      this.skipWs();
      if (this.peek() === close) {
        this.advance();
        return;
      }
      for (;;) {
        if (c === Ch.LBrace) {
          this.skipWs();
          if (!this.atQuote()) throw BAIL;
          this.skipString();
          this.expect(Ch.Colon);
        }
        this.skipValue(maxDepth - 1);
        this.skipWs();
        const d = this.peek();
        this.advance();
        if (d === close) return;
        if (d !== Ch.Comma) throw BAIL;
      }
    }
    // A number or literal: the characters that can make one.
    const start = this.pos;
    for (;;) {
      const d = this.b[this.pos] as number;
      if (
        (d >= Ch.Zero && d <= Ch.Nine) ||
        (d >= 97 && d <= 122) ||
        (d >= 65 && d <= 90) ||
        d === Ch.Minus ||
        d === Ch.Plus ||
        d === Ch.Dot
      )
        this.pos++;
      else break;
    }
    if (this.pos === start) throw BAIL;
  }

  /** The inner text of the bytes `[from, to)` (outer escapes undone). */
  innerTextOf(from: number, to: number): string {
    const outer = decodeUtf8(this.b, from, to);
    if (!outer.includes('\\')) return outer;
    try {
      return JSON.parse(`"${outer}"`) as string;
    } catch {
      throw BAIL;
    }
  }
}

const EMPTY = new Uint8Array(0);

/** The inner character an outer escape `\<e>` stands for; the `\u` form is not read here. */
function outerEscape(e: number): number {
  switch (e) {
    case Ch.Quote:
      return Ch.Quote;
    case Ch.Backslash:
      return Ch.Backslash;
    case Ch.Slash:
      return Ch.Slash;
    case Ch.LowerN:
      return Ch.Nl;
    case Ch.LowerT:
      return Ch.Tab;
    case Ch.LowerR:
      return Ch.Cr;
    case Ch.LowerB:
      return 8;
    case Ch.LowerF:
      return 12;
    default:
      throw BAIL;
  }
}

/**
 * The length of the valid UTF-8 sequence of a non-ASCII lead byte at `i`, or 0 when it is not one (overlong forms,
 * surrogates, code points beyond U+10FFFF, truncated sequences — what a decoder would replace with U+FFFD).
 */
export function utf8Length(b: Uint8Array, i: number, end: number): number {
  const c = b[i] as number;
  if (c < 0xc2) return 0;
  if (c < 0xe0) return i + 1 < end && ((b[i + 1] as number) & 0xc0) === 0x80 ? 2 : 0;
  if (c < 0xf0) {
    if (i + 2 >= end) return 0;
    const c1 = b[i + 1] as number;
    if ((c1 & 0xc0) !== 0x80 || ((b[i + 2] as number) & 0xc0) !== 0x80) return 0;
    if (c === 0xe0 && c1 < 0xa0) return 0; // overlong
    if (c === 0xed && c1 >= 0xa0) return 0; // surrogate
    return 3;
  }
  if (c < 0xf5) {
    if (i + 3 >= end) return 0;
    const c1 = b[i + 1] as number;
    if (
      (c1 & 0xc0) !== 0x80 ||
      ((b[i + 2] as number) & 0xc0) !== 0x80 ||
      ((b[i + 3] as number) & 0xc0) !== 0x80
    )
      return 0;
    if (c === 0xf0 && c1 < 0x90) return 0; // overlong
    if (c === 0xf4 && c1 >= 0x90) return 0; // beyond U+10FFFF
    return 4;
  }
  return 0;
}

/** UTF-8 bytes as a string; ASCII-only ranges (the common case) without the native decoder's call cost. */
export function decodeUtf8(b: Uint8Array, from: number, to: number): string {
  if (to - from < 24) {
    let ascii = true;
    for (let i = from; i < to; i++) if ((b[i] as number) >= 0x80) ascii = false;
    if (ascii) return String.fromCharCode.apply(null, b.subarray(from, to) as unknown as number[]);
  }
  return Buffer.from(b.buffer, b.byteOffset + from, to - from).toString('utf8');
}
