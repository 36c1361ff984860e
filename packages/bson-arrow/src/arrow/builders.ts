import {
  Binary as ArrowBinary,
  Bool,
  type Data,
  DateDay,
  Decimal,
  type Field,
  Float64,
  Int32,
  Int64,
  makeData,
  Struct,
  TimestampMicrosecond,
  Utf8,
} from 'apache-arrow';
import {
  type Binary,
  type BsonRegExp,
  type BsonValue,
  DateTime,
  type Decimal128,
  type ObjectId,
  type SqlDecimal,
  SqlTimestamp,
  type Timestamp,
} from '../bson/values.js';
import { stringifyExtendedJson } from '../ejson/stringify.js';
import { decimalToUnscaled, numberOf } from './kinds.js';

/**
 * Column builders that write Arrow buffers directly: typed arrays for fixed-width values, UTF-8 encoded
 * straight into one growing value buffer for strings. No per-row objects, no generic builder dispatch.
 */
export abstract class ColumnBuilder {
  length = 0;
  nullCount = 0;
  protected validity = new Uint8Array(64);

  append(v: BsonValue | undefined): void {
    if (v === null || v === undefined) this.appendNull();
    else {
      this.setValid();
      this.write(v);
    }
  }

  appendNull(): void {
    this.ensureValidity();
    this.nullCount++;
    this.length++;
    this.writeNull();
  }

  private ensureValidity(): void {
    if (this.length >> 3 >= this.validity.length) {
      const next = new Uint8Array(this.validity.length * 2);
      next.set(this.validity);
      this.validity = next;
    }
  }

  /** Marks the next slot valid (`length` grows by one); the caller writes its value at `length - 1`. */
  protected setValid(): void {
    this.ensureValidity();
    const i = this.length >> 3;
    this.validity[i] = (this.validity[i] as number) | (1 << (this.length & 7));
    this.length++;
  }

  bitmap(): Uint8Array | undefined {
    return this.nullCount === 0 ? undefined : this.validity.subarray(0, (this.length + 7) >> 3);
  }

  /** Writes a non-null value at index `length - 1`. */
  protected abstract write(v: BsonValue): void;
  protected abstract writeNull(): void;
  abstract finish(): Data;
}

function grow<T extends Int32Array | Float64Array | BigInt64Array | Uint32Array>(a: T, need: number): T {
  if (need <= a.length) return a;
  const C = a.constructor as new (n: number) => T;
  const next = new C(Math.max(need, a.length * 2));
  next.set(a as never);
  return next;
}

export class BoolBuilder extends ColumnBuilder {
  private values = new Uint8Array(64);
  appendBool(v: boolean): void {
    this.setValid();
    this.write(v);
  }
  protected write(v: BsonValue): void {
    const i = this.length - 1;
    if (i >> 3 >= this.values.length) {
      const next = new Uint8Array(this.values.length * 2);
      next.set(this.values);
      this.values = next;
    }
    if (v === true) this.values[i >> 3] = (this.values[i >> 3] as number) | (1 << (i & 7));
  }
  protected writeNull(): void {
    this.write(false);
  }
  finish(): Data {
    const data = this.values.subarray(0, (this.length + 7) >> 3);
    return makeData({
      type: new Bool(),
      length: this.length,
      nullCount: this.nullCount,
      nullBitmap: this.bitmap(),
      data,
    });
  }
}

export class Int32Builder extends ColumnBuilder {
  private values = new Int32Array(64);
  appendInt(v: number): void {
    this.setValid();
    this.values = grow(this.values, this.length);
    this.values[this.length - 1] = v;
  }
  protected write(v: BsonValue): void {
    this.values = grow(this.values, this.length);
    this.values[this.length - 1] = v as number;
  }
  protected writeNull(): void {
    this.values = grow(this.values, this.length);
  }
  finish(): Data {
    const data = this.values.subarray(0, this.length);
    return makeData({
      type: new Int32(),
      length: this.length,
      nullCount: this.nullCount,
      nullBitmap: this.bitmap(),
      data,
    });
  }
}

export class Float64Builder extends ColumnBuilder {
  private values = new Float64Array(64);
  appendDouble(v: number): void {
    this.setValid();
    this.values = grow(this.values, this.length);
    this.values[this.length - 1] = v;
  }
  protected write(v: BsonValue): void {
    this.values = grow(this.values, this.length);
    this.values[this.length - 1] = typeof v === 'number' ? v : numberOf(v);
  }
  protected writeNull(): void {
    this.values = grow(this.values, this.length);
  }
  finish(): Data {
    const data = this.values.subarray(0, this.length);
    return makeData({
      type: new Float64(),
      length: this.length,
      nullCount: this.nullCount,
      nullBitmap: this.bitmap(),
      data,
    });
  }
}

