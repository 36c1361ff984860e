/**
 * The JavaScript side of a service's memory, read from its own metrics: the main thread's V8 heap in use, its
 * external memory (Buffers, Arrow and Parquet bytes) and the encoder's WebAssembly heap. A resident set that grows
 * while these stay flat is native memory — the allocator, worker threads — and not a JavaScript leak; one that
 * grows with them is. The first soaks could not tell the two apart (e2e/results/2026-12-06.md).
 */
import { DEFAULT_RULE, type FlatnessRule, memoryVerdict, type Sample } from './memory.js';

export interface HeapReading {
  heapUsed?: number;
  external?: number;
  wasm?: number;
}

const METRICS = {
  heapUsed: 'nodejs_heap_size_used_bytes',
  external: 'nodejs_external_memory_bytes',
  wasm: 'encoder_wasm_heap_bytes',
} as const;

/** Values from a Prometheus text page, whatever prefix the service gives its metric names. */
export function parseHeap(page: string): HeapReading {
  const out: HeapReading = {};
  for (const [key, suffix] of Object.entries(METRICS) as [keyof HeapReading, string][]) {
    const m = new RegExp(`^[a-z_]*${suffix} (\\S+)$`, 'm').exec(page);
    const value = m ? Number(m[1]) : Number.NaN;
    if (Number.isFinite(value)) out[key] = value;
  }
  return out;
}

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

/** A report row: each reading's median over the first and last stretch after the warm-up, and its verdict. */
export function heapRow(name: string, series: HeapSeries, rule: FlatnessRule = DEFAULT_RULE): string {
  const mib = (b: number) => (b / 2 ** 20).toFixed(0);
  const cell = (key: keyof HeapReading) => {
    const samples: Sample[] = series.flatMap((s) =>
      s[key] === undefined ? [] : [{ t: s.t, bytes: s[key] }],
    );
    if (samples.length === 0) return '—';
    const v = memoryVerdict(samples, rule);
    if (Number.isNaN(v.startBytes)) return '—';
    return `${mib(v.startBytes)} → ${mib(v.endBytes)}${v.flat ? '' : ' (**grew**)'}`;
  };
  return `| ${name} | ${cell('heapUsed')} | ${cell('external')} | ${cell('wasm')} |`;
}
