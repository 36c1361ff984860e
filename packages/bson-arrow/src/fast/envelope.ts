/**
 * The Debezium MongoDB envelope, read from the record's bytes in one scan: where the `after` / `before` /
 * `updateDescription` texts are, the op, and the few numbers the change needs (`ts_ms`, `source.ts_ms`, `source.ord`,
 * `transaction.total_order`). Nothing is decoded that is not used: no string is made, no object, so the envelope
 * costs neither an allocation nor garbage. Measured on the bench's ~1 KB events this scan costs about what native
 * `JSON.parse` does (~1.6 µs) — its gain is the garbage `JSON.parse` leaves (an object graph and a copy of every
 * string), which the collector's helper threads paid for.
 *
 * It accepts what the fast path can decode exactly as the reference decoder would (`mongo-fast.ts` on the native
 * `JSON.parse` object): any other shape — a relational connector, an inlined document, a repeated field, a number
 * that is not a plain integer, odd nesting — throws `BAIL` and the record goes to the reference decoder.
 */
import { BAIL, Ch } from './inner-text.js';

/** The envelope of one record, filled by {@link scanEnvelope} (one object, reused for every record). */
export class Envelope {
  op = 0;
  /** Bytes of the `after` / `before` / `updateDescription.updatedFields`-holding texts: start -1 when null or absent. */
  afterStart = -1;
  afterEnd = -1;
  beforeStart = -1;
  beforeEnd = -1;
  /** The `updateDescription` object's text (`[start, end)`), -1 when null or absent. */
  updateStart = -1;
  updateEnd = -1;
  tsMs: number | null = null;
  sourceTsMs: number | null = null;
  ord: number | null = null;
  /** `transaction.total_order` when the transaction block has one (a third part of the sequence). */
  order: number | null = null;
  /** The fields read (bits of `F`). */
  seen = 0;
  isMongo = false;

  reset(): void {
    this.op = 0;
    this.afterStart = this.afterEnd = this.beforeStart = this.beforeEnd = -1;
    this.updateStart = this.updateEnd = -1;
    this.tsMs = this.sourceTsMs = this.ord = this.order = null;
    this.seen = 0;
    this.isMongo = false;
  }

  /** Marks field `bit` read; a field read twice (JSON.parse keeps the last) is the reference path's. */
  take(bit: number): void {
    if (this.seen & bit) throw BAIL;
    this.seen |= bit;
  }
}

const F = {
  after: 1,
  before: 2,
  updateDescription: 4,
  source: 8,
  op: 16,
  ts_ms: 32,
  transaction: 64,
  connector: 128,
  sourceTs: 256,
  ord: 512,
  txnNumber: 1024,
  totalOrder: 2048,
  schema: 4096,
  payload: 8192,
} as const;

/** The member name at `b[at, at + len)` if it is one this scanner reads, else ''. */
function knownName(b: Uint8Array, at: number, len: number): string {
  let name: string;
  switch (len) {
    case 2:
      name = 'op';
      break;
    case 3:
      name = 'ord';
      break;
    case 5:
      name = b[at] === 97 ? 'after' : b[at] === 116 ? 'ts_ms' : 'patch';
      break;
    case 6:
      name = b[at] === 98 ? 'before' : b[at + 1] === 111 ? 'source' : 'schema';
      break;
    case 7:
      name = 'payload';
      break;
    case 9:
      name = b[at] === 99 ? 'connector' : 'txnNumber';
      break;
    case 11:
      name = b[at + 1] === 114 ? 'transaction' : 'total_order';
      break;
    case 17:
      name = 'updateDescription';
      break;
    default:
      return '';
  }
  for (let i = 0; i < len; i++) if (b[at + i] !== name.charCodeAt(i)) return '';
  return name;
}

