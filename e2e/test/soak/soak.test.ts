/**
 * The soak's two pure parts: the rule that calls a process's memory flat or not (a leak of a few MiB a minute must
 * not pass, warm-up growth and noise must not fail), and the pool's rounds (each round's events newer than the
 * last's, nothing else in the event changed).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Workload } from '../../src/generator/workload.js';
import { nemesisCollections } from '../../src/nemesis/run.js';
import { heapRow, parseHeap } from '../../src/soak/heap.js';
import { memoryVerdict, type Sample } from '../../src/soak/memory.js';
import { inRound, makePool, ROUND_SHIFT_MS } from '../../src/soak/pool.js';
import { readResidentParts, residentParts } from '../../src/soak/smaps.js';

const MiB = 2 ** 20;
/** 30 min of samples every 10 s: `f(minutes)` MiB plus ±`noise` MiB of deterministic wobble. */
const series = (f: (min: number) => number, noise = 4): Sample[] =>
  Array.from({ length: 181 }, (_, i) => ({
    t: i * 10_000,
    bytes: (f(i / 6) + noise * Math.sin(i * 1.7)) * MiB,
  }));

describe('memoryVerdict', () => {
  it('flat: steady after a warm-up that doubled the memory, with noise', () => {
    const v = memoryVerdict(series((m) => (m < 4 ? 150 + 40 * m : 310)));
    expect(v.flat).toBe(true);
    expect(v.startBytes / MiB).toBeCloseTo(310, -1);
    expect(Math.abs(v.slopePerHour / MiB)).toBeLessThan(10);
  });

  it('not flat: a leak of 1 MiB a minute after the warm-up', () => {
    const v = memoryVerdict(series((m) => 300 + m));
    expect(v.flat).toBe(false);
    expect(v.slopePerHour / MiB).toBeCloseTo(60, -1);
    expect(v.why).toMatch(/^grew/);
  });

  it('not flat: a step up late in the run', () => {
    expect(memoryVerdict(series((m) => (m < 26 ? 300 : 360))).flat).toBe(false);
  });

  it('tells a rising floor (a leak) from swings that only lift the median', () => {
    // every 2 min the collector gives memory back (300 MiB), and in between it climbs; the last stretch climbs higher
    const swing = (m: number, top: number) => 300 + (top - 300) * ((m % 2) / 2);
    const busier = memoryVerdict(series((m) => swing(m, m < 20 ? 500 : 700), 0));
    expect(busier.flat).toBe(false);
    expect(busier.floorFlat).toBe(true);
    expect(busier.floorEndBytes / MiB).toBeCloseTo(300, -1);
    const leak = memoryVerdict(series((m) => swing(m, 500) + 3 * m, 0));
    expect(leak.floorFlat).toBe(false);
    expect((leak.floorEndBytes - leak.floorStartBytes) / MiB).toBeGreaterThan(50);
  });

  it('no verdict from too few samples', () => {
    const v = memoryVerdict(series(() => 300).slice(0, 32));
    expect(v.flat).toBe(false);
    expect(v.why).toMatch(/too few samples/);
  });
});

describe("the services' JavaScript memory", () => {
  it("is read from either service's metrics page, whatever their prefix, and missing values stay missing", () => {
    const page = [
      '# HELP dw_ingestor_nodejs_heap_size_used_bytes Process heap size used from Node.js in bytes.',
      'dw_ingestor_nodejs_heap_size_used_bytes 36300512',
      'dw_ingestor_nodejs_heap_size_total_bytes 104136704',
      'dw_ingestor_nodejs_external_memory_bytes 10666342',
      'dw_ingestor_encoder_wasm_heap_bytes 7077888',
    ].join('\n');
    expect(parseHeap(page)).toEqual({
      heapUsed: 36300512,
      heapTotal: 104136704,
      external: 10666342,
      wasm: 7077888,
    });
    expect(parseHeap('deltawriter_committer_nodejs_heap_size_used_bytes 5e8\nfoo 1')).toEqual({
      heapUsed: 5e8,
    });
    expect(parseHeap('nodejs_heap_size_used_bytes NaN')).toEqual({});
  });

  it("reads the committer's per-thread gauges: the main thread's WebAssembly heap and the maintenance thread's", () => {
    const page = [
      'deltawriter_committer_nodejs_heap_size_used_bytes 91000000',
      'deltawriter_committer_nodejs_heap_size_total_bytes 130000000',
      'deltawriter_committer_thread_memory_bytes{thread="main",kind="heap_used"} 90000000',
      'deltawriter_committer_thread_memory_bytes{thread="main",kind="wasm"} 1114112',
      'deltawriter_committer_thread_memory_bytes{thread="maintenance",kind="heap_used"} 42000000',
      'deltawriter_committer_thread_memory_bytes{thread="maintenance",kind="heap_total"} 61000000',
      'deltawriter_committer_thread_memory_bytes{thread="maintenance",kind="external"} 3000000',
      'deltawriter_committer_thread_memory_bytes{thread="maintenance",kind="wasm"} 0',
    ].join('\n');
    expect(parseHeap(page)).toEqual({
      heapUsed: 91000000,
      heapTotal: 130000000,
      wasm: 1114112,
      workerHeapUsed: 42000000,
      workerHeapTotal: 61000000,
      workerExternal: 3000000,
      workerWasm: 0,
    });
  });

  it('says which reading grew after the warm-up: a heap growing 10 MiB a minute, external memory flat', () => {
    const series = Array.from({ length: 181 }, (_, i) => ({
      t: i * 10_000,
      heapUsed: 100 * 2 ** 20 + (i * 10_000 * 10 * 2 ** 20) / 60_000,
      external: 20 * 2 ** 20,
    }));
    const row = heapRow('committer-a', series);
    expect(row).toBe('| committer-a | 175 → 375 (**grew**) | — | 20 → 20 | — | — | — | — | — |');
  });
});