/** int64 columns and µs timestamps (BSON dates ×1000, relational instants as they are). */
export class Int64Builder extends ColumnBuilder {
  private values = new BigInt64Array(64);
  /** The same buffer as 32-bit words: safe integers are written without a BigInt (little-endian, as Arrow). */
  private words = new Uint32Array(this.values.buffer);
  constructor(private readonly timestamp: boolean) {
    super();
  }
  /** An integer within ±2^53 (the caller guarantees it), written as two words. */
  appendSafeInt(v: number): void {
    if (!LITTLE_ENDIAN) {
      this.append(BigInt(v));
      return;
    }
    this.setValid();
    this.reserve();
    const hi = Math.floor(v / 4294967296);
    const i = (this.length - 1) * 2;
    this.words[i] = v - hi * 4294967296;
    this.words[i + 1] = hi; // two's complement of a negative high word, by Uint32 conversion
  }
  /** A BSON date (ms within ±2^53) as µs. */
  appendMillis(ms: number): void {
    const us = ms * 1000;
    if (us <= MAX_SAFE && us >= -MAX_SAFE) this.appendSafeInt(us);
    else this.append(new DateTime(BigInt(ms)));
  }
  private reserve(): void {
    if (this.length > this.values.length) {
      this.values = grow(this.values, this.length);
      this.words = new Uint32Array(this.values.buffer);
    }
  }
  protected write(v: BsonValue): void {
    this.reserve();
    let n: bigint;
    if (typeof v === 'bigint') n = v;
    else if (typeof v === 'number') n = BigInt(v);
    else if (v instanceof DateTime) n = v.ms * 1000n;
    else if (v instanceof SqlTimestamp) n = v.micros;
    else n = 0n;
    this.values[this.length - 1] = n;
  }
  protected writeNull(): void {
    this.reserve();
  }
  finish(): Data {
    const type = this.timestamp ? new TimestampMicrosecond('UTC') : new Int64();
    const data = this.values.subarray(0, this.length);
    return makeData({
      type,
      length: this.length,
      nullCount: this.nullCount,
      nullBitmap: this.bitmap(),
      data,
    } as never);
  }
}

const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export class Date32Builder extends ColumnBuilder {
  private values = new Int32Array(64);
  protected write(v: BsonValue): void {
    this.values = grow(this.values, this.length);
    this.values[this.length - 1] = (v as { days: number }).days;
  }
  protected writeNull(): void {
    this.values = grow(this.values, this.length);
  }
  finish(): Data {
    const data = this.values.subarray(0, this.length);
    return makeData({
      type: new DateDay(),
      length: this.length,
      nullCount: this.nullCount,
      nullBitmap: this.bitmap(),
      data,
    });
  }
}

/** Variable-length UTF-8 or binary values: one offsets array and one byte buffer. */
export class BytesBuilder extends ColumnBuilder {
  private offsets = new Int32Array(65);
  private bytes = Buffer.allocUnsafe(1024);
  private end = 0;

  constructor(
    private readonly binary: boolean,
    private readonly text: (v: BsonValue) => string,
  ) {
    super();
  }

  protected write(v: BsonValue): void {
    if (this.binary) {
      const b = (v as Binary).bytes;
      this.reserve(b.length);
      this.bytes.set(b, this.end);
      this.end += b.length;
      this.endValue();
    } else this.writeText(this.text(v), 0, -1);
  }

  /** A string value, or the part `[from, to)` of a text (`to` -1: to its end). */
  appendText(s: string, from = 0, to = -1): void {
    this.setValid();
    this.writeText(s, from, to);
  }

  private writeText(s: string, from: number, to: number): void {
    const n = (to < 0 ? s.length : to) - from;
    this.reserve(n * 3);
    const bytes = this.bytes;
    let end = this.end;
    // ASCII is copied in JS: cheaper than a call into the native UTF-8 encoder for short strings.
    let i = from;
    const stop = from + n;
    if (n < 64) {
      for (; i < stop; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        bytes[end++] = c;
      }
    }
    // Unpaired UTF-16 surrogates have no UTF-8 form: they become U+FFFD (README: declared lossy).
    if (i < stop) end += bytes.write(i === 0 && stop === s.length ? s : s.slice(i, stop), end, 'utf8');
    this.end = end;
    this.endValue();
  }