/** Scans the record value `b[from, to)` into `env`; throws `BAIL` for anything the fast path leaves alone. */
export function scanEnvelope(b: Uint8Array, from: number, to: number, env: Envelope, maxDepth: number): void {
  env.reset();
  const s = cursor;
  s.reset(b, from, to, maxDepth);
  s.ws();
  if (b[s.pos] !== Ch.LBrace) throw BAIL;
  // `{"schema": …, "payload": {…}}` (JsonConverter with schemas) or the payload itself.
  const first = s.peekKey();
  if (first === 'schema' || first === 'payload') {
    s.pos++;
    for (;;) {
      s.ws();
      const key = s.key();
      if (key === 'schema') {
        env.take(F.schema);
        s.skipValue(maxDepth);
      } else if (key === 'payload') {
        env.take(F.payload);
        s.ws();
        payload(s, env);
      } else throw BAIL; // a third field: the reference decides what it is
      if (s.endOfObject()) break;
    }
    if ((env.seen & F.payload) === 0) throw BAIL;
  } else payload(s, env);
  s.ws();
  if (s.pos !== to) throw BAIL;
  if (!env.isMongo || env.op === 0) throw BAIL;
}

function payload(s: Outer, env: Envelope): void {
  const b = s.b;
  if (b[s.pos] !== Ch.LBrace) throw BAIL;
  s.pos++;
  s.ws();
  if (b[s.pos] === Ch.RBrace) throw BAIL;
  for (;;) {
    s.ws();
    const key = s.key();
    s.ws();
    switch (key) {
      case 'after':
      case 'before': {
        env.take(key === 'after' ? F.after : F.before);
        if (s.isNull()) break;
        if (b[s.pos] !== Ch.Quote) throw BAIL; // an inlined document: reference path
        const start = s.pos + 1;
        s.skipString();
        if (key === 'after') {
          env.afterStart = start;
          env.afterEnd = s.pos - 1;
        } else {
          env.beforeStart = start;
          env.beforeEnd = s.pos - 1;
        }
        break;
      }
      case 'updateDescription':
        env.take(F.updateDescription);
        if (s.isNull()) break;
        if (b[s.pos] !== Ch.LBrace) throw BAIL;
        env.updateStart = s.pos;
        s.skipValue(s.maxDepth);
        env.updateEnd = s.pos;
        break;
      case 'source':
        env.take(F.source);
        source(s, env);
        break;
      case 'op': {
        env.take(F.op);
        const c = b[s.pos + 1] as number;
        if (b[s.pos] !== Ch.Quote || b[s.pos + 2] !== Ch.Quote) throw BAIL;
        if (c !== 99 && c !== 117 && c !== 100 && c !== 114) throw BAIL; // c u d r
        env.op = c;
        s.pos += 3;
        break;
      }
      case 'ts_ms':
        env.take(F.ts_ms);
        env.tsMs = s.integerOrNull();
        break;
      case 'transaction':
        env.take(F.transaction);
        transaction(s, env);
        break;
      case 'patch':
      case 'payload':
      case 'schema':
        // Debezium ≤ 2.1's oplog `patch`, or a nested wrapper: the reference path knows these.
        if (!s.isNull()) throw BAIL;
        break;
      default:
        s.skipValue(s.maxDepth);
    }
    if (s.endOfObject()) return;
  }
}

function source(s: Outer, env: Envelope): void {
  const b = s.b;
  if (b[s.pos] !== Ch.LBrace) throw BAIL;
  s.pos++;
  s.ws();
  if (b[s.pos] === Ch.RBrace) throw BAIL;
  for (;;) {
    s.ws();
    const key = s.key();
    s.ws();
    switch (key) {
      case 'connector':
        env.take(F.connector);
        env.isMongo = s.isString('mongodb');
        if (!env.isMongo) throw BAIL;
        break;
      case 'ts_ms':
        env.take(F.sourceTs);
        env.sourceTsMs = s.integerOrNull();
        break;
      case 'ord':
        env.take(F.ord);
        env.ord = s.integerOrNull();
        break;
      case 'txnNumber':
        env.take(F.txnNumber);
        if (b[s.pos] === Ch.LBrace || b[s.pos] === Ch.LBracket) throw BAIL; // the reference's odd txnNumber
        s.skipValue(s.maxDepth);
        break;
      default:
        s.skipValue(s.maxDepth);
    }
    if (s.endOfObject()) return;
  }
}

