/**
 * The live files of a snapshot. Stored by canonical path (so a file can be found by its path whatever its
 * deletion vector), read as a map by `fileKey(path, dv)` (the protocol's primary key). Layered like
 * `LayeredMap`: a checkpoint's columns at the bottom, so new versions share everything they did not change.
 */
import { type AddFile, dvUniqueId } from '../actions.js';
import type { CheckpointFiles, FileEntry } from '../checkpoint/columns.js';
import { canonicalPath, splitFileKey } from './keys.js';
import { LayeredMap, type MapEditor } from './layered-map.js';

function keyOf(path: string, add: AddFile): string {
  const id = dvUniqueId(add.deletionVector);
  return id ? `${path}\u0000${id}` : path;
}

function pick(entry: FileEntry | undefined, dvId: string): AddFile | undefined {
  if (entry === undefined) return undefined;
  if (!Array.isArray(entry)) return dvUniqueId(entry.deletionVector) === dvId ? entry : undefined;
  return entry.find((a) => dvUniqueId(a.deletionVector) === dvId);
}

export class FileSet implements ReadonlyMap<string, AddFile> {
  private constructor(
    private readonly byPath: LayeredMap<FileEntry>,
    private readonly base: CheckpointFiles | undefined,
    /** Logical files (a path with two live DVs counts twice). */
    readonly size: number,
  ) {}

  static empty(): FileSet {
    return new FileSet(LayeredMap.empty(), undefined, 0);
  }

  /** An editor over `base` for replaying many commits at load time (see `LayeredMap.build`). */
  static build(base?: CheckpointFiles): FileEditor {
    return new FileEditor(LayeredMap.build(base), base?.fileCount ?? 0, (m, n) => new FileSet(m, base, n));
  }

  /** An editor producing a new version of this set; O(log n) per change. */
  edit(): FileEditor {
    return new FileEditor(this.byPath.edit(), this.size, (m, n) => new FileSet(m, this.base, n));
  }

  get(key: string): AddFile | undefined {
    const [path, dvId] = splitFileKey(key);
    return pick(this.byPath.get(path), dvId);
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  /** The live file at `path` (encoded or not), whatever its deletion vector; the newest if several. */
  byPathOf(path: string): AddFile | undefined {
    const entry = this.byPath.get(canonicalPath(path));
    return Array.isArray(entry) ? entry.at(-1) : entry;
  }

  *entries(): MapIterator<[string, AddFile]> {
    for (const [path, entry] of this.byPath) {
      if (Array.isArray(entry)) for (const add of entry) yield [keyOf(path, add), add];
      else yield [keyOf(path, entry), entry];
    }
  }

  *values(): MapIterator<AddFile> {
    for (const [, entry] of this.byPath) {
      if (Array.isArray(entry)) yield* entry;
      else yield entry;
    }
  }

  /** File keys; those of checkpoint rows come from the index, without materializing the actions. */
  *keys(): MapIterator<string> {
    for (const [path, entry] of this.byPath.upperEntries()) {
      if (Array.isArray(entry)) for (const add of entry) yield keyOf(path, add);
      else yield keyOf(path, entry);
    }
    const base = this.base;
    if (!base) return;
    if (base.keysArePaths) yield* this.byPath.baseKeys();
    else for (const path of this.byPath.baseKeys()) yield* base.fileKeys(path);
  }

  [Symbol.iterator](): MapIterator<[string, AddFile]> {
    return this.entries();
  }

  forEach(fn: (value: AddFile, key: string, map: ReadonlyMap<string, AddFile>) => void): void {
    for (const [k, v] of this.entries()) fn(v, k, this);
  }
}

/** Adds and removes logical files; `done()` returns the new set. */
export class FileEditor {
  constructor(
    private readonly map: MapEditor<FileEntry>,
    private count: number,
    private readonly finish: (map: LayeredMap<FileEntry>, count: number) => FileSet,
  ) {}

  get size(): number {
    return this.count;
  }

  /** Adds (or replaces) the logical file of `add`; returns its file key. */
  add(add: AddFile): string {
    const path = canonicalPath(add.path);
    const id = dvUniqueId(add.deletionVector);
    const entry = this.map.get(path);
    if (entry === undefined) {
      this.map.set(path, add);
      this.count++;
    } else if (!Array.isArray(entry)) {
      if (dvUniqueId(entry.deletionVector) === id) this.map.set(path, add);
      else {
        this.map.set(path, [entry, add]);
        this.count++;
      }
    } else {
      const i = entry.findIndex((a) => dvUniqueId(a.deletionVector) === id);
      if (i >= 0) this.map.set(path, entry.with(i, add));
      else {
        this.map.set(path, [...entry, add]);
        this.count++;
      }
    }
    return id ? `${path}\u0000${id}` : path;
  }

  /** Removes the logical file with this key, if live. */
  remove(key: string): void {
    const [path, dvId] = splitFileKey(key);
    const entry = this.map.get(path);
    if (entry === undefined) return;
    if (!Array.isArray(entry)) {
      if (dvUniqueId(entry.deletionVector) !== dvId) return;
      this.map.delete(path);
      this.count--;
      return;
    }
    const rest = entry.filter((a) => dvUniqueId(a.deletionVector) !== dvId);
    if (rest.length === entry.length) return;
    this.count--;
    this.map.set(path, rest.length === 1 ? (rest[0] as AddFile) : rest);
  }

  done(): FileSet {
    return this.finish(this.map.done(), this.count);
  }
}
