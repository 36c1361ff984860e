/**
 * File identity in the log: paths are URI-encoded and may be written as `file:` URIs or plain absolute paths;
 * a logical file is (canonical path, deletion-vector id).
 */
import type { DeletionVectorDescriptor } from '../actions.js';
import { dvUniqueId } from '../actions.js';

/** Decodes a URI-encoded path; malformed escapes are kept literally rather than failing the whole table. */
export function decodePath(path: string): string {
  if (!path.includes('%')) return path;
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

/**
 * The comparable form of a file path: decoded, and with `file:` absolute paths folded to plain absolute
 * paths so `file:/a`, `file:///a` and `/a` name the same file (as Spark qualifies them on a local FS).
 */
export function canonicalPath(path: string): string {
  const decoded = decodePath(path);
  if (decoded.startsWith('file:')) return `/${decoded.slice(5).replace(/^\/+/, '')}`;
  return decoded;
}

/** The key of a logical file: its canonical path, plus `\0` and the DV's unique id when it has one. */
export function fileKey(path: string, dv: DeletionVectorDescriptor | undefined | null): string {
  const id = dvUniqueId(dv);
  return id ? `${canonicalPath(path)}\u0000${id}` : canonicalPath(path);
}

/** `fileKey` split back into canonical path and DV id. */
export function splitFileKey(key: string): [path: string, dvId: string] {
  const i = key.indexOf('\u0000');
  return i < 0 ? [key, ''] : [key.slice(0, i), key.slice(i + 1)];
}
