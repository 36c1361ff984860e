/**
 * Writing deletion vectors (PROTOCOL "Deletion Vectors" and "Deletion Vector Format"): row indexes →
 * a portable RoaringBitmapArray → either inline Z85 text or a region of a `deletion_vector_<uuid>.bin` file
 * (version byte, then per vector: u32 BE size, bitmap, u32 BE CRC-32) → the `remove`/`add` pair that
 * replaces a file's deletion vector. Encoding is pure; `writeDeletionVectors` and `deleteRows` do the I/O.
 *
 * Bitmaps use array and bitmap containers only unless `runs` is asked for: that is what Spark writes for
 * the deletes it makes itself, so our bytes match its bytes for the same rows (see the golden tests).
 */
import { randomUUID } from 'node:crypto';
import type { Action, AddFile, DeletionVectorDescriptor, RemoveFile } from '../actions.js';
import { InvalidCommitError } from '../errors.js';
import { joinPath } from '../log/paths.js';
import { canonicalPath } from '../log/replay.js';
import { crc32 } from '../scan/deletion-vector.js';
import { Scan } from '../scan/scan.js';
import type { Snapshot } from '../snapshot.js';
import type { Storage } from '../storage/storage.js';
import { mapLimit } from '../util/concurrency.js';
import { setTopLevelMember } from '../util/json.js';
import { withFeatures } from './schema-change.js';
import { hasFeature } from './validate.js';

const PORTABLE_MAGIC = 1681511377;
const SERIAL_COOKIE_NO_RUN = 12346;
const SERIAL_COOKIE = 12347;
const NO_OFFSET_THRESHOLD = 4;
const ARRAY_MAX = 4096;
const BITMAP_BYTES = 8192;
const TWO_32 = 2 ** 32;

export interface BitmapOptions {
  /** Use run containers where they are smaller (RoaringBitmap's `runOptimize`). Default false, as Spark. */
  runs?: boolean;
}

/** Sorted, de-duplicated row indexes; throws on anything that is not a non-negative safe integer. */
export function normalizeRows(rows: Iterable<number>): number[] {
  const out = Float64Array.from(rows);
  for (const r of out) {
    if (!Number.isSafeInteger(r) || r < 0) throw new InvalidCommitError(`invalid row index ${r}`);
  }
  out.sort();
  const unique: number[] = [];
  for (let i = 0; i < out.length; i++) if (i === 0 || out[i] !== out[i - 1]) unique.push(out[i] as number);
  return unique;
}

interface Container {
  key: number;
  /** Low 16 bits of the members, ascending. */
  values: number[];
  kind: 'array' | 'bitmap' | 'run';
  /** Run containers: [start, length − 1] pairs. */
  runs: number[];
  bytes: number;
}

function containerOf(key: number, values: number[], allowRuns: boolean): Container {
  const card = values.length;
  const kind = card <= ARRAY_MAX ? 'array' : 'bitmap';
  const bytes = kind === 'array' ? 2 * card : BITMAP_BYTES;
  if (!allowRuns) return { key, values, kind, runs: [], bytes };
  const runs: number[] = [];
  for (let i = 0; i < card; ) {
    const start = values[i] as number;
    let j = i;
    while (j + 1 < card && values[j + 1] === (values[j] as number) + 1) j++;
    runs.push(start, j - i);
    i = j + 1;
  }
  const runBytes = 2 + 2 * runs.length;
  return runBytes < bytes
    ? { key, values, kind: 'run', runs, bytes: runBytes }
    : { key, values, kind, runs: [], bytes };
}

