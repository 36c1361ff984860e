/**
 * A checkpoint's `add` and `remove` actions kept in the Arrow columns they were decoded into. Loading builds
 * one index (canonical path → row) instead of one object per file: a 100k-file checkpoint costs 100k path
 * strings, and stats, partition values and tags stay in Arrow buffers until something asks for that file.
 */
import type * as A from 'apache-arrow';
import { type AddFile, type RemoveFile, validateAction } from '../actions.js';
import { canonicalPath } from '../log/keys.js';
import type { BaseLayer } from '../log/layered-map.js';
import { detachData, retainedBytes } from '../util/arrow-detach.js';
import { plainReader, type Reader, validity } from '../util/arrow-plain.js';
import { stringifyJson } from '../util/json.js';

/** Rows of a chunk are addressed as `chunk * ROW_SPAN + row` (batches are far below 2^20 rows). */
const ROW_SPAN = 1 << 20;

interface Chunk {
  data: A.Data;
  file: string;
  valid: (i: number) => boolean;
  read: Reader;
  path: Reader;
  /** The deletion vector's unique id of a row ('' without one). */
  dvId: (i: number) => string;
  /** The stats of a row written only as `stats_parsed`, as JSON. */
  stats?: Reader;
}

function childIndex(data: A.Data, name: string): number {
  return (data.type as A.Struct).children.findIndex((f) => f.name === name);
}

function dvIdReader(data: A.Data): (i: number) => string {
  const k = childIndex(data, 'deletionVector');
  const dv = k >= 0 ? data.children[k] : undefined;
  if (!dv || dv.nullCount === dv.length) return () => '';
  const valid = validity(dv);
  const part = (name: string): Reader => {
    const j = childIndex(dv, name);
    const child = j >= 0 ? dv.children[j] : undefined;
    return child ? plainReader(child) : () => null;
  };
  const [storageType, pathOrInline, offset] = [part('storageType'), part('pathOrInlineDv'), part('offset')];
  return (i) => {
    if (!valid(i)) return '';
    const off = offset(i);
    const id = `${storageType(i)}${pathOrInline(i)}`;
    return off === null || off === undefined ? id : `${id}@${off}`;
  };
}

/** The `add` or `remove` column of a checkpoint, across its batches (and parts, and sidecars). */
export class ActionColumn<T extends AddFile | RemoveFile> {
  private readonly chunks: Chunk[] = [];

  constructor(readonly kind: 'add' | 'remove') {}

  /** Adds one batch's column (a struct column named `kind`), copied out of the buffer it shares with the others. */
  push(column: A.Data, file: string): void {
    if (column.length >= ROW_SPAN) throw new Error(`checkpoint batch of ${column.length} rows is too large`);
    const data = detachData(column);
    const k = childIndex(data, 'path');
    const pathData = k >= 0 ? data.children[k] : undefined;
    const statsParsed = this.kind === 'add' ? childIndex(data, 'stats_parsed') : -1;
    this.chunks.push({
      data,
      file,
      valid: validity(data),
      read: plainReader(data, false, new Set(['stats_parsed', 'partitionValues_parsed'])),
      path: pathData ? plainReader(pathData) : () => null,
      dvId: dvIdReader(data),
      ...(statsParsed >= 0 ? { stats: plainReader(data.children[statsParsed] as A.Data, true) } : {}),
    });
    // Actions are materialized lazily, but a checkpoint missing required fields must fail the load (so an
    // older checkpoint is tried), not a later read: rows are checked one by one only if a column has nulls.
    const required = this.kind === 'add' ? ['path', 'size', 'modificationTime', 'dataChange'] : ['path'];
    const valid = validity(data);
    const suspect = required.some((name) => {
      const j = childIndex(data, name);
      const child = j >= 0 ? data.children[j] : undefined;
      if (!child) return true;
      if (child.nullCount === 0) return false;
      // The field is null on every row of another action; only a null on a row of this action is wrong.
      const has = validity(child);
      for (let i = 0; i < data.length; i++) if (valid(i) && !has(i)) return true;
      return false;
    });
    if (suspect) {
      const n = this.chunks.length - 1;
      for (let i = 0; i < data.length; i++) if (valid(i)) this.read(n * ROW_SPAN + i);
    }
    negativeSizeCheck(data, file, this.kind);
  }

