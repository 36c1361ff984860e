import { Binary as ArrowBinary, type Data, makeData, Utf8 } from 'apache-arrow';
import type { Binary, BsonValue, Decimal128, ObjectId, SqlDecimal } from '../bson/values.js';
import { stringifyExtendedJson } from '../ejson/stringify.js';
import { type Bounds, ColumnBuilder, grow } from './column-builder.js';

/**
 * Variable-length UTF-8 or binary values: one offsets array and one byte buffer. A value can be appended from a JS
 * string (encoded here), or as UTF-8 bytes taken straight from a record's text (`appendBytes`), or assembled from
 * pieces (`open` … `close`), so the one-pass decoder never makes a string for a value it only copies.
 *
 * Text columns keep their smallest and largest value as row indices into their own buffer, compared as UTF-8 bytes
 * (code-point order, what Delta statistics use); binary columns have no bounds.
 */
export class BytesBuilder extends ColumnBuilder {
  private offsets = new Int32Array(65);
  private bytes = Buffer.allocUnsafe(1024);
  private end = 0;
  private minRow = -1;
  private maxRow = -1;
  private savedMinRow = -1;
  private savedMaxRow = -1;

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

  /** A value that is the bytes `[from, to)` of `src`, valid UTF-8 for a text column (the caller checked it). */
  appendBytes(src: Uint8Array, from: number, to: number): void {
    this.setValid();
    this.putBytes(src, from, to);
    this.endValue();
  }

  /** Starts a value assembled from pieces (`putBytes`, `putAscii`, `putDigits`), ended by `close`. */
  open(): void {
    this.setValid();
  }

  putBytes(src: Uint8Array, from: number, to: number): void {
    const n = to - from;
    this.reserve(n);
    const bytes = this.bytes;
    let end = this.end;
    if (n < 32) for (let i = from; i < to; i++) bytes[end++] = src[i] as number;
    else {
      bytes.set(src.subarray(from, to), end);
      end += n;
    }
    this.end = end;
  }

  /** A string of ASCII characters only (the caller knows it: literals, digits). */
  putAscii(s: string): void {
    this.reserve(s.length);
    const bytes = this.bytes;
    let end = this.end;
    for (let i = 0; i < s.length; i++) bytes[end++] = s.charCodeAt(i);
    this.end = end;
  }

  /** A non-negative safe integer's decimal digits, left-padded with zeros to `width`. */
  putDigits(n: number, width: number): void {
    this.reserve(Math.max(width, 16));
    const bytes = this.bytes;
    let digits = 1;
    for (let x = n; x >= 10; x = Math.floor(x / 10)) digits++;
    let end = this.end;
    for (let k = digits; k < width; k++) bytes[end++] = 48;
    let at = end + digits;
    let x = n;
    for (let k = 0; k < digits; k++) {
      const q = Math.floor(x / 10);
      bytes[--at] = 48 + (x - q * 10);
      x = q;
    }
    this.end = end + digits;
  }

  close(): void {
    this.endValue();
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
    if (!this.binary) this.bound(this.length - 1);
  }

  /** Takes row `row` (just written) into the bounds. */
  private bound(row: number): void {
    if (this.minRow < 0) {
      this.touch();
      this.minRow = row;
      this.maxRow = row;
      return;
    }
    const lower = this.compareRows(row, this.minRow) < 0;
    const higher = !lower && this.compareRows(row, this.maxRow) > 0;
    if (lower || higher) {
      this.touch();
      if (lower) this.minRow = row;
      else this.maxRow = row;
    }
  }

  private compareRows(a: number, b: number): number {
    const o = this.offsets;
    const bytes = this.bytes;
    let i = o[a] as number;
    const ae = o[a + 1] as number;
    let j = o[b] as number;
    const be = o[b + 1] as number;
    for (; i < ae && j < be; i++, j++) {
      const d = (bytes[i] as number) - (bytes[j] as number);
      if (d !== 0) return d;
    }
    return ae - i - (be - j);
  }

  override bounds(): Bounds | undefined {
    if (this.binary || this.minRow < 0) return undefined;
    const o = this.offsets;
    const text = (row: number) => this.bytes.toString('utf8', o[row], o[row + 1]);
    return { min: text(this.minRow), max: text(this.maxRow) };
  }

  protected override saveBounds(): void {
    this.savedMinRow = this.minRow;
    this.savedMaxRow = this.maxRow;
  }

  protected override restoreBounds(): void {
    this.minRow = this.savedMinRow;
    this.maxRow = this.savedMaxRow;
  }

  protected override truncateValues(n: number): void {
    this.end = this.offsets[n] as number;
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
