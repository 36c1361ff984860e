/**
 * The only I/O the library does goes through this interface. Paths are '/'-separated keys relative to
 * the storage's root (a directory, or a bucket + optional prefix). Implementations must make
 * `putIfAbsent` atomic across processes: it is what makes concurrent Delta commits safe.
 */

export interface FileMeta {
  /** Key relative to the storage root. */
  path: string;
  size: number;
  /** Milliseconds since the epoch. */
  lastModified: number;
}

export interface ListOptions {
  /** Include keys in nested "directories" (default: only direct children of the prefix). */
  recursive?: boolean;
  /** Only keys sorting strictly after this key (full key, not relative to the prefix). */
  startAfter?: string;
  /**
   * At most this many keys, the first in key order; the listing stops early where the storage can (S3 pages), so
   * a caller that only needs to know whether something is there does not read a huge prefix.
   */
  limit?: number;
}

export interface ByteRange {
  offset: number;
  length: number;
}

export interface Storage {
  /** Human-readable location of the root, for messages (e.g. `file:///data`, `s3://bucket/prefix`). */
  readonly location: string;
  /** Whole object, or a byte range of it. Throws `FileNotFoundError` if absent. */
  get(path: string, range?: ByteRange): Promise<Uint8Array>;
  /** Metadata, or `undefined` if absent. */
  head(path: string): Promise<FileMeta | undefined>;
  /**
   * Objects whose key starts with `prefix` (use a trailing '/' for a directory), sorted by key.
   * A missing prefix lists as empty.
   */
  list(prefix: string, options?: ListOptions): Promise<FileMeta[]>;
  /**
   * Creates `path` with `data` only if nothing exists there, atomically: of concurrent callers exactly one
   * gets `true`; the others get `false` and the object keeps the winner's bytes. Readers never observe a
   * partially written object.
   */
  putIfAbsent(path: string, data: Uint8Array): Promise<boolean>;
  /** Creates or replaces `path` atomically (readers see the old or the new bytes). */
  put(path: string, data: Uint8Array): Promise<void>;
  /** Deletes `path`; deleting a missing object is not an error. */
  delete(path: string): Promise<void>;
  /**
   * Maps an absolute URI found in the log (e.g. `file:///x/y`, `s3://bucket/k`) to a key in this storage,
   * or `undefined` when it lives elsewhere.
   */
  keyForUri(uri: string): string | undefined;
}
