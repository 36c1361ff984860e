import { describe, expect, it } from 'vitest';
import { cpuPerEvent } from '../src/append.js';
import { chartPanels } from '../src/chart.js';
import { flagsToEnv, loadConfig } from '../src/config.js';
import { parseIngestorCounters } from '../src/deployment.js';
import {
  type BenchReport,
  figureLine,
  formatValue,
  renderMarkdown,
  reportName,
  summaryTable,
  verdict,
} from '../src/report.js';
import { parseGroupCommit, parseMirrorUpsert } from '../src/reused.js';
import { percentile, rate, ratio } from '../src/stats.js';

describe('percentile (nearest rank)', () => {
  it('returns measured values only, at the nearest rank', () => {
    const values = [5, 1, 4, 2, 3, 10, 9, 8, 7, 6];
    expect(percentile(values, 50)).toBe(5);
    expect(percentile(values, 95)).toBe(10);
    expect(percentile(values, 10)).toBe(1);
    expect(percentile(values, 0)).toBe(1);
    expect(percentile(values, 100)).toBe(10);
    expect(percentile([42], 99)).toBe(42);
    expect(percentile([], 50)).toBeNaN();
  });

  it('does not reorder its input', () => {
    const values = [3, 1, 2];
    percentile(values, 50);
    expect(values).toEqual([3, 1, 2]);
  });
});

describe('rates and ratios', () => {
  it('rounds rates to whole events per second', () => {
    expect(rate(1000, 300)).toBe(3333);
    expect(rate(5, 0)).toBe(0);
  });
  it('writes ratios with two decimals, n/a without a baseline', () => {
    expect(ratio(1, 4)).toBe('0.25×');
    expect(ratio(1, 0)).toBe('n/a');
    expect(ratio(undefined, 3)).toBe('n/a');
  });
});

const report: BenchReport = {
  machine: {
    date: '2026-11-26',
    cores: 2,
    cpuModel: 'Test CPU',
    memoryMiB: 4096,
    node: 'v20.0.0',
    os: 'Linux',
    loadStart: [1, 2, 3],
    loadEnd: [1.5, 2, 3],
    commit: 'abc123 message',
    uncommitted: [],
  },
  settings: { events: 1000 },
  figures: [
    { name: 'Decode floor', value: 80_000.4, unit: 'events/s', group: 'baseline' },
    {
      name: 'Append, 1 ingestor',
      value: 12_345.6,
      unit: 'events/s',
      group: 'append',
      goal: { kind: 'min', value: 100_000 },
    },
    { name: 'Latency P95', value: 1234.4, unit: 'ms', group: 'latency', goal: { kind: 'max', value: 5000 } },
    { name: 'Commits', value: 0.44, unit: 'commits/s', group: 'committer' },
  ],
  ratios: [
    {
      name: 'Append / floor',
      numerator: 'Append, 1 ingestor',
      denominator: 'Decode floor',
      goal: { kind: 'min', value: 0.5 },
    },
  ],
  notes: ['a note'],
  durationMs: 61_000,
};

describe('report formatting', () => {
  it('writes figures as plain digits with the unit, one per line', () => {
    expect(figureLine(report.figures[1] as never)).toBe('Append, 1 ingestor: 12346 events/s');
    expect(formatValue(1_234_567, 'events/s')).toBe('1234567 events/s');
    expect(formatValue(0.44, 'commits/s')).toBe('0.4 commits/s');
    expect(formatValue(Number.NaN, 'ms')).toBe('n/a ms');
  });

  it('judges goals both ways', () => {
    expect(verdict(5, { kind: 'min', value: 4 })).toBe('met');
    expect(verdict(3, { kind: 'min', value: 4 })).toBe('not met');
    expect(verdict(6000, { kind: 'max', value: 5000 })).toBe('not met');
    expect(verdict(1, undefined)).toBe('');
  });

  it('renders the markdown with machine facts, figure lines, ratios and goals', () => {
    const md = renderMarkdown(report, '2026-11-26.png');
    expect(md).toContain('- cores: 2');
    expect(md).toContain('- git commit: abc123 message');
    expect(md).toContain('\nDecode floor: 80000 events/s\n');
    expect(md).toContain('\nLatency P95: 1234 ms\n');
    expect(md).toContain('| Append / floor | 0.15× | ≥ 0.5 × | not met |');
    expect(md).toContain('| Latency P95 | 1234 ms | ≤ 5000 ms | met |');
    expect(md).toContain('![figures](2026-11-26.png)');
  });

  it('prints an aligned summary table', () => {
    const lines = summaryTable(report).split('\n');
    expect(lines[0]).toMatch(/^figure\s+value\s+goal$/);
    expect(lines.find((l) => l.startsWith('Append / floor'))).toMatch(/0\.15×\s+≥ 0\.5 ×\s+not met$/);
    const widths = new Set(
      lines
        .slice(2)
        .map((l) => l.indexOf(' events/s'))
        .filter((i) => i > 0),
    );
    expect(widths.size).toBe(1);
  });

  it('puts baselines in the append panel and leaves out ungrouped figures', () => {
    const panels = chartPanels(report);
    expect(panels.map((p) => p.title)).toEqual([
      'Append vs baselines (events/s, log)',
      'Latency, produce → visible (ms)',
      'Committer (per second)',
      'Ratios (×)',
    ]);
    expect(panels[0]?.bars.map((b) => b.label)).toEqual(['Decode floor', 'Append, 1 ingestor']);
  });
});

