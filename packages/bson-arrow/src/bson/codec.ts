import { Decimal128 as BsonDecimal128 } from 'bson';
import { DecodeError } from '../errors.js';
import {
  Binary,
  type BsonDocument,
  BsonRegExp,
  BsonSymbol,
  type BsonValue,
  bsonTypeOf,
  Code,
  DateTime,
  DBPointer,
  Decimal128,
  double,
  doubleValue,
  MAX_KEY,
  MIN_KEY,
  ObjectId,
  Timestamp,
  UNDEFINED,
} from './values.js';

/**
 * BSON binary ↔ value model. Debezium itself ships JSON, but raw BSON shows up wherever documents come
 * from the driver directly, and the BSON corpus' `canonical_bson` vectors check our value model against
 * the spec byte for byte. Decoding validates every length and terminator: a malformed buffer is an error,
 * never a partial document.
 */
export function decodeBson(bytes: Uint8Array, maxDepth = 100): BsonDocument {
  const r = new Reader(bytes, maxDepth);
  const doc = r.document(bytes.length, 0);
  if (r.pos !== bytes.length) r.fail('trailing bytes after the document');
  return doc;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

class Reader {
  pos = 0;
  private readonly view: DataView;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly maxDepth: number,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  fail(message: string): never {
    throw new DecodeError('invalid_value', `invalid BSON: ${message} at byte ${this.pos}`);
  }

  private need(n: number, limit: number): void {
    if (n < 0 || this.pos + n > limit) this.fail('value runs past the end of its document');
  }

  private int32(limit: number): number {
    this.need(4, limit);
    const v = this.view.getInt32(this.pos, true);
    this.pos += 4;
    return v;
  }

  document(limit: number, depth: number, isArray = false): BsonDocument {
    if (depth > this.maxDepth)
      throw new DecodeError('nesting_too_deep', `nesting deeper than ${this.maxDepth} levels`);
    const start = this.pos;
    const size = this.int32(limit);
    if (size < 5 || start + size > limit) this.fail(`document size ${size}`);
    const end = start + size - 1;
    if (this.bytes[end] !== 0) this.fail('document is not null-terminated');
    const doc: BsonDocument = new Map();
    while (this.pos < end) {
      const type = this.bytes[this.pos++] as number;
      const name = this.cstring(end);
      doc.set(name, this.value(type, end, depth, isArray));
    }
    if (this.pos !== end) this.fail('document contents overrun its size');
    this.pos = end + 1;
    return doc;
  }

  private cstring(limit: number): string {
    const zero = this.bytes.indexOf(0, this.pos);
    if (zero < 0 || zero >= limit) this.fail('unterminated C string');
    const s = this.utf8(this.pos, zero);
    this.pos = zero + 1;
    return s;
  }

  private string(limit: number): string {
    const len = this.int32(limit);
    if (len < 1) this.fail(`string length ${len}`);
    this.need(len, limit);
    const end = this.pos + len - 1;
    if (this.bytes[end] !== 0) this.fail('string is not null-terminated');
    const s = this.utf8(this.pos, end);
    this.pos = end + 1;
    return s;
  }

  private utf8(from: number, to: number): string {
    try {
      return utf8.decode(this.bytes.subarray(from, to));
    } catch {
      return this.fail('invalid UTF-8');
    }
  }

  private fixed(n: number, limit: number): Uint8Array {
    this.need(n, limit);
    const b = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  private value(type: number, limit: number, depth: number, _inArray: boolean): BsonValue {
    const v = this.view;
    switch (type) {
      case 0x01: {
        this.need(8, limit);
        const d = v.getFloat64(this.pos, true);
        this.pos += 8;
        return double(d);
      }
      case 0x02:
        return this.string(limit);
      case 0x03:
        return this.document(limit, depth + 1);
      case 0x04:
        return [...this.document(limit, depth + 1, true).values()];
      case 0x05: {
        const len = this.int32(limit);
        if (len < 0) this.fail(`binary length ${len}`);
        this.need(1, limit);
        const subtype = this.bytes[this.pos++] as number;
        let data = this.fixed(len, limit);
        if (subtype === 0x02) {
          // The deprecated "old binary" subtype repeats the length inside the payload.
          if (len < 4 || new DataView(data.buffer, data.byteOffset).getInt32(0, true) !== len - 4) {
            this.fail('binary subtype 0x02 inner length mismatch');
          }
          data = data.subarray(4);
          return new Binary(subtype, Uint8Array.from(data));
        }
        return new Binary(subtype, Uint8Array.from(data));
      }
      case 0x06:
        return UNDEFINED;
      case 0x07:
        return new ObjectId(Buffer.from(this.fixed(12, limit)).toString('hex'));
      case 0x08: {
        const b = this.fixed(1, limit)[0];
        if (b !== 0 && b !== 1) this.fail(`boolean byte ${b}`);
        return b === 1;
      }
      case 0x09: {
        this.need(8, limit);
        const ms = v.getBigInt64(this.pos, true);
        this.pos += 8;
        return new DateTime(ms);
      }
      case 0x0a:
        return null;
      case 0x0b: {
        const pattern = this.cstring(limit);
        return new BsonRegExp(pattern, [...this.cstring(limit)].sort().join(''));
      }
      case 0x0c: {
        const ref = this.string(limit);
        return new DBPointer(ref, new ObjectId(Buffer.from(this.fixed(12, limit)).toString('hex')));
      }
      case 0x0d:
        return new Code(this.string(limit), null);
      case 0x0e:
        return new BsonSymbol(this.string(limit));
      case 0x0f: {
        const start = this.pos;
        const total = this.int32(limit);
        if (total < 14 || start + total > limit) this.fail(`code_w_scope length ${total}`);
        const end = start + total;
        const code = this.string(end);
        const scope = this.document(end, depth + 1);
        if (this.pos !== end) this.fail('code_w_scope length does not match its contents');
        return new Code(code, scope);
      }
      case 0x10:
        return this.int32(limit);
      case 0x11: {
        this.need(8, limit);
        const i = v.getUint32(this.pos, true);
        const t = v.getUint32(this.pos + 4, true);
        this.pos += 8;
        return new Timestamp(t, i);
      }
      case 0x12: {
        this.need(8, limit);
        const n = v.getBigInt64(this.pos, true);
        this.pos += 8;
        return n;
      }
      case 0x13:
        return new Decimal128(new BsonDecimal128(Uint8Array.from(this.fixed(16, limit))).toString());
      case 0xff:
        return MIN_KEY;
      case 0x7f:
        return MAX_KEY;
      default:
        return this.fail(`unknown element type 0x${type.toString(16)}`);
    }
  }
}

/** Encodes a document to BSON bytes. */
export function encodeBson(doc: BsonDocument): Uint8Array {
  const w = new Writer();
  w.document(doc);
  return w.finish();
}

const utf8Encoder = new TextEncoder();

class Writer {
  private buf = new Uint8Array(256);
  private view = new DataView(this.buf.buffer);
  private pos = 0;

  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.pos + n));
    next.set(this.buf);
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  private byte(b: number): void {
    this.ensure(1);
    this.buf[this.pos++] = b;
  }

  private bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  private int32(n: number): void {
    this.ensure(4);
    this.view.setInt32(this.pos, n, true);
    this.pos += 4;
  }

  private int64(n: bigint): void {
    this.ensure(8);
    this.view.setBigInt64(this.pos, n, true);
    this.pos += 8;
  }

  private cstring(s: string): void {
    const b = utf8Encoder.encode(s);
    if (b.includes(0))
      throw new DecodeError('invalid_value', 'BSON names and regex parts cannot contain NUL');
    this.bytes(b);
    this.byte(0);
  }

  private string(s: string): void {
    const b = utf8Encoder.encode(s);
    this.int32(b.length + 1);
    this.bytes(b);
    this.byte(0);
  }

  document(doc: BsonDocument | BsonValue[]): void {
    const start = this.pos;
    this.int32(0);
    const entries: Iterable<[string, BsonValue]> = Array.isArray(doc)
      ? doc.map((v, i): [string, BsonValue] => [String(i), v])
      : doc;
    for (const [k, v] of entries) this.element(k, v);
    this.byte(0);
    this.view.setInt32(start, this.pos - start, true);
  }

  private element(name: string, v: BsonValue): void {
    const t = bsonTypeOf(v);
    const typeAt = this.pos;
    this.byte(0);
    this.cstring(name);
    const type = (code: number) => {
      this.buf[typeAt] = code;
    };
    switch (t) {
      case 'double':
        type(0x01);
        this.ensure(8);
        this.view.setFloat64(this.pos, doubleValue(v as number), true);
        this.pos += 8;
        return;
      case 'string':
        type(0x02);
        this.string(v as string);
        return;
      case 'document':
        type(0x03);
        this.document(v as BsonDocument);
        return;
      case 'array':
        type(0x04);
        this.document(v as BsonValue[]);
        return;
      case 'binary': {
        type(0x05);
        const b = v as Binary;
        const old = b.subtype === 0x02;
        this.int32(b.bytes.length + (old ? 4 : 0));
        this.byte(b.subtype);
        if (old) this.int32(b.bytes.length);
        this.bytes(b.bytes);
        return;
      }
      case 'undefined':
        type(0x06);
        return;
      case 'objectId':
        type(0x07);
        this.bytes(Buffer.from((v as ObjectId).hex, 'hex'));
        return;
      case 'bool':
        type(0x08);
        this.byte(v ? 1 : 0);
        return;
      case 'date':
        type(0x09);
        this.int64((v as DateTime).ms);
        return;
      case 'null':
        type(0x0a);
        return;
      case 'regex':
        type(0x0b);
        this.cstring((v as BsonRegExp).pattern);
        this.cstring((v as BsonRegExp).options);
        return;
      case 'dbPointer':
        type(0x0c);
        this.string((v as DBPointer).ref);
        this.bytes(Buffer.from((v as DBPointer).id.hex, 'hex'));
        return;
      case 'code': {
        const c = v as Code;
        if (c.scope === null) {
          type(0x0d);
          this.string(c.code);
          return;
        }
        type(0x0f);
        const start = this.pos;
        this.int32(0);
        this.string(c.code);
        this.document(c.scope);
        this.view.setInt32(start, this.pos - start, true);
        return;
      }
      case 'symbol':
        type(0x0e);
        this.string((v as BsonSymbol).value);
        return;
      case 'int32':
        type(0x10);
        this.int32(v as number);
        return;
      case 'timestamp':
        type(0x11);
        this.ensure(8);
        this.view.setUint32(this.pos, (v as Timestamp).i, true);
        this.view.setUint32(this.pos + 4, (v as Timestamp).t, true);
        this.pos += 8;
        return;
      case 'int64':
        type(0x12);
        this.int64(v as bigint);
        return;
      case 'decimal128':
        type(0x13);
        this.bytes(BsonDecimal128.fromString((v as Decimal128).text).bytes);
        return;
      case 'minKey':
        type(0xff);
        return;
      case 'maxKey':
        type(0x7f);
        return;
      default:
        throw new DecodeError('unsupported_type', `${t} values have no BSON encoding`);
    }
  }
}
