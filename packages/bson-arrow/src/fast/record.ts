/**
 * One Kafka record of a Debezium MongoDB topic, from its bytes to one row of the batch in a single pass: the envelope
 * is scanned (`envelope.ts`), the key's canonical text and the update description are settled, and the document is
 * written straight into the columns (`document.ts`), then the CDC columns. No `ChangeEvent`, no `Map`, no tape.
 *
 * The fast path only ever produces a row. Every record it does not take — tombstones, heartbeats, failures, other
 * connectors, shapes it does not read — is reported as `bail` with nothing written (a partly written row is rolled
 * back), and the caller decodes it with the reference `Decoder`, which alone decides failures and their reasons. A
 * row that already changed the schema when it had to be abandoned is reported as `restart` (`batch.ts` rebuilds).
 */
import { isUtf8 } from 'node:buffer';
import type { BatchBuilder } from '../arrow/batch.js';
import type { BytesBuilder } from '../arrow/builders.js';
import { mongoPatchText } from '../arrow/cdc.js';
import { nextRow } from '../arrow/row.js';
import { type BsonDocument, type BsonValue, ObjectId } from '../bson/values.js';
import { canonicalKey, parseMongoKey } from '../debezium/key.js';
import { decodePatch } from '../debezium/mongo-fast.js';
import { parseExtendedJson } from '../ejson/parse.js';
import { Tok } from '../ejson/tape.js';
import { parseTape } from '../ejson/tape-parser.js';
import type { DecodeLimits } from '../errors.js';
import { DocumentWriter } from './document.js';
import { Envelope, scanEnvelope } from './envelope.js';
import { BAIL, decodeUtf8, InnerText } from './inner-text.js';

/** `row`: written; `skip`: a record that is no row and no failure (a tombstone); `bail`: the reference path's. */
export type FastOutcome = 'row' | 'skip' | 'bail' | 'restart';

/** Where a record's bytes are: `[start, end)` of `bytes` for its key and value, start -1 for null. */
export interface RecordBytes {
  bytes: Uint8Array;
  keyStart: number;
  keyEnd: number;
  valueStart: number;
  valueEnd: number;
  offset: bigint;
}

const OID_KEY_PREFIXES = ['{"id":"{\\"$oid\\": \\"', '{"id":"{\\"$oid\\":\\"'].map((p) =>
  Buffer.from(p, 'latin1'),
);
const OID_KEY_SUFFIX = Buffer.from('\\"}"}', 'latin1');
const OID_OPEN = '{"$oid":"';
const OID_CLOSE = '"}';

export class FastRecordWriter {
  private readonly env = new Envelope();
  private readonly document = new DocumentWriter();
  private readonly inner = new InnerText();
  private readonly seq: (number | null)[] = [0, 0];
  private readonly seq3: (number | null)[] = [0, 0, 0];
  private topicBytes = new Uint8Array(0);
  private topic = '';
  // The key of the record being written: an ObjectId's hex at `oidAt` of the key bytes, or its canonical text.
  private oidAt = -1;
  private keyText = '';
  private keyId: BsonValue = null;

  constructor(private readonly limits: DecodeLimits) {}

  /** Writes the record as the next row of `builder`, or leaves it to the reference path (nothing written). */
  write(builder: BatchBuilder, topic: string, partition: number, r: RecordBytes): FastOutcome {
    const { bytes, valueStart, valueEnd } = r;
    const limits = this.limits;
    if (valueStart < 0) {
      // A tombstone is no row; the reference decoder parses its key, which fails only for keys not of this form.
      return r.keyStart < 0 || this.oidKey(bytes, r.keyStart, r.keyEnd) ? 'skip' : 'bail';
    }
    if (r.keyStart < 0) return 'bail'; // a change without a key: its `_id` decides, on the reference path
    // The record-entry limits (limits.ts `recordText`): size, and UTF-8 — plain strings are copied as bytes, so
    // bytes that are not UTF-8 must never get this far.
    if (valueEnd - valueStart > limits.maxBytes || r.keyEnd - r.keyStart > limits.maxBytes) return 'bail';
    if (!isUtf8(bytes.subarray(valueStart, valueEnd)) || !isUtf8(bytes.subarray(r.keyStart, r.keyEnd)))
      return 'bail';
    // The row's named fields: within the per-document limit, and within the columns the batch has room for (a row
    // with no more fields than that cannot take the batch past it). Beyond either, the reference path decides.
    const maxNamed = Math.min(limits.maxDocumentFields, builder.columnRoom);
    const env = this.env;
    let patch: string | null = null;
    try {
      scanEnvelope(bytes, valueStart, valueEnd, env, limits.maxDepth);
      this.key(bytes, r.keyStart, r.keyEnd);
      if (env.updateStart >= 0) patch = this.patch(bytes, env.updateStart, env.updateEnd);
      // The pre-image is not written when there is an `after`, but a bad one fails the record all the same.
      if (env.afterStart >= 0 && env.beforeStart >= 0)
        this.checkDocument(bytes, env.beforeStart, env.beforeEnd);
    } catch (e) {
      if (e === BAIL) return 'bail';
      throw e;
    }
    const { root, cdc } = builder.tree;
    const start = env.afterStart >= 0 ? env.afterStart : env.beforeStart;
    const end = env.afterStart >= 0 ? env.afterEnd : env.beforeEnd;
    nextRow();
    if (start >= 0) {
      try {
        this.document.writeRow(root, bytes, start, end, limits, maxNamed);
      } catch (e) {
        if (this.document.dirty) return 'restart';
        builder.rollbackRow();
        if (e === BAIL) return 'bail';
        throw e;
      }
    } else {
      // A delete without a pre-image: the row is the key alone, by the column machinery.
      if (maxNamed < 1) return 'bail';
      const doc: BsonDocument = new Map([['_id', this.id(bytes)]]);
      root.put(doc);
    }
    if (cdc) {
      if (topic !== this.topic) {
        this.topic = topic;
        this.topicBytes = Buffer.from(topic, 'utf8');
      }
      const seq = env.order === null ? this.seq : this.seq3;
      seq[0] = env.sourceTsMs;
      seq[1] = env.ord;
      if (env.order !== null) seq[2] = env.order;
      cdc.appendMongo(
        env.op,
        this.writeKey,
        seq,
        env.tsMs,
        env.sourceTsMs,
        patch,
        this.topicBytes,
        partition,
        r.offset,
      );
    }
    builder.commitRow();
    return 'row';
  }

