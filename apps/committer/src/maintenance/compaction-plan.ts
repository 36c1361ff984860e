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
