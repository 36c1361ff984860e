/**
 * Names of data files, Spark style: `[<col>=<value>/…]part-<NNNNN>-<uuid>-c000.<codec>.parquet`. The uuid makes every
 * file name unique, so uploads never overwrite and a retried flush leaves at worst an orphan that vacuum removes.
 *
 * Partition directories are Hive-escaped (Spark's `escapePathName`), and the `add.path` in the Delta log is that key
 * URI-encoded once more (PROTOCOL.md: paths are RFC 2396 URIs): the value `a:b c` gives the object key segment
 * `p=a%3Ab c` and the path `p=a%253Ab%20c`.
 */
import { randomUUID } from 'node:crypto';
import type { ParquetCompression } from '../config/load.js';

export const HIVE_NULL = '__HIVE_DEFAULT_PARTITION__';

/** Characters Spark escapes in partition directory names (`ExternalCatalogUtils.charToEscape`). */
const HIVE_ESCAPED = new Set(
  [
    '"',
    '#',
    '%',
    "'",
    '*',
    '/',
    ':',
    '=',
    '?',
    '\\',
    '\u007f',
    '{',
    '[',
    ']',
    '^',
    ...Array.from({ length: 0x1f }, (_, i) => String.fromCharCode(i + 1)),
  ].map((c) => c.codePointAt(0) as number),
);

export function hiveEscape(value: string): string {
  let out = '';
  for (const ch of value) {
    const cp = ch.codePointAt(0) as number;
    out += HIVE_ESCAPED.has(cp) ? `%${cp.toString(16).toUpperCase().padStart(2, '0')}` : ch;
  }
  return out;
}

/** The relative directory of a partition: `a=1/b=x`, or '' for an unpartitioned table. */
export function partitionDirectory(
  columns: readonly string[],
  values: Record<string, string | null>,
): string {
  return columns
    .map((c) => {
      const v = values[c];
      return `${hiveEscape(c)}=${v === null || v === undefined || v === '' ? HIVE_NULL : hiveEscape(v)}`;
    })
    .join('/');
}

export function dataFileName(
  partition: number,
  compression: ParquetCompression,
  uuid = randomUUID(),
): string {
  const codec = compression === 'uncompressed' ? '' : `.${compression}`;
  return `part-${String(partition).padStart(5, '0')}-${uuid}-c000${codec}.parquet`;
}

export interface DataFileLocation {
  /** Object key relative to the table root (what is uploaded). */
  relativeKey: string;
  /** The `add.path`: the relative key as a URI path. */
  deltaPath: string;
}

export function dataFileLocation(directory: string, fileName: string): DataFileLocation {
  const relativeKey = directory === '' ? fileName : `${directory}/${fileName}`;
  // encodeURI, not encodeURIComponent: like Spark's Path.toUri, it keeps `=` and `/` and escapes `%` and spaces.
  return { relativeKey, deltaPath: encodeURI(relativeKey) };
}
