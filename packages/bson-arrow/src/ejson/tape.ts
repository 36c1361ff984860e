import { type BsonDocument, type BsonValue, DateTime, double, ObjectId } from '../bson/values.js';

/**
 * A document parsed once into a flat token tape instead of a tree: what `BatchBuilder` reads to fill its
 * columns without building `Map`s, `ObjectId`s, `BigInt`s or string slices, and what an event's `after`
 * is materialized from when someone reads it. Tokens live in shared chunks (a few allocations per
 * thousands of documents); strings without escapes are ranges of the original text.
 *
 * Per token: `type`; `num` — the value (Int32, Int64 within ±2^53, double, date ms within ±2^53), a
 * string's start offset, or a container's token count (itself included); `aux` — a string's end offset,
 * a container's member count, or for a `Key`, `StrRef` or `Value` the index in `refs` of its key, decoded
 * string or other BSON value.
 */
export enum Tok {
  Null,
  True,
  False,
  Int32,
  Int64,
  Double,
  /** A string without escapes: `text.slice(num, aux)`. */
  Str,
  /** A string with escapes, decoded: `refs[aux]`. */
  StrRef,
  /** An ObjectId whose 24 lower-case hex digits are `text.slice(num, aux)`. */
  Oid,
  /** A BSON date, `num` ms (within ±2^53). */
  Date,
  Doc,
  Arr,
  /** A document member's name (`refs[aux]`), followed by its value's tokens. */
  Key,
  /** Any other BSON value, as the lossless parser makes it (`refs[aux]`). */
  Value,
}

export interface TapeChunk {
  type: Uint8Array;
  num: Float64Array;
  aux: Int32Array;
  refs: unknown[];
  used: number;
}

/** One document's tokens: `chunk` positions `start` (the root) up to `end`. */
export class Tape {
  constructor(
    readonly text: string,
    readonly chunk: TapeChunk,
    readonly start: number,
    readonly end: number,
  ) {}

  /** The document as the lossless parser returns it. */
  value(): BsonValue {
    return readToken(this, this.start);
  }
}

const CHUNK = 1 << 16;
let current = newChunk(CHUNK);

function newChunk(size: number): TapeChunk {
  return {
    type: new Uint8Array(size),
    num: new Float64Array(size),
    aux: new Int32Array(size),
    refs: [],
    used: 0,
  };
}

/** The chunk new tapes go to. */
export function currentChunk(): TapeChunk {
  return current;
}

/** Starts a new current chunk with room for at least `min` tokens (the old one stays with its tapes). */
export function replaceChunk(min: number): TapeChunk {
  current = newChunk(Math.max(CHUNK, min));
  return current;
}

/** The BSON value of the token at `i` — exactly what the lossless parser made of that part of the text. */
export function readToken(t: Tape, i: number): BsonValue {
  const c = t.chunk;
  switch (c.type[i] as Tok) {
    case Tok.Null:
      return null;
    case Tok.True:
      return true;
    case Tok.False:
      return false;
    case Tok.Int32:
      return c.num[i] as number;
    case Tok.Int64:
      return BigInt(c.num[i] as number);
    case Tok.Double:
      return double(c.num[i] as number);
    case Tok.Str:
      return t.text.slice(c.num[i], c.aux[i]);
    case Tok.Oid:
      return new ObjectId(t.text.slice(c.num[i], c.aux[i]));
    case Tok.Date:
      return new DateTime(BigInt(c.num[i] as number));
    case Tok.Doc: {
      const doc: BsonDocument = new Map();
      let j = i + 1;
      for (let k = c.aux[i] as number; k > 0; k--) {
        doc.set(c.refs[c.aux[j] as number] as string, readToken(t, j + 1));
        j = next(c, j + 1);
      }
      return doc;
    }
    case Tok.Arr: {
      const out: BsonValue[] = [];
      let j = i + 1;
      for (let k = c.aux[i] as number; k > 0; k--) {
        out.push(readToken(t, j));
        j = next(c, j);
      }
      return out;
    }
    default:
      return c.refs[c.aux[i] as number] as BsonValue; // StrRef, Value
  }
}

/** The index after the value whose first token is at `i`. */
export function next(c: TapeChunk, i: number): number {
  const type = c.type[i];
  return type === Tok.Doc || type === Tok.Arr ? i + (c.num[i] as number) : i + 1;
}