function transaction(s: Outer, env: Envelope): void {
  const b = s.b;
  if (s.isNull()) return;
  if (b[s.pos] !== Ch.LBrace) throw BAIL;
  s.pos++;
  s.ws();
  if (b[s.pos] === Ch.RBrace) {
    s.pos++;
    return;
  }
  for (;;) {
    s.ws();
    const key = s.key();
    s.ws();
    if (key === 'total_order') {
      env.take(F.totalOrder);
      // Only a plain integer: anything else changes the sequence in ways the reference path settles.
      const v = s.integerOrNull();
      if (v === null) throw BAIL;
      env.order = v;
    } else s.skipValue(s.maxDepth);
    if (s.endOfObject()) return;
  }
}

/** A cursor over the record's (plain) JSON bytes. */
class Outer {
  b: Uint8Array = new Uint8Array(0);
  pos = 0;
  end = 0;
  maxDepth = 0;

  reset(b: Uint8Array, from: number, to: number, maxDepth: number): void {
    this.b = b;
    this.pos = from;
    this.end = to;
    this.maxDepth = maxDepth;
  }

  ws(): void {
    const b = this.b;
    let c = b[this.pos];
    while (c === Ch.Space || c === Ch.Nl || c === Ch.Cr || c === Ch.Tab) c = b[++this.pos];
  }

  /** After a member's value: `,` (another follows: false) or `}` (true); else bails. */
  endOfObject(): boolean {
    this.ws();
    const c = this.b[this.pos++];
    if (c === Ch.RBrace) return true;
    if (c !== Ch.Comma) throw BAIL;
    return false;
  }

  /**
   * A member name and its colon: the name if it is one this scanner reads (compared as bytes: no string is made),
   * else ''. A name with escapes is never one of them.
   */
  key(): string {
    const b = this.b;
    if (b[this.pos] !== Ch.Quote) throw BAIL;
    const start = this.pos + 1;
    this.skipString();
    const name = knownName(b, start, this.pos - 1 - start);
    let c = b[this.pos];
    while (c === Ch.Space || c === Ch.Nl || c === Ch.Cr || c === Ch.Tab) c = b[++this.pos];
    if (c !== Ch.Colon) throw BAIL;
    this.pos++;
    return name;
  }

  /** The next member name of the object at the position, without consuming anything. */
  peekKey(): string {
    const at = this.pos;
    this.pos++;
    this.ws();
    let name = '';
    if (this.b[this.pos] === Ch.Quote) {
      try {
        name = this.key();
      } catch {
        name = '';
      }
    }
    this.pos = at;
    return name;
  }

  isNull(): boolean {
    const b = this.b;
    if (
      b[this.pos] === 110 &&
      b[this.pos + 1] === 117 &&
      b[this.pos + 2] === 108 &&
      b[this.pos + 3] === 108
    ) {
      this.pos += 4;
      return true;
    }
    return false;
  }

  /** Whether the value is the string `s` (consumed either way). */
  isString(s: string): boolean {
    const b = this.b;
    if (b[this.pos] !== Ch.Quote) {
      this.skipValue(this.maxDepth);
      return false;
    }
    const start = this.pos + 1;
    this.skipString();
    if (this.pos - 1 - start !== s.length) return false;
    for (let i = 0; i < s.length; i++) if (b[start + i] !== s.charCodeAt(i)) return false;
    return true;
  }

  /** Past a string at the position: every escape checked as JSON.parse checks it. */
  skipString(): void {
    const b = this.b;
    const end = this.end;
    let i = this.pos + 1;
    for (;;) {
      // Ordinary characters in one tight loop; it also stops at the array's end (undefined is not ordinary), and
      // a run past the record's end is caught below at the next quote, backslash or control character.
      while (STRING_CLASS[b[i] as number] === 0) i++;
      if (i >= end) throw BAIL;
      const c = b[i] as number;
      if (c === Ch.Quote) {
        this.pos = i + 1;
        return;
      }
      if (c !== Ch.Backslash) throw BAIL; // a control character
      const e = b[i + 1] as number;
      if (e === Ch.LowerU) {
        for (let k = 2; k < 6; k++) if (!isHex(b[i + k] as number)) throw BAIL;
        i += 6;
      } else if (ESCAPES[e] === 1) i += 2;
      else throw BAIL;
    }
  }