/** One standard 32-bit Roaring bitmap (portable serialization) of `values` (ascending, < 2^32). */
function encodeRoaring32(values: readonly number[], options: BitmapOptions): Uint8Array {
  const containers: Container[] = [];
  for (let i = 0; i < values.length; ) {
    const key = Math.floor((values[i] as number) / 65536);
    const low: number[] = [];
    while (i < values.length && Math.floor((values[i] as number) / 65536) === key) {
      low.push((values[i] as number) % 65536);
      i++;
    }
    containers.push(containerOf(key, low, options.runs === true));
  }
  const size = containers.length;
  const hasRun = containers.some((c) => c.kind === 'run');
  const withOffsets = !hasRun || size >= NO_OFFSET_THRESHOLD;
  const header = hasRun
    ? 4 + Math.ceil(size / 8) + 4 * size + (withOffsets ? 4 * size : 0)
    : 8 + 4 * size + 4 * size;
  const total = header + containers.reduce((n, c) => n + c.bytes, 0);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  let pos = 0;
  if (hasRun) {
    view.setUint32(pos, (SERIAL_COOKIE | ((size - 1) << 16)) >>> 0, true);
    pos += 4;
    containers.forEach((c, i) => {
      if (c.kind === 'run') out[pos + (i >> 3)] = (out[pos + (i >> 3)] as number) | (1 << (i & 7));
    });
    pos += Math.ceil(size / 8);
  } else {
    view.setUint32(pos, SERIAL_COOKIE_NO_RUN, true);
    view.setUint32(pos + 4, size, true);
    pos += 8;
  }
  for (const c of containers) {
    view.setUint16(pos, c.key, true);
    view.setUint16(pos + 2, c.values.length - 1, true);
    pos += 4;
  }
  let at = header;
  if (withOffsets) {
    for (const c of containers) {
      view.setUint32(pos, at, true);
      pos += 4;
      at += c.bytes;
    }
  }
  pos = header;
  for (const c of containers) {
    if (c.kind === 'array') {
      for (const v of c.values) {
        view.setUint16(pos, v, true);
        pos += 2;
      }
    } else if (c.kind === 'run') {
      view.setUint16(pos, c.runs.length / 2, true);
      pos += 2;
      for (const v of c.runs) {
        view.setUint16(pos, v, true);
        pos += 2;
      }
    } else {
      for (const v of c.values) out[pos + (v >> 3)] = (out[pos + (v >> 3)] as number) | (1 << (v & 7));
      pos += BITMAP_BYTES;
    }
  }
  return out;
}

/**
 * Serializes row indexes as a portable RoaringBitmapArray: u32 LE magic, u64 LE bucket count, then per
 * non-empty bucket of 2^32 rows its u32 LE key and a 32-bit Roaring bitmap. Rows need not be sorted.
 */
export function encodeBitmap(rows: Iterable<number>, options: BitmapOptions = {}): Uint8Array {
  const sorted = normalizeRows(rows);
  const parts: Array<{ key: number; bytes: Uint8Array }> = [];
  for (let i = 0; i < sorted.length; ) {
    const key = Math.floor((sorted[i] as number) / TWO_32);
    const low: number[] = [];
    while (i < sorted.length && Math.floor((sorted[i] as number) / TWO_32) === key) {
      low.push((sorted[i] as number) - key * TWO_32);
      i++;
    }
    parts.push({ key, bytes: encodeRoaring32(low, options) });
  }
  const out = new Uint8Array(12 + parts.reduce((n, p) => n + 4 + p.bytes.length, 0));
  const view = new DataView(out.buffer);
  view.setUint32(0, PORTABLE_MAGIC, true);
  view.setBigUint64(4, BigInt(parts.length), true);
  let pos = 12;
  for (const p of parts) {
    view.setUint32(pos, p.key, true);
    out.set(p.bytes, pos + 4);
    pos += 4 + p.bytes.length;
  }
  return out;
}

const Z85 = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#';

/** Z85 (ZeroMQ) text of `bytes`, zero-padded to a multiple of 4 bytes as Delta's codec does. */
export function z85Encode(bytes: Uint8Array): string {
  const padded = new Uint8Array(Math.ceil(bytes.length / 4) * 4);
  padded.set(bytes);
  const view = new DataView(padded.buffer);
  let out = '';
  for (let i = 0; i < padded.length; i += 4) {
    let v = view.getUint32(i, false);
    const chunk = new Array<string>(5);
    for (let j = 4; j >= 0; j--) {
      chunk[j] = Z85[v % 85] as string;
      v = Math.floor(v / 85);
    }
    out += chunk.join('');
  }
  return out;
}

