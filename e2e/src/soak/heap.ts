/**
 * The JavaScript side of a service's memory, read from its own metrics: the main thread's V8 heap in use, its
 * external memory (Buffers, Arrow and Parquet bytes) and the encoder's WebAssembly heap. A resident set that grows
 * while these stay flat is native memory — the allocator, worker threads — and not a JavaScript leak; one that
 * grows with them is. The first soaks could not tell the two apart (e2e/results/2026-12-06.md).
 */
import { DEFAULT_RULE, type FlatnessRule, memoryVerdict, type Sample } from './memory.js';

export interface HeapReading {
  heapUsed?: number;
  /** The V8 heap committed: in use plus the free pages V8 keeps. */
  heapTotal?: number;
  external?: number;
  /** The main thread's WebAssembly heap (the ingestor's encoder, the committer's checkpoint and mirror reads). */
  wasm?: number;
  /** The committer's maintenance worker thread, as of its last task (0 once it has ended): all three kinds. */
  workerHeapUsed?: number;
  workerHeapTotal?: number;
  workerExternal?: number;
  workerWasm?: number;
}

const thread = (t: string, kind: string) => `thread_memory_bytes\\{thread="${t}",kind="${kind}"\\}`;

/** Each reading's metric (a regular expression: a name suffix and labels), the first one found wins. */
const METRICS: Record<keyof HeapReading, string[]> = {
  heapUsed: ['nodejs_heap_size_used_bytes'],
  heapTotal: ['nodejs_heap_size_total_bytes'],
  external: ['nodejs_external_memory_bytes'],
  wasm: ['encoder_wasm_heap_bytes', thread('main', 'wasm')],
  workerHeapUsed: [thread('maintenance', 'heap_used')],
  workerHeapTotal: [thread('maintenance', 'heap_total')],
  workerExternal: [thread('maintenance', 'external')],
  workerWasm: [thread('maintenance', 'wasm')],
};

/** Values from a Prometheus text page, whatever prefix the service gives its metric names. */
export function parseHeap(page: string): HeapReading {
  const out: HeapReading = {};
  for (const [key, patterns] of Object.entries(METRICS) as [keyof HeapReading, string[]][]) {
    for (const pattern of patterns) {
      const m = new RegExp(`^[a-z_]*${pattern} (\\S+)$`, 'm').exec(page);
      const value = m ? Number(m[1]) : Number.NaN;
      if (Number.isFinite(value)) {
        out[key] = value;
        break;
      }
    }
  }
  return out;
}

/** The readings in report order, with their column titles. */
export const HEAP_COLUMNS: [keyof HeapReading, string][] = [
  ['heapUsed', 'heap used'],
  ['heapTotal', 'heap total'],
  ['external', 'external'],
  ['wasm', 'wasm heap'],
  ['workerHeapUsed', 'worker heap used'],
  ['workerHeapTotal', 'worker heap total'],
  ['workerExternal', 'worker external'],
  ['workerWasm', 'worker wasm heap'],
];

/** One reading, or undefined when the service does not answer within 2 s (a sample is skipped, not invented). */
export async function readHeap(url: string): Promise<HeapReading | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    return res.ok ? parseHeap(await res.text()) : undefined;
  } catch {
    return undefined;
  }
}

export type HeapSeries = Array<{ t: number } & HeapReading>;

/**
 * A report cell: a reading's median over the first and the last stretch after the warm-up, MiB, marked when it
 * grew (memory.ts's rule); — without samples.
 */
export function trendCell<K extends string>(
  series: ReadonlyArray<{ t: number } & Partial<Record<K, number>>>,
  key: K,
  rule: FlatnessRule = DEFAULT_RULE,
): string {
  const mib = (b: number) => (b / 2 ** 20).toFixed(0);
  const samples: Sample[] = series.flatMap((s) => {
    const bytes = s[key];
    return bytes === undefined ? [] : [{ t: s.t, bytes }];
  });
  if (samples.length === 0) return '—';
  const v = memoryVerdict(samples, rule);
  if (Number.isNaN(v.startBytes)) return '—';
  return `${mib(v.startBytes)} → ${mib(v.endBytes)}${v.flat ? '' : ' (**grew**)'}`;
}

/** A report row: each reading's trend cell. */
export function heapRow(name: string, series: HeapSeries, rule: FlatnessRule = DEFAULT_RULE): string {
  return `| ${name} | ${HEAP_COLUMNS.map(([key]) => trendCell(series, key, rule)).join(' | ')} |`;
}
