/**
 * Where a manifest's paths point, as the readers of the table will see them. A data file path is a URI path in the
 * Delta log: Spark, delta-rs and delta-log percent-decode it before they open the object, so a check on the literal
 * text alone lets `%2E%2E/other-table/x.parquet` or `%5Fdelta_log/…` through. Every rule here is applied to the
 * literal path and to its decoded form, and the decoded form is the object key the committer checks in storage.
 * Pure functions; the committer's validation and storage checks call them.
 */

/** Longest object key S3 accepts, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024;

/** The log folder of a table; a data file can never be in one, in any letter case (case-insensitive file systems). */
const LOG_DIR = '_delta_log';

/** The committer's own objects (the put-if-absent probe) live under `<table root>/_delta_writer/`; no table may. */
export const RESERVED_SEGMENT = '_delta_writer';

export type Decoded = { readonly key: string; readonly problem?: undefined } | { readonly problem: string };

/**
 * A data file (or sidecar) path relative to the table root: the object key it names, relative to the table root
 * (its percent-decoded form), or what is wrong with it. The key stays inside the table root and outside any
 * `_delta_log`, whichever way a reader splits or decodes it.
 */
export function relativeDataKey(path: string): Decoded {
  if (path === '') return { problem: 'is empty' };
  const literal = segmentProblem(path, 'path');
  if (literal) return { problem: literal };
  if (/[?#]/.test(path))
    return { problem: `'${path}' has a raw '?' or '#' (readers would cut the path there)` };
  let key: string;
  try {
    key = decodeURIComponent(path);
  } catch {
    return { problem: `'${path}' is not a valid percent-encoded URI path` };
  }
  if (key !== path) {
    const decoded = segmentProblem(key, 'decoded path');
    if (decoded) return { problem: `'${path}': ${decoded}` };
  }
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES)
    return { problem: `'${path}' is longer than ${MAX_KEY_BYTES} bytes` };
  return { key };
}

/**
 * What is wrong with a table URI, or undefined: it must lie strictly under `tableRootUri` (`s3://bucket/base/`), and
 * its path — literal and percent-decoded — must have no empty, `.`, `..` or `_delta_log` segments, no `\`, `?`, `#`
 * or control characters, and not start with the committer's reserved folder.
 */
export function tableUriProblem(tableUri: string, tableRootUri: string): string | undefined {
  const uri = tableUri.replace(/\/+$/, '');
  if (!uri.startsWith(tableRootUri) || uri.length === tableRootUri.length)
    return `'${tableUri}' is not under the committer's table root ${tableRootUri}`;
  const relative = uri.slice(tableRootUri.length);
  const literal = segmentProblem(relative, 'table path');
  if (literal) return `'${tableUri}': ${literal}`;
  if (/[?#%]/.test(relative)) {
    // '%' is refused outright: a table location is named the same way by every reader only without escapes.
    return `'${tableUri}' has '?', '#' or '%' (table locations are plain object key prefixes)`;
  }
  if (relative.split('/')[0] === RESERVED_SEGMENT)
    return `'${tableUri}' is inside the committer's reserved folder ${tableRootUri}${RESERVED_SEGMENT}/`;
  if (Buffer.byteLength(uri, 'utf8') > MAX_KEY_BYTES / 2)
    return `'${tableUri}' is longer than ${MAX_KEY_BYTES / 2} bytes`;
  return undefined;
}

/** Problems of a '/'-separated relative path on its own: segments, separators, characters. */
function segmentProblem(path: string, what: string): string | undefined {
  if (path.startsWith('/')) return `${what} is absolute`;
  if (/^[a-z][a-z0-9+.-]*:/i.test(path)) return `${what} has a URI scheme`;
  if (path.includes('\\')) return `${what} has a '\\' (a path separator to some readers)`;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (/[\u0000-\u001f\u007f]/.test(path)) return `${what} has a control character`;
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.' || segment === '..')
      return `${what} has an empty, '.' or '..' segment`;
    if (segment.toLowerCase() === LOG_DIR) return `${what} points into ${LOG_DIR}`;
  }
  return undefined;
}