/** The `pathOrInlineDv` of a `u` vector: optional prefix + the 16 UUID bytes in Z85 (20 characters). */
export function encodeUuidPath(uuid: string, prefix = ''): string {
  const hex = uuid.replace(/-/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new InvalidCommitError(`not a UUID: ${uuid}`);
  const bytes = new Uint8Array(16);
  for (let i = 0; i < 16; i++) bytes[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return `${prefix}${z85Encode(bytes)}`;
}

/** Table-relative location of the DV file `u` vectors with this UUID and prefix point at. */
export function deletionVectorFileName(uuid: string, prefix = ''): string {
  return `${prefix ? `${prefix}/` : ''}deletion_vector_${uuid}.bin`;
}

/** A deletion vector file: format version 1, then each bitmap as u32 BE size, bytes, u32 BE CRC-32. */
export function encodeDeletionVectorFile(bitmaps: readonly Uint8Array[]): {
  bytes: Uint8Array;
  offsets: number[];
} {
  const out = new Uint8Array(1 + bitmaps.reduce((n, b) => n + 8 + b.length, 0));
  const view = new DataView(out.buffer);
  out[0] = 1;
  const offsets: number[] = [];
  let pos = 1;
  for (const b of bitmaps) {
    offsets.push(pos);
    view.setUint32(pos, b.length, false);
    out.set(b, pos + 4);
    view.setUint32(pos + 4 + b.length, crc32(b), false);
    pos += 8 + b.length;
  }
  return { bytes: out, offsets };
}

/** An inline (`i`) descriptor for `rows` (non-empty). */
export function inlineDeletionVector(
  rows: Iterable<number>,
  options: BitmapOptions = {},
): DeletionVectorDescriptor {
  const sorted = normalizeRows(rows);
  const bitmap = encodeBitmap(sorted, options);
  return {
    storageType: 'i',
    pathOrInlineDv: z85Encode(bitmap),
    sizeInBytes: bitmap.length,
    cardinality: sorted.length,
    maxRowIndex: sorted.at(-1) as number,
  };
}

export interface WriteDeletionVectorsOptions extends BitmapOptions {
  /** Vectors whose bitmap is at most this many bytes are stored inline in the log (default 0: never). */
  inlineMaxBytes?: number;
  /** Directory prefix of the DV file inside the table (`u` vectors allow one; default none). */
  prefix?: string;
  /** UUID of the DV file (default random); tests pin it. */
  uuid?: string;
}

/**
 * Stores one deletion vector per row set (each non-empty) and returns their descriptors, in order. All
 * vectors that are not inlined share one new `deletion_vector_<uuid>.bin` file, so a commit that touches
 * many files costs one object write. The file is not referenced until the returned descriptors are committed:
 * if the commit never happens, it is an orphan for VACUUM.
 */
export async function writeDeletionVectors(
  storage: Storage,
  tablePath: string,
  rowSets: ReadonlyArray<Iterable<number>>,
  options: WriteDeletionVectorsOptions = {},
): Promise<DeletionVectorDescriptor[]> {
  const prefix = options.prefix ?? '';
  if (prefix && !/^[A-Za-z0-9_-]+$/.test(prefix)) {
    throw new InvalidCommitError(
      `deletion vector prefix must be [A-Za-z0-9_-]+, got ${JSON.stringify(prefix)}`,
    );
  }
  const inlineMax = options.inlineMaxBytes ?? 0;
  const encoded = rowSets.map((rows) => {
    const sorted = normalizeRows(rows);
    if (sorted.length === 0) throw new InvalidCommitError('a deletion vector needs at least one row');
    return { sorted, bitmap: encodeBitmap(sorted, options) };
  });
  const stored = encoded.filter((e) => e.bitmap.length > inlineMax);
  const uuid = options.uuid ?? randomUUID();
  const file = encodeDeletionVectorFile(stored.map((e) => e.bitmap));
  if (stored.length > 0) {
    await storage.put(joinPath(tablePath, deletionVectorFileName(uuid, prefix)), file.bytes);
  }
  const pathOrInlineDv = encodeUuidPath(uuid, prefix);
  let next = 0;
  return encoded.map(({ sorted, bitmap }) => {
    const common = {
      sizeInBytes: bitmap.length,
      cardinality: sorted.length,
      maxRowIndex: sorted.at(-1) as number,
    };
    if (bitmap.length <= inlineMax) return { storageType: 'i', pathOrInlineDv: z85Encode(bitmap), ...common };
    return { storageType: 'u', pathOrInlineDv, offset: file.offsets[next++] as number, ...common };
  });
}

/**
 * Stats of a file whose rows a deletion vector may hide: min/max stay valid bounds but are no longer tight. Only
 * `tightBounds` changes, in the text: the bounds are never parsed, so a long or decimal bound keeps its digits.
 */
export function wideStats(stats: string | undefined): string | undefined {
  if (stats === undefined) return undefined;
  try {
    JSON.parse(stats); // only valid JSON is edited (the numbers parsed here are not used)
    return setTopLevelMember(stats, 'tightBounds', 'false');
  } catch {
    return stats;
  }
}

function physicalRows(add: AddFile): number | undefined {
  if (add.stats === undefined) return undefined;
  try {
    const n = (JSON.parse(add.stats) as { numRecords?: unknown }).numRecords;
    return typeof n === 'number' ? n : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The actions that give the live file `add` the deletion vector `dv` (which must cover the rows of its old
 * vector too): `remove` of the file as it is (same path and old vector, so log replay drops exactly it)
 * and `add` of the same file with the new vector. The data file itself is untouched.
 */
export function replaceDeletionVector(add: AddFile, dv: DeletionVectorDescriptor, now: number): Action[] {
  const rows = physicalRows(add);
  if (rows !== undefined && (dv.maxRowIndex ?? 0) >= rows) {
    throw new InvalidCommitError(`deletion vector for ${add.path} deletes row ${dv.maxRowIndex} of ${rows}`);
  }
  const old = add.deletionVector;
  if (old && dv.cardinality < old.cardinality) {
    throw new InvalidCommitError(`new deletion vector of ${add.path} drops rows of the old one`);
  }
  const remove: RemoveFile = {
    path: add.path,
    deletionTimestamp: now,
    dataChange: true,
    extendedFileMetadata: true,
    partitionValues: add.partitionValues,
    size: add.size,
    ...(add.stats !== undefined ? { stats: add.stats } : {}),
    ...(add.tags !== undefined ? { tags: add.tags } : {}),
    ...(old ? { deletionVector: old } : {}),
    ...(add.baseRowId !== undefined ? { baseRowId: add.baseRowId } : {}),
    ...(add.defaultRowCommitVersion !== undefined
      ? { defaultRowCommitVersion: add.defaultRowCommitVersion }
      : {}),
  };
  const stats = wideStats(add.stats);
  const added: AddFile = {
    ...add,
    dataChange: true,
    deletionVector: dv,
    ...(stats !== undefined ? { stats } : {}),
  };
  return [{ remove }, { add: added }];
}

/** Protocol and metaData actions that turn deletion vectors on for an existing table (`[]` if already on). */
export function enableDeletionVectors(snapshot: Snapshot): Action[] {
  const out: Action[] = [];
  if (!hasFeature(snapshot.protocol, 'deletionVectors')) {
    out.push({ protocol: withFeatures(snapshot.protocol, ['deletionVectors']) });
  }
  if (snapshot.configuration['delta.enableDeletionVectors'] !== 'true') {
    const configuration = { ...snapshot.configuration, 'delta.enableDeletionVectors': 'true' };
    out.push({ metaData: { ...snapshot.metadata, configuration } });
  }
  return out;
}

export interface DeleteRowsOptions extends WriteDeletionVectorsOptions {
  /** Files added by the same commit (not yet in the snapshot): their rows may be deleted too. */
  pendingAdds?: readonly AddFile[];
  now?: number;
}

export interface DeleteRowsResult {
  /** `remove`+`add` pairs for live files, then the pending adds (with a vector where rows were deleted). */
  actions: Action[];
  /** Rows newly deleted, per path (rows already deleted before are not counted). */
  deleted: Map<string, number>;
}

/**
 * Deletes rows of live files (and of `pendingAdds`) by row index: reads each live file's current vector,
 * adds the new rows, writes all new vectors in one DV file and returns the actions to commit. Files whose
 * rows were all deleted already are left alone. Commit the actions with `readWholeTable` or the files in
 * `readFiles` so a concurrent change to them conflicts.
 */
export async function deleteRows(
  snapshot: Snapshot,
  deletes: ReadonlyMap<string, Iterable<number>>,
  options: DeleteRowsOptions = {},
): Promise<DeleteRowsResult> {
  const pending = new Map<string, AddFile>();
  for (const add of options.pendingAdds ?? []) pending.set(canonicalPath(add.path), add);
  const scan = new Scan(snapshot, {});
  const requests = [...deletes].map(([path, rows]) => {
    const key = canonicalPath(path);
    // A lookup by path: the cost is the batch's, not the table's.
    const add = pending.get(key) ?? snapshot.liveFile(path);
    if (!add) throw new InvalidCommitError(`cannot delete rows of ${path}: not a live file of the table`);
    return { add, isPending: pending.has(key), wanted: normalizeRows(rows) };
  });
  // Each file's current vector is one small read; they are independent, so fetch a few at a time.
  const resolved = await mapLimit(requests, 16, async (r) => {
    const [file] = scan.filesOf([r.add]);
    const before = r.add.deletionVector && file ? await scan.deletedRows(file) : [];
    const rows = normalizeRows([...before, ...r.wanted]);
    return { ...r, rows, added: rows.length - before.length };
  });
  const targets = resolved.filter((t) => t.added > 0);
  const dvs = await writeDeletionVectors(
    snapshot.storage,
    snapshot.tablePath,
    targets.map((t) => t.rows),
    options,
  );
  const now = options.now ?? Date.now();
  const actions: Action[] = [];
  const deleted = new Map<string, number>();
  const attached = new Map<string, AddFile>();
  targets.forEach((t, i) => {
    const dv = dvs[i] as DeletionVectorDescriptor;
    deleted.set(t.add.path, t.added);
    if (t.isPending) {
      const pairs = replaceDeletionVector(t.add, dv, now);
      attached.set(canonicalPath(t.add.path), (pairs[1] as { add: AddFile }).add);
    } else {
      actions.push(...replaceDeletionVector(t.add, dv, now));
    }
  });
  for (const add of options.pendingAdds ?? [])
    actions.push({ add: attached.get(canonicalPath(add.path)) ?? add });
  return { actions, deleted };
}