  private endValue(): void {
    this.offsets = grow(this.offsets, this.length + 1);
    this.offsets[this.length] = this.end;
  }

  protected writeNull(): void {
    this.offsets = grow(this.offsets, this.length + 1);
    this.offsets[this.length] = this.end;
  }

  private reserve(n: number): void {
    if (this.end + n <= this.bytes.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.bytes.length * 2, this.end + n));
    this.bytes.copy(next, 0, 0, this.end);
    this.bytes = next;
  }

  finish(): Data {
    const valueOffsets = this.offsets.subarray(0, this.length + 1);
    const data = new Uint8Array(this.bytes.buffer, this.bytes.byteOffset, this.end);
    const props = {
      length: this.length,
      nullCount: this.nullCount,
      nullBitmap: this.bitmap(),
      valueOffsets,
      data,
    };
    return this.binary
      ? makeData({ type: new ArrowBinary(), ...props })
      : makeData({ type: new Utf8(), ...props });
  }
}

/** Text forms of the string-backed kinds. */
export const TEXT = {
  string: (v: BsonValue) => v as string,
  objectId: (v: BsonValue) => (v as ObjectId).hex,
  decimal128: (v: BsonValue) => (v as Decimal128).text,
  decimalText: (v: BsonValue) => String(v as SqlDecimal),
  symbol: (v: BsonValue) => (v as { value: string }).value,
  code: (v: BsonValue) => (v as { code: string }).code,
  time: (v: BsonValue) => String(v),
  uuid: (v: BsonValue) => {
    const h = Buffer.from((v as Binary).bytes).toString('hex');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  },
  ejson: (v: BsonValue) => stringifyExtendedJson(v, { mode: 'canonical', style: 'compact' }),
} as const;

export class DecimalBuilder extends ColumnBuilder {
  private words = new Uint32Array(256);
  constructor(
    private readonly precision: number,
    private readonly scale: number,
  ) {
    super();
  }
  protected write(v: BsonValue): void {
    this.words = grow(this.words, this.length * 4);
    const d = v as SqlDecimal | Decimal128;
    let n: bigint;
    if (d.kind === 'sqlDecimal') n = d.unscaled * 10n ** BigInt(this.scale - d.scale);
    else n = decimalToUnscaled(d.text, this.scale, this.precision) ?? 0n;
    const base = (this.length - 1) * 4;
    let x = BigInt.asUintN(128, n);
    for (let i = 0; i < 4; i++) {
      this.words[base + i] = Number(x & 0xffffffffn);
      x >>= 32n;
    }
  }
  protected writeNull(): void {
    this.words = grow(this.words, this.length * 4);
  }
  finish(): Data {
    const data = this.words.subarray(0, this.length * 4);
    const type = new Decimal(this.scale, this.precision, 128);
    return makeData({
      type,
      length: this.length,
      nullCount: this.nullCount,
      nullBitmap: this.bitmap(),
      data,
    });
  }
}

/** BSON Timestamp → struct<t: int64, i: int64>; regex → struct<pattern, options>. */
export class PairBuilder extends ColumnBuilder {
  constructor(
    private readonly a: ColumnBuilder,
    private readonly b: ColumnBuilder,
    private readonly fields: Field[],
    private readonly split: (v: BsonValue) => [BsonValue, BsonValue],
  ) {
    super();
  }
  protected write(v: BsonValue): void {
    const [x, y] = this.split(v);
    this.a.append(x);
    this.b.append(y);
  }
  protected writeNull(): void {
    this.a.appendNull();
    this.b.appendNull();
  }
  finish(): Data {
    const children = [this.a.finish(), this.b.finish()];
    const type = new Struct(this.fields);
    return makeData({
      type,
      length: this.length,
      nullCount: this.nullCount,
      nullBitmap: this.bitmap(),
      children,
    });
  }
}

export const splitTimestamp = (v: BsonValue): [BsonValue, BsonValue] => [
  BigInt((v as Timestamp).t),
  BigInt((v as Timestamp).i),
];
export const splitRegex = (v: BsonValue): [BsonValue, BsonValue] => [
  (v as BsonRegExp).pattern,
  (v as BsonRegExp).options,
];

/** Only a validity bitmap: the nulls of struct and list columns, whose values live in their children. */
export class ValidityBuilder extends ColumnBuilder {
  protected write(): void {}
  protected writeNull(): void {}
  finish(): Data {
    throw new Error('a validity bitmap is not a column');
  }
}