  /** Bytes of Arrow memory this column keeps alive. */
  retainedBytes(): number {
    const seen = new Set<ArrayBufferLike>();
    return this.chunks.reduce((n, c) => n + retainedBytes(c.data, seen), 0);
  }

  /** Calls `fn` for every action row, in file order, with its reference, canonical path and DV id. */
  forEachRow(fn: (ref: number, path: string, dvId: string) => void): void {
    this.chunks.forEach((c, n) => {
      for (let i = 0; i < c.data.length; i++) {
        if (!c.valid(i)) continue;
        const path = c.path(i);
        // A row without a path is invalid; `read` reports it with the generic validator.
        fn(n * ROW_SPAN + i, typeof path === 'string' ? canonicalPath(path) : '', c.dvId(i));
      }
    });
  }

  dvId(ref: number): string {
    return (this.chunks[Math.floor(ref / ROW_SPAN)] as Chunk).dvId(ref % ROW_SPAN);
  }

  /** Materializes one action. */
  read(ref: number): T {
    const c = this.chunks[Math.floor(ref / ROW_SPAN)] as Chunk;
    const i = ref % ROW_SPAN;
    const body = c.read(i) as Record<string, unknown>;
    if (c.stats && body.stats === undefined) {
      const parsed = c.stats(i);
      if (parsed) body.stats = stringifyJson(parsed); // longs and decimals as their exact digits
    }
    if (this.kind === 'add') {
      // The common case checks the required fields without the generic validator.
      if (
        typeof body.path !== 'string' ||
        typeof body.size !== 'number' ||
        typeof body.dataChange !== 'boolean'
      )
        validateAction({ add: body }, { file: c.file, line: i + 1 });
      body.partitionValues ??= {};
      return body as unknown as T;
    }
    const action = validateAction({ remove: body }, { file: c.file, line: i + 1 }) as { remove: RemoveFile };
    return action.remove as T;
  }

  /** Every action, materialized (for `readCheckpoint`). */
  *all(): Generator<T> {
    const refs: number[] = [];
    this.forEachRow((ref) => refs.push(ref));
    for (const ref of refs) yield this.read(ref);
  }
}

/**
 * A negative `size` is impossible (readers trust it for ranged reads); checkpoint rows skip the per-row validator,
 * so the column is scanned here, on the raw values, once per batch. Throws `InvalidTableError` (via the validator).
 */
function negativeSizeCheck(data: A.Data, file: string, kind: 'add' | 'remove'): void {
  const j = childIndex(data, 'size');
  const size = j >= 0 ? data.children[j] : undefined;
  const values = size?.values as ArrayLike<bigint | number> | undefined;
  if (!size || !values) return;
  const valid = validity(data);
  const has = validity(size);
  for (let i = 0; i < data.length; i++) {
    const v = values[size.offset + i];
    if (v !== undefined && v < 0 && valid(i) && has(i)) {
      validateAction(
        { [kind]: { path: '?', dataChange: true, modificationTime: 0, size: Number(v) } },
        { file, line: i + 1 },
      );
    }
  }
}

/** Live files by canonical path: one `AddFile`, or several when logical files share a path (different DVs). */
export type FileEntry = AddFile | AddFile[];

/** A checkpoint's add rows as the base layer of the live-file map (keys: canonical paths). */
export class CheckpointFiles implements BaseLayer<FileEntry> {
  /** Canonical path → row, or rows when several DVs of one path are live. */
  private readonly index = new Map<string, number | number[]>();
  /** Logical files (rows after reconciliation). */
  readonly fileCount: number;
  /** No row has a deletion vector: every file key is just the path. */
  readonly keysArePaths: boolean;