  /**
   * The record key: the connector's `{"id":"{\"$oid\": \"<hex>\"}"}` is read in place; any other key through the
   * reference key parser (errors bail).
   */
  private key(b: Uint8Array, from: number, to: number): void {
    if (this.oidKey(b, from, to)) return;
    try {
      this.keyId = parseMongoKey(decodeUtf8(b, from, to), this.limits.maxDepth);
      this.keyText = canonicalKey(this.keyId);
    } catch {
      throw BAIL;
    }
  }

  private keyBytes: Uint8Array = new Uint8Array(0);

  /** Whether the key is the connector's ObjectId key; if so its hex is at `oidAt`. */
  private oidKey(b: Uint8Array, from: number, to: number): boolean {
    this.oidAt = -1;
    for (const prefix of OID_KEY_PREFIXES) {
      const at = from + prefix.length;
      if (to !== at + 24 + OID_KEY_SUFFIX.length || !startsWith(b, from, prefix)) continue;
      if (!startsWith(b, at + 24, OID_KEY_SUFFIX)) continue;
      let hex = true;
      for (let i = at; i < at + 24; i++) {
        const c = b[i] as number;
        if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) hex = false;
      }
      if (hex) {
        this.oidAt = at;
        this.keyBytes = b;
        return true;
      }
    }
    return false;
  }

  private readonly writeKey = (k: BytesBuilder): void => {
    if (this.oidAt >= 0) {
      k.putAscii(OID_OPEN);
      k.putBytes(this.keyBytes, this.oidAt, this.oidAt + 24);
      k.putAscii(OID_CLOSE);
    } else {
      const text = this.keyText;
      let ascii = true;
      for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) >= 0x80) ascii = false;
      if (ascii) k.putAscii(text);
      else {
        const utf8 = Buffer.from(text, 'utf8');
        k.putBytes(utf8, 0, utf8.length);
      }
    }
  };

  /** The `_id` the key holds. */
  private id(b: Uint8Array): BsonValue {
    return this.oidAt >= 0 ? new ObjectId(decodeUtf8(b, this.oidAt, this.oidAt + 24)) : this.keyId;
  }

  /** `_cdc_patch` of an `updateDescription` object, by the reference functions (it is small, and updates only). */
  private patch(b: Uint8Array, from: number, to: number): string | null {
    try {
      const updateDescription = JSON.parse(decodeUtf8(b, from, to)) as unknown;
      const p = decodePatch({ updateDescription }, this.limits);
      return p === null ? null : mongoPatchText(p);
    } catch {
      throw BAIL;
    }
  }

  /** Whether the reference decoder takes the document text `[from, to)` (a nested string) as a document. */
  private checkDocument(b: Uint8Array, from: number, to: number): void {
    const t = this.inner;
    t.reset(b, from, to);
    const text = t.innerTextOf(from, to);
    const tape = parseTape(text, this.limits);
    if (tape !== undefined && tape.chunk.type[tape.start] === Tok.Doc) return;
    let v: BsonValue;
    try {
      v = parseExtendedJson(text, this.limits);
    } catch {
      throw BAIL;
    }
    if (!(v instanceof Map)) throw BAIL;
  }
}

function startsWith(b: Uint8Array, at: number, prefix: Uint8Array): boolean {
  for (let i = 0; i < prefix.length; i++) if (b[at + i] !== prefix[i]) return false;
  return true;
}
