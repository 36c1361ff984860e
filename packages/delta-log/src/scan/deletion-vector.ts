/**
 * Deletion vectors (PROTOCOL "Deletion Vector Format"): Z85-encoded descriptors pointing at a
 * RoaringBitmapArray, inline or inside a `deletion_vector_<uuid>.bin` file. Decoding is pure; `loadDeletionVector`
 * does the one read.
 */
import type { DeletionVectorDescriptor } from '../actions.js';
import { InvalidTableError, UnsupportedFeatureError } from '../errors.js';
import { decodePath } from '../log/replay.js';

const Z85 = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#';
const Z85_INDEX = new Int16Array(128).fill(-1);
for (let i = 0; i < Z85.length; i++) Z85_INDEX[Z85.charCodeAt(i)] = i;

export function z85Decode(text: string): Uint8Array {
  if (text.length % 5 !== 0) throw new InvalidTableError(`invalid Z85 string of length ${text.length}`);
  const out = new Uint8Array((text.length / 5) * 4);
  for (let i = 0, o = 0; i < text.length; i += 5, o += 4) {
    let v = 0;
    for (let j = 0; j < 5; j++) {
      const d = Z85_INDEX[text.charCodeAt(i + j)] ?? -1;
      if (d < 0) throw new InvalidTableError(`invalid Z85 character ${JSON.stringify(text[i + j])}`);
      v = v * 85 + d;
    }
    out[o] = (v >>> 24) & 0xff;
    out[o + 1] = (v >>> 16) & 0xff;
    out[o + 2] = (v >>> 8) & 0xff;
    out[o + 3] = v & 0xff;
  }
  return out;
}

/** The table-relative (or absolute) path of a `u`/`p` deletion vector file. */
export function deletionVectorPath(dv: DeletionVectorDescriptor): string {
  if (dv.storageType === 'p') return decodePath(dv.pathOrInlineDv);
  if (dv.storageType !== 'u')
    throw new InvalidTableError(`deletion vector of type ${dv.storageType} has no file`);
  const encoded = dv.pathOrInlineDv;
  const prefix = encoded.slice(0, encoded.length - 20);
  const b = z85Decode(encoded.slice(-20));
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  const uuid = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  return `${prefix ? `${prefix}/` : ''}deletion_vector_${uuid}.bin`;
}

const PORTABLE_MAGIC = 1681511377;
const NATIVE_MAGIC = 1681511376;
const SERIAL_COOKIE_NO_RUN = 12346;
const SERIAL_COOKIE = 12347;

/** Decodes one 32-bit portable Roaring bitmap at `pos`, pushing `high + value` for each member. */
function readRoaring(view: DataView, start: number, high: number, out: number[]): number {
  let pos = start;
  const cookie = view.getUint32(pos, true);
  pos += 4;
  let size: number;
  let runFlags: Uint8Array | undefined;
  let hasOffsets: boolean;
  if ((cookie & 0xffff) === SERIAL_COOKIE) {
    size = (cookie >>> 16) + 1;
    const n = Math.ceil(size / 8);
    runFlags = new Uint8Array(view.buffer, view.byteOffset + pos, n);
    pos += n;
    hasOffsets = size >= 4;
  } else if (cookie === SERIAL_COOKIE_NO_RUN) {
    size = view.getUint32(pos, true);
    pos += 4;
    hasOffsets = true;
  } else {
    throw new InvalidTableError(`invalid roaring bitmap cookie ${cookie}`);
  }
  const keys: number[] = [];
  const cards: number[] = [];
  for (let i = 0; i < size; i++) {
    keys.push(view.getUint16(pos, true));
    cards.push(view.getUint16(pos + 2, true) + 1);
    pos += 4;
  }
  if (hasOffsets) pos += 4 * size;
  for (let i = 0; i < size; i++) {
    const base = high + (keys[i] as number) * 65536;
    const card = cards[i] as number;
    const isRun = runFlags ? ((runFlags[i >> 3] as number) >> (i & 7)) & 1 : 0;
    if (isRun) {
      const runs = view.getUint16(pos, true);
      pos += 2;
      for (let r = 0; r < runs; r++) {
        const s = view.getUint16(pos, true);
        const len = view.getUint16(pos + 2, true);
        pos += 4;
        for (let v = s; v <= s + len; v++) out.push(base + v);
      }
    } else if (card <= 4096) {
      for (let j = 0; j < card; j++) out.push(base + view.getUint16(pos + 2 * j, true));
      pos += 2 * card;
    } else {
      for (let w = 0; w < 2048; w++) {
        let word = view.getUint32(pos + 4 * w, true);
        while (word !== 0) {
          const bit = 31 - Math.clz32(word & -word);
          out.push(base + w * 32 + bit);
          word &= word - 1;
        }
      }
      pos += 8192;
    }
  }
  return pos;
}

/** Decodes a serialized RoaringBitmapArray (magic + buckets) into sorted row indexes. */
export function decodeBitmap(bytes: Uint8Array): number[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, true);
  if (magic === NATIVE_MAGIC) {
    throw new UnsupportedFeatureError(
      'deletion vector uses the native (non-portable) RoaringBitmapArray format',
    );
  }
  if (magic !== PORTABLE_MAGIC) throw new InvalidTableError(`invalid deletion vector magic ${magic}`);
  const buckets = Number(view.getBigUint64(4, true));
  let pos = 12;
  const out: number[] = [];
  for (let b = 0; b < buckets; b++) {
    const key = view.getUint32(pos, true);
    pos += 4;
    pos = readRoaring(view, pos, key * 2 ** 32, out);
  }
  return out;
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++)
    c = (CRC_TABLE[(c ^ (bytes[i] as number)) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * Decodes the bitmap stored in a DV file region that starts at `offset`: u32 BE size, bitmap, u32 BE CRC-32.
 * `region` must start at `offset` and hold at least `sizeInBytes + 8` bytes.
 */
export function decodeFileRegion(region: Uint8Array, dv: DeletionVectorDescriptor): number[] {
  const view = new DataView(region.buffer, region.byteOffset, region.byteLength);
  const size = view.getUint32(0, false);
  if (size !== dv.sizeInBytes) {
    throw new InvalidTableError(
      `deletion vector size mismatch: descriptor says ${dv.sizeInBytes}, file says ${size}`,
    );
  }
  const bitmap = region.subarray(4, 4 + size);
  const expected = view.getUint32(4 + size, false);
  if (crc32(bitmap) !== expected) throw new InvalidTableError('deletion vector checksum mismatch');
  return decodeBitmap(bitmap);
}

/** Decodes an inline (`i`) deletion vector. */
export function decodeInline(dv: DeletionVectorDescriptor): number[] {
  return decodeBitmap(z85Decode(dv.pathOrInlineDv).subarray(0, dv.sizeInBytes));
}
