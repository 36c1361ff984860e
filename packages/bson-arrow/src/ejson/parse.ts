import {
  type BsonDocument,
  type BsonValue,
  double,
  INT32_MAX,
  INT32_MIN,
  INT64_MAX,
  INT64_MIN,
} from '../bson/values.js';
import { DEFAULT_LIMITS, DecodeError } from '../errors.js';
import { interpretSingle, interpretWrapper } from './wrappers.js';

export interface ParseOptions {
  maxDepth?: number;
  maxFields?: number;
  /** `false`: plain JSON — `$`-keys stay document fields (Debezium envelopes, relational rows). */
  extended?: boolean;
}

/**
 * Lossless Extended JSON parser (v1 strict, v2 canonical and relaxed — all at once, as wrappers do not
 * overlap). Unlike `JSON.parse` it keeps every number literal's BSON type and exact value: `5` is Int32,
 * `5.0` a Double, `9007199254740993` an Int64; and it accepts the bare `NaN`, `Infinity`, `-Infinity`
 * tokens that the Java driver writes for non-finite doubles in v1 strict mode (invalid JSON).
 */
export function parseExtendedJson(text: string, options: ParseOptions = {}): BsonValue {
  const p = new Parser(
    text,
    options.maxDepth ?? DEFAULT_LIMITS.maxDepth,
    options.maxFields ?? DEFAULT_LIMITS.maxFields,
    options.extended ?? true,
  );
  p.skipWs();
  const v = p.value(0);
  p.skipWs();
  if (p.pos !== text.length) p.error('unexpected data after the JSON value');
  return v;
}

export enum C {
  Tab = 9,
  Nl = 10,
  Cr = 13,
  Space = 32,
  Quote = 34,
  Plus = 43,
  Comma = 44,
  Minus = 45,
  Dot = 46,
  Zero = 48,
  Nine = 57,
  Colon = 58,
  UpperE = 69,
  I = 73,
  N = 78,
  LBracket = 91,
  Backslash = 92,
  RBracket = 93,
  LowerE = 101,
  LowerF = 102,
  LowerN = 110,
  LowerT = 116,
  LBrace = 123,
  RBrace = 125,
  Dollar = 36,
}

const NAMES: (string | undefined)[] = new Array(1024);

/** The lossless parser; `ejson/tape-parser.ts` extends it to write tokens instead of values. */
export class Parser {
  pos = 0;
  protected fields = 0;

  constructor(
    protected readonly s: string,
    protected readonly maxDepth: number,
    protected readonly maxFields: number,
    protected readonly extended: boolean,
  ) {}

  error(message: string): never {
    throw new DecodeError('invalid_json', `${message} at offset ${this.pos}`);
  }

  skipWs(): void {
    const s = this.s;
    let c = s.charCodeAt(this.pos);
    while (c === C.Space || c === C.Nl || c === C.Cr || c === C.Tab) c = s.charCodeAt(++this.pos);
  }

  value(depth: number): BsonValue {
    if (++this.fields > this.maxFields) {
      throw new DecodeError('too_many_fields', `document has more than ${this.maxFields} values`);
    }
    const c = this.s.charCodeAt(this.pos);
    switch (c) {
      case C.Quote:
        return this.string();
      case C.LBrace:
        return this.object(depth + 1);
      case C.LBracket:
        return this.array(depth + 1);
      case C.LowerT:
        return this.literal('true', true);
      case C.LowerF:
        return this.literal('false', false);
      case C.LowerN:
        return this.literal('null', null);
      case C.N:
        return this.literal('NaN', Number.NaN);
      case C.I:
        return this.literal('Infinity', Number.POSITIVE_INFINITY);
      default:
        if (c === C.Minus || (c >= C.Zero && c <= C.Nine)) return this.number();
        return this.error(Number.isNaN(c) ? 'unexpected end of input' : 'unexpected character');
    }
  }

  private literal<T extends BsonValue>(word: string, v: T): T {
    if (!this.s.startsWith(word, this.pos)) this.error('invalid literal');
    this.pos += word.length;
    return v;
  }

