/**
 * The nemesis's figures without any service: results appended to a session's log come back whole (a line the
 * process was killed while writing is skipped, not fatal — a stopped long profile keeps what it did), the logs of
 * sessions run side by side make one table, each run counts under every kind of fault it had, and failed runs are
 * listed with their seeds.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { appendResult, readResults, renderNemesisTable, renderSection } from '../../src/nemesis/report.js';
import { NEMESIS_PROFILES, type NemesisResult } from '../../src/nemesis/run.js';

const dir = mkdtempSync(join(tmpdir(), 'nemesis-report-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function result(seed: number, over: Partial<NemesisResult> = {}): NemesisResult {
  return {
    seed,
    run: `nemesis-${seed}-x`,
    labels: ['cut'],
    schedule: 't+1.0 s cut ingestor-1→kafka for 2.0 s',
    events: 1000,
    lost: 0,
    deadLettered: 0,
    duplicated: 0,
    recoveryMs: 1_000,
    stalled: false,
    problems: [],
    hits: [],
    logs: `/tmp/nemesis-${seed}`,
    durationMs: 40_000,
    phases: { start: 2_000, window: 28_000, check: 5_000 },
    startedAt: 1_796_563_000_000 + seed * 40_000,
    failed: false,
    ...over,
  };
}

/** The table's row for a label, split into its cells. */
const rowOf = (table: string, label: string) =>
  table
    .split('\n')
    .find((l) => l.startsWith(`| ${label} |`))
    ?.split('|')
    .map((c) => c.trim())
    .slice(1, -1);

describe('nemesis figures', () => {
  it('a session log gives back what was appended; a line cut short is skipped', () => {
    const log = join(dir, 'a.jsonl');
    appendResult(log, result(1));
    appendResult(log, result(2, { labels: ['kill', 'cut'], recoveryMs: 3_000 }));
    writeFileSync(log, `${JSON.stringify(result(3)).slice(0, 40)}`, { flag: 'a' });
    const back = readResults(log);
    expect(back.map((r) => r.seed)).toEqual([1, 2]);
    expect(back[1]).toEqual(result(2, { labels: ['kill', 'cut'], recoveryMs: 3_000 }));
    expect(readResults(join(dir, 'none.jsonl'))).toEqual([]);
  });

  it('sessions side by side make one table: a run under each of its kinds, sums, median / max, failed seeds', () => {
    const b = join(dir, 'b.jsonl');
    appendResult(b, result(10, { labels: ['restart kafka'], recoveryMs: 8_000 }));
    appendResult(
      b,
      result(11, {
        labels: ['s3-hang', 'cut'],
        lost: 7,
        stalled: true,
        recoveryMs: undefined,
        failed: true,
        problems: ['not everything was committed'],
      }),
    );
    const results = [...readResults(join(dir, 'a.jsonl')), ...readResults(b)];
    const table = renderNemesisTable(results);
    // cut: seeds 1, 2, 11; recoveries 1 s and 3 s (the stalled run has none)
    expect(rowOf(table, 'cut')).toEqual(['cut', '3', '3000', '7', '0', '1', '1.0 s / 3.0 s', '1: 11']);
    expect(rowOf(table, 'kill')).toEqual(['kill', '1', '1000', '0', '0', '0', '3.0 s / 3.0 s', '0']);
    expect(rowOf(table, 'restart kafka')?.[1]).toBe('1');
    expect(rowOf(table, 'latency')).toBeUndefined();
    expect(rowOf(table, '**all runs**')).toEqual([
      '**all runs**',
      '4',
      '4000',
      '7',
      '0',
      '1',
      '3.0 s / 8.0 s',
      '1: 11',
    ]);
    const section = renderSection(results, {
      startedAt: new Date(0),
      minutes: 3,
      loads: [4, 9, 2],
      options: NEMESIS_PROFILES.long,
      sessions: 2,
    });
    expect(section).toContain('4 schedules');
    expect(section).toContain('2 sessions side by side');
    expect(section).toContain('load average median 4.0, max 9.0');
    expect(section).toContain('seeds 1…11');
    expect(section).toContain('check 5.0 s');
    expect(section).toContain('- seed **11** (');
  });
});