describe('the soak pool', () => {
  const workload = new Workload({
    prefix: 'p',
    collections: nemesisCollections(),
    seed: 3,
    plannedEvents: 500,
  });
  workload.snapshot(5);
  const pool = makePool(workload, 400);

  it('holds the events asked for (tombstones on top), each topic in order', () => {
    expect(pool.filter((r) => r.value !== null)).toHaveLength(400);
    expect(pool.some((r) => r.value === null)).toBe(true);
    expect(new Set(pool.map((r) => r.topic))).toEqual(new Set(workload.topics));
  });

  it('moves every ts_ms of an event forward by the round, and nothing else', () => {
    const event = pool.find((r) => r.value !== null)?.value as string;
    const times = (v: string) => [...v.matchAll(/"ts_ms":(\d+)/g)].map((m) => BigInt(m[1] as string));
    expect(times(event).length).toBeGreaterThanOrEqual(2);
    const moved = inRound(event, 3) as string;
    expect(times(moved)).toEqual(times(event).map((t) => t + 3n * BigInt(ROUND_SHIFT_MS)));
    expect(moved.replace(/"ts_ms":\d+/g, '')).toBe(event.replace(/"ts_ms":\d+/g, ''));
    expect(inRound(event, 0)).toBe(event);
    expect(inRound(null, 2)).toBeNull();
  });
});

describe('where the resident set lives (smaps)', () => {
  const mapping = (range: string, inode: string, path: string, rssKb: number) =>
    [
      `${range} rw-p 00000000 00:00 ${inode}                     ${path}`,
      'Size:  1 kB',
      `Rss:   ${rssKb} kB`,
      'Pss: 1 kB',
    ].join('\n');
  it("tells glibc's main heap, its 64 MiB-aligned thread arenas, other anonymous memory and files apart", () => {
    const smaps = [
      mapping('55d3c0a00000-55d3c0b00000', '0', '[heap]', 1000),
      mapping('7f1c2c000000-7f1c2e000000', '0', '', 2000), // 64 MiB boundary, 32 MiB: an arena's heap
      mapping('7f1c2e000000-7f1c30000000', '0', '', 0), // the rest of its reservation (---p in life)
      mapping('7f1c34000000-7f1c3c000000', '0', '', 300), // 64 MiB boundary but 128 MiB: not an arena
      mapping('7f1c3c100000-7f1c3c200000', '0', '', 400), // V8 page, wasm, mmapped allocation
      mapping('7f1c3c200000-7f1c3c300000', '0', '[stack]', 8),
      mapping('7f1c3d000000-7f1c3d100000', '1234', '/usr/local/bin/node', 5000),
    ].join('\n');
    expect(residentParts(smaps)).toEqual({
      mainHeap: 1000 * 1024,
      threadArenas: 2000 * 1024,
      otherAnon: 708 * 1024,
      file: 5000 * 1024,
    });
  });

  it('reads a live process (this one): the parts add up to its resident set', () => {
    const parts = readResidentParts(process.pid);
    expect(parts).toBeDefined();
    const sum = Object.values(parts as object).reduce((a: number, b: number) => a + b, 0);
    const rss = Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]) * 1024;
    expect(Math.abs(sum - rss) / rss).toBeLessThan(0.1);
    expect(readResidentParts(2 ** 22 + 1)).toBeUndefined();
  });
});