  protected object(depth: number): BsonValue {
    if (depth > this.maxDepth)
      throw new DecodeError('nesting_too_deep', `nesting deeper than ${this.maxDepth} levels`);
    const s = this.s;
    this.pos++;
    this.skipWs();
    if (s.charCodeAt(this.pos) === C.RBrace) {
      this.pos++;
      return new Map();
    }
    let key = this.key();
    let value = this.value(depth);
    this.skipWs();
    const dollar = this.extended && key.charCodeAt(0) === C.Dollar;
    // `{"$oid": …}`, `{"$date": …}` …: the common one-key wrappers skip the intermediate document.
    if (dollar && s.charCodeAt(this.pos) === C.RBrace) {
      this.pos++;
      return interpretSingle(key, value);
    }
    const doc: BsonDocument = new Map();
    let wrapperLike = dollar;
    for (;;) {
      doc.set(key, value);
      const c = s.charCodeAt(this.pos++);
      if (c === C.RBrace) break;
      if (c !== C.Comma) {
        this.pos--;
        this.error("expected ',' or '}'");
      }
      this.skipWs();
      key = this.key();
      if (this.extended && key.charCodeAt(0) === C.Dollar) wrapperLike = true;
      value = this.value(depth);
      this.skipWs();
    }
    return wrapperLike ? interpretWrapper(doc) : doc;
  }

  /** A member name and its colon; leaves the position at the value. */
  protected key(): string {
    const s = this.s;
    if (s.charCodeAt(this.pos) !== C.Quote) this.error('expected a field name');
    const key = this.fieldName();
    this.skipWs();
    if (s.charCodeAt(this.pos) !== C.Colon) this.error("expected ':'");
    this.pos++;
    this.skipWs();
    return key;
  }

  private array(depth: number): BsonValue[] {
    if (depth > this.maxDepth)
      throw new DecodeError('nesting_too_deep', `nesting deeper than ${this.maxDepth} levels`);
    const s = this.s;
    const out: BsonValue[] = [];
    this.pos++;
    this.skipWs();
    if (s.charCodeAt(this.pos) === C.RBracket) {
      this.pos++;
      return out;
    }
    for (;;) {
      out.push(this.value(depth));
      this.skipWs();
      const c = s.charCodeAt(this.pos++);
      if (c === C.Comma) {
        this.skipWs();
        continue;
      }
      if (c === C.RBracket) break;
      this.pos--;
      this.error("expected ',' or ']'");
    }
    return out;
  }

  /**
   * A member name. Documents of one collection repeat the same names, so names are shared through a small
   * cache: no new string per field, and a string whose hash V8 has already computed for every Map lookup.
   */
  private fieldName(): string {
    const s = this.s;
    const start = this.pos + 1;
    let end = start;
    let c = s.charCodeAt(end);
    while (c !== C.Quote && c !== C.Backslash && c >= 0x20) c = s.charCodeAt(++end);
    const len = end - start;
    if (c !== C.Quote || len === 0 || len > 48) return this.string();
    const slot =
      (len * 31 + s.charCodeAt(start) * 7 + s.charCodeAt(end - 1) * 3 + s.charCodeAt(start + (len >> 1))) &
      1023;
    const cached = NAMES[slot];
    this.pos = end + 1;
    if (cached !== undefined && cached.length === len) {
      // Compared here, not with `startsWith`: names are short, and a builtin call costs more than the loop.
      let i = 0;
      while (i < len && cached.charCodeAt(i) === s.charCodeAt(start + i)) i++;
      if (i === len) return cached;
    }
    const name = s.slice(start, end);
    NAMES[slot] = name;
    return name;
  }

