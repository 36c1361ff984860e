/**
 * Where a data file goes and what its `add` action says about it: Spark-style file names, Hive partition directories
 * (Spark's `escapePathName`), the `add.path` URI (PROTOCOL: paths are RFC 2396 URIs, so the Hive-escaped key is
 * URI-encoded once more: the value `a:b c` is the directory `p=a%3Ab c` and the path `p=a%253Ab%20c`). Partition
 * values themselves are serialized by `serializePartitionValue` (scan/partition-values.ts). Pure: the caller supplies
 * the uuid.
 */

export const HIVE_NULL_PARTITION = '__HIVE_DEFAULT_PARTITION__';

/** Hive's partition-path escaping (what Spark writes): control characters and the characters below become %XX. */
export function escapePartitionPathSegment(s: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0) as number;
    out +=
      c < 0x20 || c === 0x7f || '"#%\'*/:=?\\{[]^'.includes(ch)
        ? `%${c.toString(16).toUpperCase().padStart(2, '0')}`
        : ch;
  }
  return out;
}

/** The relative directory of a partition (`a=1/b=x`), or '' for an unpartitioned table. */
export function partitionDirectory(
  columns: readonly string[],
  values: Readonly<Record<string, string | null | undefined>>,
): string {
  return columns
    .map((c) => {
      const v = values[c];
      const segment =
        v === null || v === undefined || v === '' ? HIVE_NULL_PARTITION : escapePartitionPathSegment(v);
      return `${escapePartitionPathSegment(c)}=${segment}`;
    })
    .join('/');
}

/** URI-encodes a relative path for `add.path` the way Hadoop's Path does: RFC 2396 path characters stay. */
export function encodeAddPath(rel: string): string {
  return rel
    .split('/')
    .map((seg) =>
      encodeURIComponent(seg).replace(/%(3B|3A|40|26|3D|2B|24|2C)/g, (m) => decodeURIComponent(m)),
    )
    .join('/');
}

/** `part-<NNNNN>-<uuid>-c000[.<codec>].parquet`, as Spark names the files of task `partNumber`. */
export function dataFileName(partNumber: number, codec: string, uuid: string): string {
  const suffix = codec === '' || codec === 'uncompressed' ? '' : `.${codec}`;
  return `part-${String(partNumber).padStart(5, '0')}-${uuid}-c000${suffix}.parquet`;
}

export interface DataFileLocation {
  /** Object key relative to the table root (what is uploaded). */
  relativeKey: string;
  /** The `add.path`: the relative key as a URI path. */
  addPath: string;
}

/** The key and `add.path` of `fileName` in a partition `directory` ('' for none). */
export function dataFileLocation(directory: string, fileName: string): DataFileLocation {
  const relativeKey = directory === '' ? fileName : `${directory}/${fileName}`;
  return { relativeKey, addPath: encodeAddPath(relativeKey) };
}
