/**
 * Deletion vectors of a table's live files, checked from their bytes (PROTOCOL.md "Deletion Vector Format"),
 * independently of delta-log's reader: the file a `u`/`p` descriptor names exists, the region at its offset holds
 * `sizeInBytes` bytes of bitmap with a matching CRC-32, and the RoaringBitmapArray's cardinality equals the
 * descriptor's — at most the file's row count. Readers apply these vectors blindly, so a wrong one is a wrong table.
 */

export interface DeletionVector {
  storageType: string;
  pathOrInlineDv: string;
  offset?: number;
  sizeInBytes: number;
  cardinality: number;
}

/** Identity of a vector inside the log (PROTOCOL.md: `add`/`remove` are keyed by path and this). */
export function vectorId(dv: DeletionVector | undefined): string {
  return dv ? `${dv.storageType}${dv.pathOrInlineDv}@${dv.offset ?? ''}` : '';
}

const Z85 = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#';

function z85Decode(text: string): Uint8Array {
  if (text.length % 5 !== 0) throw new Error(`Z85 text of length ${text.length}`);
  const out = new Uint8Array((text.length / 5) * 4);
  for (let i = 0; i < text.length; i += 5) {
    let v = 0;
    for (let j = 0; j < 5; j++) {
      const d = Z85.indexOf(text[i + j] as string);
      if (d < 0) throw new Error(`not Z85: ${JSON.stringify(text[i + j])}`);
      v = v * 85 + d;
    }
    new DataView(out.buffer).setUint32((i / 5) * 4, v, false);
  }
  return out;
}

/** Table-relative key of a vector's file; undefined for inline vectors. */
export function vectorFile(dv: DeletionVector): string | undefined {
  if (dv.storageType === 'i') return undefined;
  if (dv.storageType === 'p') return dv.pathOrInlineDv; // absolute: never written by us, reported by the caller
  const prefix = dv.pathOrInlineDv.slice(0, -20);
  const hex = Buffer.from(z85Decode(dv.pathOrInlineDv.slice(-20))).toString('hex');
  const uuid = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  return `${prefix ? `${prefix}/` : ''}deletion_vector_${uuid}.bin`;
}

/** The problem with a vector, given its file's bytes (`u`/`p`) — undefined when it is sound. */
export function vectorProblem(
  dv: DeletionVector,
  file: Uint8Array | undefined,
  rows: number,
): string | undefined {
  try {
    let bitmap: Uint8Array;
    if (dv.storageType === 'i') {
      bitmap = z85Decode(dv.pathOrInlineDv).subarray(0, dv.sizeInBytes);
    } else {
      if (!file) return 'its file is not in the bucket';
      const at = dv.offset ?? 0;
      const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
      if (at + 8 + dv.sizeInBytes > file.byteLength) return `its region passes the end of the file`;
      const size = view.getUint32(at, false);
      if (size !== dv.sizeInBytes) return `the file says ${size} bytes, the descriptor ${dv.sizeInBytes}`;
      bitmap = file.subarray(at + 4, at + 4 + size);
      if (crc32(bitmap) !== view.getUint32(at + 4 + size, false)) return 'its CRC-32 does not match';
    }
    const n = cardinality(bitmap);
    if (n !== dv.cardinality) return `it holds ${n} rows, the descriptor says ${dv.cardinality}`;
    if (n > rows) return `it deletes ${n} rows of a file of ${rows}`;
    return undefined;
  } catch (err) {
    return `it does not decode: ${(err as Error).message}`;
  }
}

const PORTABLE_MAGIC = 1681511377;

/** Members of a serialized RoaringBitmapArray, from the containers' headers. */
function cardinality(bytes: Uint8Array): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) !== PORTABLE_MAGIC) throw new Error('no RoaringBitmapArray magic number');
  const buckets = Number(view.getBigUint64(4, true));
  let pos = 12;
  let total = 0;
  for (let b = 0; b < buckets; b++) {
    pos += 4; // the bucket's high 32 bits
    const cookie = view.getUint32(pos, true);
    pos += 4;
    let size: number;
    let runs: Uint8Array | undefined;
    if ((cookie & 0xffff) === 12347) {
      size = (cookie >>> 16) + 1;
      runs = bytes.subarray(pos, pos + Math.ceil(size / 8));
      pos += runs.length;
    } else if (cookie === 12346) {
      size = view.getUint32(pos, true);
      pos += 4;
    } else {
      throw new Error(`roaring cookie ${cookie}`);
    }
    const cards: number[] = [];
    for (let i = 0; i < size; i++) cards.push(view.getUint16(pos + 4 * i + 2, true) + 1);
    pos += 4 * size;
    if (!runs || size >= 4) pos += 4 * size; // container offsets
    cards.forEach((card, i) => {
      total += card;
      if (runs && ((runs[i >> 3] as number) >> (i & 7)) & 1) pos += 2 + 4 * view.getUint16(pos, true);
      else pos += card <= 4096 ? 2 * card : 8192;
    });
  }
  if (pos !== bytes.byteLength) throw new Error(`${bytes.byteLength - pos} bytes after the last container`);
  return total;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = (CRC_TABLE[(c ^ b) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