  /**
   * A plain integer of at most 15 digits, or null for `null` or a value of another type (the reference reads those as
   * absent); a number in any other form (fraction, exponent, longer) bails, as JSON.parse would round it.
   */
  integerOrNull(): number | null {
    const b = this.b;
    let i = this.pos;
    const neg = b[i] === Ch.Minus;
    if (neg) i++;
    const first = i;
    let m = 0;
    while ((b[i] as number) >= Ch.Zero && (b[i] as number) <= Ch.Nine)
      m = m * 10 + ((b[i++] as number) - Ch.Zero);
    const digits = i - first;
    if (digits === 0) {
      if (neg) throw BAIL;
      const c = b[this.pos];
      if (c === Ch.LBrace || c === Ch.LBracket) throw BAIL; // not read by the reference either, but nested
      this.skipValue(this.maxDepth);
      return null;
    }
    const c = b[i];
    if (
      digits > 15 ||
      c === Ch.Dot ||
      c === Ch.LowerE ||
      c === Ch.UpperE ||
      (digits > 1 && b[first] === Ch.Zero)
    )
      throw BAIL;
    this.pos = i;
    return neg && m !== 0 ? -m : m;
  }

  /** Past any JSON value, at most `depth` levels deep. */
  skipValue(depth: number): void {
    this.ws();
    const b = this.b;
    const c = b[this.pos];
    if (c === Ch.Quote) {
      this.skipString();
      return;
    }
    if (c === Ch.LBrace || c === Ch.LBracket) {
      if (depth <= 0) throw BAIL;
      const close = c === Ch.LBrace ? Ch.RBrace : Ch.RBracket;
      this.pos++;
      this.ws();
      if (b[this.pos] === close) {
        this.pos++;
        return;
      }
      for (;;) {
        if (c === Ch.LBrace) {
          this.ws();
          if (b[this.pos] !== Ch.Quote) throw BAIL;
          this.skipString();
          this.ws();
          if (b[this.pos++] !== Ch.Colon) throw BAIL;
        }
        this.skipValue(depth - 1);
        this.ws();
        const d = b[this.pos++];
        if (d === close) return;
        if (d !== Ch.Comma) throw BAIL;
      }
    }
    if (this.isNull()) return;
    if (matches(b, this.pos, 'true')) {
      this.pos += 4;
      return;
    }
    if (matches(b, this.pos, 'false')) {
      this.pos += 5;
      return;
    }
    // A number, as JSON has them.
    let i = this.pos;
    if (b[i] === Ch.Minus) i++;
    const first = i;
    while ((b[i] as number) >= Ch.Zero && (b[i] as number) <= Ch.Nine) i++;
    if (i === first || (i - first > 1 && b[first] === Ch.Zero)) throw BAIL;
    if (b[i] === Ch.Dot) {
      const f = ++i;
      while ((b[i] as number) >= Ch.Zero && (b[i] as number) <= Ch.Nine) i++;
      if (i === f) throw BAIL;
    }
    if (b[i] === Ch.LowerE || b[i] === Ch.UpperE) {
      i++;
      if (b[i] === Ch.Plus || b[i] === Ch.Minus) i++;
      const e = i;
      while ((b[i] as number) >= Ch.Zero && (b[i] as number) <= Ch.Nine) i++;
      if (i === e) throw BAIL;
    }
    this.pos = i;
  }
}

const cursor = new Outer();

/** Per byte inside a JSON string: 0 ordinary, 1 the quote, the backslash or a control character. */
export const STRING_CLASS = new Uint8Array(256);
for (let c = 0; c < 0x20; c++) STRING_CLASS[c] = 1;
STRING_CLASS[Ch.Quote] = 1;
STRING_CLASS[Ch.Backslash] = 1;

/** The characters after a backslash that JSON.parse takes (besides `u`). */
const ESCAPES = new Uint8Array(256);
for (const c of '"\\/bfnrt') ESCAPES[c.charCodeAt(0)] = 1;

function matches(b: Uint8Array, at: number, w: string): boolean {
  for (let i = 0; i < w.length; i++) if (b[at + i] !== w.charCodeAt(i)) return false;
  return true;
}

function isHex(c: number): boolean {
  return (c >= Ch.Zero && c <= Ch.Nine) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}