  private string(): string {
    const s = this.s;
    const start = ++this.pos;
    // Fast path: no escapes, the common case, is one slice.
    for (let i = start; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c === C.Quote) {
        this.pos = i + 1;
        return s.slice(start, i);
      }
      if (c === C.Backslash) return this.escapedString(start, i);
      if (c < 0x20) {
        this.pos = i;
        this.error('control character in string');
      }
    }
    this.pos = s.length;
    return this.error('unterminated string');
  }

  protected escapedString(start: number, firstEscape: number): string {
    const s = this.s;
    let out = s.slice(start, firstEscape);
    let i = firstEscape;
    for (;;) {
      const c = s.charCodeAt(i);
      if (c === C.Quote) {
        this.pos = i + 1;
        return out;
      }
      if (Number.isNaN(c)) {
        this.pos = i;
        this.error('unterminated string');
      }
      if (c < 0x20) {
        this.pos = i;
        this.error('control character in string');
      }
      if (c !== C.Backslash) {
        let j = i + 1;
        while (j < s.length) {
          const d = s.charCodeAt(j);
          if (d === C.Quote || d === C.Backslash || d < 0x20) break;
          j++;
        }
        out += s.slice(i, j);
        i = j;
        continue;
      }
      const e = s[i + 1];
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out += e;
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          const hex = s.slice(i + 2, i + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
            this.pos = i;
            this.error('invalid \\u escape');
          }
          out += String.fromCharCode(Number.parseInt(hex, 16));
          i += 4;
          break;
        }
        default:
          this.pos = i;
          this.error('invalid escape');
      }
      i += 2;
    }
  }

  private number(): BsonValue {
    const s = this.s;
    const start = this.pos;
    let i = start;
    if (s.charCodeAt(i) === C.Minus) {
      i++;
      if (s.charCodeAt(i) === C.I) {
        this.pos = i;
        this.literal('Infinity', 0);
        return Number.NEGATIVE_INFINITY;
      }
    }
    const intStart = i;
    let c = s.charCodeAt(i);
    // Fast path: a short integer (the most common number) is accumulated while scanning.
    if (c > C.Zero && c <= C.Nine) {
      let n = c - C.Zero;
      let j = i + 1;
      let d = s.charCodeAt(j);
      while (d >= C.Zero && d <= C.Nine && j - i < 9) {
        n = n * 10 + (d - C.Zero);
        d = s.charCodeAt(++j);
      }
      if (d !== C.Dot && d !== C.LowerE && d !== C.UpperE && !(d >= C.Zero && d <= C.Nine)) {
        this.pos = j;
        return start === i ? n : -n;
      }
    }
    if (c === C.Zero) c = s.charCodeAt(++i);
    else if (c > C.Zero && c <= C.Nine) {
      do c = s.charCodeAt(++i);
      while (c >= C.Zero && c <= C.Nine);
    } else {
      this.pos = i;
      this.error('invalid number');
    }
    const intDigits = i - intStart;
    let isDouble = false;
    if (c === C.Dot) {
      isDouble = true;
      const fracStart = ++i;
      c = s.charCodeAt(i);
      while (c >= C.Zero && c <= C.Nine) c = s.charCodeAt(++i);
      if (i === fracStart) {
        this.pos = i;
        this.error('invalid number');
      }
    }
    if (c === C.LowerE || c === C.UpperE) {
      isDouble = true;
      c = s.charCodeAt(++i);
      if (c === C.Plus || c === C.Minus) c = s.charCodeAt(++i);
      const expStart = i;
      while (c >= C.Zero && c <= C.Nine) c = s.charCodeAt(++i);
      if (i === expStart) {
        this.pos = i;
        this.error('invalid number');
      }
    }
    this.pos = i;
    const literal = s.slice(start, i);
    if (isDouble) return double(Number(literal));
    // Relaxed Extended JSON: an integer literal is the smallest of Int32, Int64 that holds it.
    if (intDigits <= 9) {
      const n = Number(literal);
      return n === 0 ? 0 : n; // `-0` as an integer literal is Int32 0
    }
    const big = BigInt(literal);
    if (big >= INT32_MIN && big <= INT32_MAX) return Number(big);
    if (big >= INT64_MIN && big <= INT64_MAX) return big;
    return double(Number(literal)); // beyond Int64: the spec's lossy fallback
  }
}
