/**
 * The fixed-width Arrow builders (booleans, integers, doubles, µs timestamps, dates, decimals, the two-field structs
 * of BSON Timestamps and regexes) on the `ColumnBuilder` base; variable-length values are in `bytes.ts`.
 */
import {
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
} from 'apache-arrow';
import {
  type BsonRegExp,
  type BsonValue,
  DateTime,
  type Decimal128,
  type SqlDecimal,
  SqlTimestamp,
  type Timestamp,
} from '../bson/values.js';
import { type Bounds, ColumnBuilder, grow } from './column-builder.js';
import { decimalToUnscaled, numberOf } from './kinds.js';

export { BytesBuilder, TEXT } from './bytes.js';
export { type Bounds, ColumnBuilder } from './column-builder.js';

/** Min/max of plain numbers (NaN is never a bound), with the values of the current row undoable. */
abstract class NumberBounds extends ColumnBuilder {
  protected lo = Number.POSITIVE_INFINITY;
  protected hi = Number.NEGATIVE_INFINITY;
  private savedLo = this.lo;
  private savedHi = this.hi;
  protected bound(v: number): void {
    if (v < this.lo || v > this.hi) {
      this.touch();
      if (v < this.lo) this.lo = v;
      if (v > this.hi) this.hi = v;
    }
  }
  override bounds(): Bounds | undefined {
    return this.lo <= this.hi ? { min: this.lo, max: this.hi } : undefined;
  }
  protected override saveBounds(): void {
    this.savedLo = this.lo;
    this.savedHi = this.hi;
  }
  protected override restoreBounds(): void {
    this.lo = this.savedLo;
    this.hi = this.savedHi;
  }
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
  protected override truncateValues(n: number, old: number): void {
    for (let i = n; i < old; i++) this.values[i >> 3] = (this.values[i >> 3] as number) & ~(1 << (i & 7));
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

export class Int32Builder extends NumberBounds {
  private values = new Int32Array(64);
  appendInt(v: number): void {
    this.setValid();
    this.values = grow(this.values, this.length);
    this.values[this.length - 1] = v;
    this.bound(v);
  }
  protected write(v: BsonValue): void {
    this.values = grow(this.values, this.length);
    this.values[this.length - 1] = v as number;
    this.bound(this.values[this.length - 1] as number);
  }
  protected writeNull(): void {
    this.values = grow(this.values, this.length);
    this.values[this.length - 1] = 0;
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

export class Float64Builder extends NumberBounds {
  private values = new Float64Array(64);
  appendDouble(v: number): void {
    this.setValid();
    this.values = grow(this.values, this.length);
    this.values[this.length - 1] = v;
    this.bound(v);
  }
  protected write(v: BsonValue): void {
    this.values = grow(this.values, this.length);
    const d = typeof v === 'number' ? v : numberOf(v);
    this.values[this.length - 1] = d;
    this.bound(d);
  }
  protected writeNull(): void {
    this.values = grow(this.values, this.length);
    this.values[this.length - 1] = 0;
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

/**
 * int64 columns and µs timestamps (BSON dates ×1000, relational instants as they are). Bounds are kept as plain
 * numbers while values are safe integers (no BigInt per value) and as bigints beyond.
 */
export class Int64Builder extends NumberBounds {
  private values = new BigInt64Array(64);
  /** The same buffer as 32-bit words: safe integers are written without a BigInt (little-endian, as Arrow). */
  private words = new Uint32Array(this.values.buffer);
  private bigLo: bigint | undefined;
  private bigHi: bigint | undefined;
  private savedBigLo: bigint | undefined;
  private savedBigHi: bigint | undefined;
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
    this.bound(v === 0 ? 0 : v);
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
    n = this.values[this.length - 1] as bigint; // as stored (wrapped to 64 bits)
    if (n <= SAFE && n >= -SAFE) this.bound(Number(n));
    else if (this.bigLo === undefined || this.bigHi === undefined || n < this.bigLo || n > this.bigHi) {
      this.touch();
      if (this.bigLo === undefined || n < this.bigLo) this.bigLo = n;
      if (this.bigHi === undefined || n > this.bigHi) this.bigHi = n;
    }
  }
  protected writeNull(): void {
    this.reserve();
    this.values[this.length - 1] = 0n;
  }
  override bounds(): Bounds | undefined {
    const small = super.bounds();
    if (this.bigLo === undefined || this.bigHi === undefined) return small;
    if (small === undefined) return { min: this.bigLo, max: this.bigHi };
    return {
      min: this.bigLo < BigInt(small.min) ? this.bigLo : small.min,
      max: this.bigHi > BigInt(small.max) ? this.bigHi : small.max,
    };
  }
  protected override saveBounds(): void {
    super.saveBounds();
    this.savedBigLo = this.bigLo;
    this.savedBigHi = this.bigHi;
  }
  protected override restoreBounds(): void {
    super.restoreBounds();
    this.bigLo = this.savedBigLo;
    this.bigHi = this.savedBigHi;
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
const SAFE = 2n ** 53n - 1n;
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export class Date32Builder extends NumberBounds {
  private values = new Int32Array(64);
  protected write(v: BsonValue): void {
    this.values = grow(this.values, this.length);
    const days = (v as { days: number }).days;
    this.values[this.length - 1] = days;
    this.bound(this.values[this.length - 1] as number);
  }
  protected writeNull(): void {
    this.values = grow(this.values, this.length);
    this.values[this.length - 1] = 0;
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

export class DecimalBuilder extends ColumnBuilder {
  private words = new Uint32Array(256);
  private lo: bigint | undefined;
  private hi: bigint | undefined;
  private savedLo: bigint | undefined;
  private savedHi: bigint | undefined;
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
    n = BigInt.asIntN(128, n); // as stored
    if (this.lo === undefined || this.hi === undefined || n < this.lo || n > this.hi) {
      this.touch();
      if (this.lo === undefined || n < this.lo) this.lo = n;
      if (this.hi === undefined || n > this.hi) this.hi = n;
    }
  }
  protected writeNull(): void {
    this.words = grow(this.words, this.length * 4);
    this.words.fill(0, (this.length - 1) * 4, this.length * 4);
  }
  override bounds(): Bounds | undefined {
    return this.lo === undefined || this.hi === undefined ? undefined : { min: this.lo, max: this.hi };
  }
  protected override saveBounds(): void {
    this.savedLo = this.lo;
    this.savedHi = this.hi;
  }
  protected override restoreBounds(): void {
    this.lo = this.savedLo;
    this.hi = this.savedHi;
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
    readonly a: ColumnBuilder,
    readonly b: ColumnBuilder,
    readonly fields: Field[],
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
  protected override truncateValues(n: number): void {
    this.a.truncate(n);
    this.b.truncate(n);
  }
  override bounds(): Bounds | undefined {
    return undefined; // a struct: its two children have theirs
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
