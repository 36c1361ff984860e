/**
 * Which small files to compact, as a pure function. Files of one partition that are smaller than the small-file
 * threshold are packed, in the order they were written, into bins of at most the target size: keeping write order
 * (next-fit rather than first-fit-decreasing) keeps rows written together in the same output file, so per-file
 * min/max statistics stay as selective as the ingestors made them. A bin needs two files or it gains nothing; a
 * partition needs `minFiles` small files before it is worth a rewrite. One run is bounded by `maxBytesPerRun`,
 * taking the oldest files first.
 */
import type { AddFile, StringMap } from '@delta-writer/delta-log';

export interface CompactionLimits {
  readonly targetFileBytes: number;
  readonly smallFileBytes: number;
  readonly minFiles: number;
  readonly maxBytesPerRun: number;
}

export interface CompactionBin {
  readonly partitionValues: StringMap;
  readonly files: readonly AddFile[];
  readonly bytes: number;
}

export function planCompaction(files: Iterable<AddFile>, limits: CompactionLimits): CompactionBin[] {
  const byPartition = new Map<string, AddFile[]>();
  for (const f of files) {
    // Deletion vectors would have to be applied while rewriting; the committer's tables never have them.
    if (f.deletionVector || f.size >= limits.smallFileBytes) continue;
    const key = partitionKey(f.partitionValues);
    const list = byPartition.get(key);
    if (list) list.push(f);
    else byPartition.set(key, [f]);
  }
  const bins: { bin: CompactionBin; oldest: number }[] = [];
  for (const group of byPartition.values()) {
    if (group.length < limits.minFiles) continue;
    group.sort((a, b) => a.modificationTime - b.modificationTime || (a.path < b.path ? -1 : 1));
    let current: AddFile[] = [];
    let bytes = 0;
    const close = () => {
      if (current.length >= 2) {
        bins.push({
          bin: { partitionValues: current[0]?.partitionValues ?? {}, files: current, bytes },
          oldest: current[0]?.modificationTime ?? 0,
        });
      }
      current = [];
      bytes = 0;
    };
    for (const f of group) {
      if (current.length > 0 && bytes + f.size > limits.targetFileBytes) close();
      current.push(f);
      bytes += f.size;
    }
    close();
  }
  bins.sort((a, b) => a.oldest - b.oldest);
  const picked: CompactionBin[] = [];
  let total = 0;
  for (const { bin } of bins) {
    if (picked.length > 0 && total + bin.bytes > limits.maxBytesPerRun) break;
    picked.push(bin);
    total += bin.bytes;
  }
  return picked;
}

/** Partition values as a comparable key (insensitive to the order of the map's entries). */
export function partitionKey(values: StringMap): string {
  return JSON.stringify(Object.entries(values).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export interface MirrorCompactionLimits extends CompactionLimits {
  /** A file is rewritten once this share of its rows is deleted. */
  readonly deletedRatio: number;
}

/** Rows a file's deletion vector deletes, as a share of its rows (0 without a vector or row count). */
export function deletedShare(f: AddFile): number {
  const dv = f.deletionVector;
  if (!dv) return 0;
  const rows = numRecords(f);
  return rows === undefined || rows === 0 ? 1 : dv.cardinality / rows;
}

function numRecords(f: AddFile): number | undefined {
  if (f.stats === undefined) return undefined;
  try {
    const n = (JSON.parse(f.stats) as { numRecords?: unknown }).numRecords;
    return typeof n === 'number' ? n : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Which files of a mirror table to rewrite, as a pure function. Mirror tables delete rows by deletion vectors, so
 * besides small files (as in `planCompaction`) a file is worth rewriting once `deletedRatio` of its rows are dead:
 * the rewrite keeps its live rows (and the tombstones the index still needs) in a clean file. Files are packed in
 * write order into bins of at most the target size, counting only the bytes that survive; a bin holding a single
 * file is kept only when that file has dead rows to drop.
 */
export function planMirrorCompaction(
  files: Iterable<AddFile>,
  limits: MirrorCompactionLimits,
): CompactionBin[] {
  const byPartition = new Map<string, AddFile[]>();
  for (const f of files) {
    const key = partitionKey(f.partitionValues);
    const list = byPartition.get(key);
    if (list) list.push(f);
    else byPartition.set(key, [f]);
  }
  const dirty = (f: AddFile) => f.deletionVector !== undefined && deletedShare(f) >= limits.deletedRatio;
  const small = (f: AddFile) => f.size < limits.smallFileBytes;
  const live = (f: AddFile) => f.size * (1 - Math.min(1, deletedShare(f)));
  const bins: { bin: CompactionBin; oldest: number }[] = [];
  for (const group of byPartition.values()) {
    const smallOnes = group.filter((f) => small(f) && !dirty(f));
    const picked = group.filter(
      (f) => dirty(f) || (small(f) && smallOnes.length >= limits.minFiles) || (small(f) && group.some(dirty)),
    );
    if (picked.length === 0) continue;
    picked.sort((a, b) => a.modificationTime - b.modificationTime || (a.path < b.path ? -1 : 1));
    let current: AddFile[] = [];
    let bytes = 0;
    const close = () => {
      if (current.length >= 2 || current.some(dirty)) {
        bins.push({
          bin: {
            partitionValues: current[0]?.partitionValues ?? {},
            files: current,
            bytes: current.reduce((n, f) => n + f.size, 0),
          },
          oldest: current[0]?.modificationTime ?? 0,
        });
      }
      current = [];
      bytes = 0;
    };
    for (const f of picked) {
      if (current.length > 0 && bytes + live(f) > limits.targetFileBytes) close();
      current.push(f);
      bytes += live(f);
    }
    close();
  }
  bins.sort((a, b) => a.oldest - b.oldest);
  const out: CompactionBin[] = [];
  let total = 0;
  for (const { bin } of bins) {
    if (out.length > 0 && total + bin.bytes > limits.maxBytesPerRun) break;
    out.push(bin);
    total += bin.bytes;
  }
  return out;
}