  constructor(readonly column: ActionColumn<AddFile>) {
    let rows = 0;
    let dvs = false;
    // One Map operation per row: a valid checkpoint has each path once.
    column.forEachRow((ref, path, dvId) => {
      if (dvId) dvs = true;
      this.index.set(path, ref);
      rows++;
    });
    this.keysArePaths = !dvs;
    this.fileCount = this.index.size === rows ? rows : this.reconcile();
  }

  /** Rebuilds the index when paths repeat (several DVs of one path, or the same file twice); returns the count. */
  private reconcile(): number {
    const column = this.column;
    let count = 0;
    this.index.clear();
    column.forEachRow((ref, path) => {
      const prev = this.index.get(path);
      if (prev === undefined) {
        this.index.set(path, ref);
        count++;
        return;
      }
      // The same (path, DV) again replaces the earlier row; another DV of the path is another logical file.
      const id = column.dvId(ref);
      const refs = typeof prev === 'number' ? [prev] : prev;
      const same = refs.findIndex((r) => column.dvId(r) === id);
      if (same >= 0) refs[same] = ref;
      else {
        refs.push(ref);
        count++;
      }
      this.index.set(path, refs.length === 1 ? (refs[0] as number) : refs);
    });
    return count;
  }

  get size(): number {
    return this.index.size;
  }

  has(path: string): boolean {
    return this.index.has(path);
  }

  keys(): MapIterator<string> {
    return this.index.keys();
  }

  get(path: string): FileEntry | undefined {
    const refs = this.index.get(path);
    if (refs === undefined) return undefined;
    return typeof refs === 'number' ? this.column.read(refs) : refs.map((r) => this.column.read(r));
  }

  *entries(): MapIterator<[string, FileEntry]> {
    for (const [path, refs] of this.index) {
      yield [path, typeof refs === 'number' ? this.column.read(refs) : refs.map((r) => this.column.read(r))];
    }
  }

  /** The file keys (`fileKey` form) at `path` without materializing the actions. */
  fileKeys(path: string): string[] {
    const refs = this.index.get(path);
    if (refs === undefined) return [];
    return (typeof refs === 'number' ? [refs] : refs).map((r) => {
      const id = this.column.dvId(r);
      return id ? `${path}\u0000${id}` : path;
    });
  }

  /** Whether the logical file (path, DV id) is one of these rows. */
  hasFile(path: string, dvId: string): boolean {
    const refs = this.index.get(path);
    if (refs === undefined) return false;
    return (typeof refs === 'number' ? [refs] : refs).some((r) => this.column.dvId(r) === dvId);
  }
}

/** A checkpoint's remove rows (tombstones) as the base layer of the tombstone map (keys: file keys). */
export class CheckpointTombstones implements BaseLayer<RemoveFile> {
  private readonly index = new Map<string, number>();

  /** Tombstones of files the same checkpoint also adds are dropped (a re-added file is live). */
  constructor(
    readonly column: ActionColumn<RemoveFile>,
    live?: CheckpointFiles,
  ) {
    column.forEachRow((ref, path, dvId) => {
      if (live?.hasFile(path, dvId)) return;
      this.index.set(dvId ? `${path}\u0000${dvId}` : path, ref);
    });
  }

  get size(): number {
    return this.index.size;
  }

  has(key: string): boolean {
    return this.index.has(key);
  }

  keys(): MapIterator<string> {
    return this.index.keys();
  }

  get(key: string): RemoveFile | undefined {
    const ref = this.index.get(key);
    return ref === undefined ? undefined : this.column.read(ref);
  }

  *entries(): MapIterator<[string, RemoveFile]> {
    for (const [key, ref] of this.index) yield [key, this.column.read(ref)];
  }
}