describe('settings', () => {
  it('maps flags to BENCH_ variables', () => {
    expect(flagsToEnv(['--events=5', '--latency-rate=200', '--keep-tables'])).toEqual({
      BENCH_EVENTS: '5',
      BENCH_LATENCY_RATE: '200',
      BENCH_KEEP_TABLES: '1',
    });
    expect(() => flagsToEnv(['events'])).toThrow(/unknown argument/);
  });

  it('reads lists and extra ingestor settings, and refuses nonsense', () => {
    const c = loadConfig({
      BENCH_INGESTORS: '1,3',
      BENCH_INGESTOR_ENV: 'ENCODER_THREADS=2,NODE_OPTIONS=--cpu-prof',
    });
    expect(c.ingestors).toEqual([1, 3]);
    expect(c.ingestorEnv).toEqual({ ENCODER_THREADS: '2', NODE_OPTIONS: '--cpu-prof' });
    expect(c.events).toBe(300_000); // start-up is a small part of an append run at this size
    expect(c.latencyRates).toEqual([10_000, 20_000, 1000]);
    expect(() => loadConfig({ BENCH_EVENTS: 'many' })).toThrow(/BENCH_EVENTS/);
    expect(() => loadConfig({ BENCH_INGESTORS: '0' })).toThrow(/positive/);
  });
});

describe("parsing the committer benches' output", () => {
  it('reads the group commit rows', () => {
    const out = [
      'committer bench: 16 clients, 4 tables, 5 s per mode, local S3 server http://127.0.0.1:18333',
      'mode                manifests/s    commits/s   per commit    commit ms   ack p50 ms   ack p99 ms',
      'group commit off           29.5         29.5         1.00        112.9        505.2       1147.0',
      'group commit on            66.9         17.7         3.78         61.6        216.2        570.9',
      'ratio on/off              2.27x        0.60x',
    ].join('\n');
    expect(parseGroupCommit(out)).toEqual([
      { mode: 'group commit off', manifestsPerSecond: 29.5, commitsPerSecond: 29.5 },
      { mode: 'group commit on', manifestsPerSecond: 66.9, commitsPerSecond: 17.7 },
    ]);
    expect(() => parseGroupCommit('nothing')).toThrow(/two result rows/);
  });

  it('reads the mirror upsert lines', () => {
    const out =
      "  table 1,000,000 rows (20 files): 20,619 rows/s, 97 ms per commit (prepare 79 ms, 34.8 existing files given new vectors), index rebuild 33.4 s; writing each batch's data file 84 ms more (the ingestor's share; together 11,050 rows/s in one thread)\n";
    expect(parseMirrorUpsert(out)).toEqual([
      {
        tableRows: 1_000_000,
        rowsPerSecond: 20_619,
        commitMs: 97,
        prepareMs: 79,
        indexRebuildSeconds: 33.4,
        fileMs: 84,
        withFilesPerSecond: 11_050,
      },
    ]);
    expect(() => parseMirrorUpsert('')).toThrow(/no result line/);
  });
});

describe('reportName', () => {
  it('takes the date, then the first free numbered name of that day', () => {
    const taken = new Set<string>();
    const next = () => {
      const name = reportName('2026-11-27', (n) => taken.has(n));
      taken.add(name);
      return name;
    };
    expect([next(), next(), next()]).toEqual(['2026-11-27', '2026-11-27-2', '2026-11-27-3']);
    taken.delete('2026-11-27-2');
    expect(next()).toBe('2026-11-27-2');
  });
});

describe('ingestor CPU per event', () => {
  const metrics = (main: number, encoder: number, process: number, fast: number, reference: number) =>
    [
      '# HELP dw_ingestor_thread_cpu_seconds_total CPU',
      `dw_ingestor_thread_cpu_seconds_total{thread="main"} ${main}`,
      `dw_ingestor_thread_cpu_seconds_total{thread="encoder"} ${encoder}`,
      `dw_ingestor_process_cpu_seconds_total ${process}`,
      `dw_ingestor_process_cpu_user_seconds_total ${process * 10}`,
      `dw_ingestor_encoded_records_total{path="fast"} ${fast}`,
      `dw_ingestor_encoded_records_total{path="reference"} ${reference}`,
    ].join('\n');

  it('reads the counters of /metrics, absent series as 0', () => {
    expect(parseIngestorCounters(metrics(1.5, 2.25, 5, 90, 10))).toEqual({
      mainCpu: 1.5,
      encoderCpu: 2.25,
      processCpu: 5,
      fastRecords: 90,
      referenceRecords: 10,
    });
    expect(parseIngestorCounters('')).toEqual({
      mainCpu: 0,
      encoderCpu: 0,
      processCpu: 0,
      fastRecords: 0,
      referenceRecords: 0,
    });
  });

  it('divides the CPU spent between two readings by the events, per thread kind', () => {
    const a = parseIngestorCounters(metrics(1, 2, 4, 100, 0));
    const b = parseIngestorCounters(metrics(2, 6, 10, 1090, 10));
    const cpu = cpuPerEvent(a, b, 100_000);
    expect(cpu.main).toBeCloseTo(10);
    expect(cpu.encoder).toBeCloseTo(40);
    expect(cpu.other).toBeCloseTo(10);
    expect(cpu.fallbackShare).toBeCloseTo(0.01);
    expect(cpuPerEvent(a, a, 10).fallbackShare).toBeUndefined();
  });
});
