/**
 * Where a process's resident memory lives, from /proc/<pid>/smaps: glibc's main heap (`[heap]`, the main thread's
 * arena), glibc's thread arenas (anonymous mappings starting on a 64 MiB boundary, the size glibc reserves for each
 * arena's heap on 64-bit Linux), the rest of anonymous memory (V8's heaps, WebAssembly memories, thread stacks,
 * large allocations glibc maps on their own, or everything when another allocator is preloaded) and files (code).
 * The committer's own metrics say what JavaScript holds; this says what the allocator holds on top — the two
 * together tell a leak from fragmentation. The 64 MiB rule is a heuristic: another mapping may start on such a
 * boundary by chance.
 */
import { readFileSync } from 'node:fs';

export interface ResidentParts {
  mainHeap: number;
  threadArenas: number;
  otherAnon: number;
  file: number;
}

const ARENA_BYTES = 64n * 2n ** 20n;
const HEADER = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ (\d+)\s*(.*)$/;

/** Sums each mapping's `Rss:` into its part. */
export function residentParts(smaps: string): ResidentParts {
  const parts: ResidentParts = { mainHeap: 0, threadArenas: 0, otherAnon: 0, file: 0 };
  let part: keyof ResidentParts = 'file';
  for (const line of smaps.split('\n')) {
    const h = HEADER.exec(line);
    if (h) {
      const start = BigInt(`0x${h[1]}`);
      const size = BigInt(`0x${h[2]}`) - start;
      const path = (h[4] ?? '').trim();
      if (path === '[heap]') part = 'mainHeap';
      else if (h[3] !== '0' || (path !== '' && !path.startsWith('['))) part = 'file';
      else if (path === '' && start % ARENA_BYTES === 0n && size <= ARENA_BYTES) part = 'threadArenas';
      else part = 'otherAnon';
      continue;
    }
    if (line.startsWith('Rss:')) parts[part] += Number(/(\d+) kB/.exec(line)?.[1] ?? 0) * 1024;
  }
  return parts;
}

/** A process's parts now, or undefined when it is gone or unreadable. */
export function readResidentParts(pid: number | undefined): ResidentParts | undefined {
  if (pid === undefined) return undefined;
  try {
    return residentParts(readFileSync(`/proc/${pid}/smaps`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** The parts in report order, with their column titles. */
export const PART_COLUMNS: [keyof ResidentParts, string][] = [
  ['mainHeap', 'glibc main heap'],
  ['threadArenas', 'glibc thread arenas'],
  ['otherAnon', 'other anonymous'],
  ['file', 'files'],
];
