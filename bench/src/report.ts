/**
 * The report of one `pnpm bench` run: machine facts, then one figure per line (`<name>: <digits> <unit>`, so runs
 * can be compared with grep and diff), ratios to the baselines of the same run, the goals of issue 9, and notes on
 * what was measured how. Pure formatting: the runs fill a {@link BenchReport}, this renders it.
 */
import { ratio } from './stats.js';

export interface MachineFacts {
  date: string;
  cores: number;
  cpuModel: string;
  memoryMiB: number;
  node: string;
  os: string;
  /** 1, 5 and 15 minute load averages when the run started and when it ended. */
  loadStart: readonly number[];
  loadEnd: readonly number[];
  commit: string;
  /** Source files of apps/ and packages/ that differ from the commit (the built apps may include them). */
  uncommitted: readonly string[];
}

export type Unit = 'events/s' | 'rows/s' | 'manifests/s' | 'commits/s' | 'ms' | 'MiB' | 'us' | '%';

export interface Goal {
  /** `min`: the figure should be at least `value`; `max`: at most. */
  kind: 'min' | 'max';
  value: number;
}

export interface Figure {
  /** Stable across runs: it is the key a comparison greps for. */
  name: string;
  value: number;
  unit: Unit;
  goal?: Goal;
  /** Group of the chart and table: append, baseline, latency, memory, upsert, committer. */
  group: string;
}

export interface Ratio {
  name: string;
  numerator: string;
  denominator: string;
  goal?: Goal;
}

export interface BenchReport {
  machine: MachineFacts;
  settings: Record<string, string | number>;
  figures: Figure[];
  ratios: Ratio[];
  notes: string[];
  durationMs: number;
}

/**
 * `12345 events/s`: plain digits, no separators, whole numbers; small rates of other units (a committer's
 * commits/s) keep one decimal, where rounding would lose the figure.
 */
export function formatValue(value: number, unit: Unit): string {
  if (!Number.isFinite(value)) return `n/a ${unit}`;
  const whole = unit === 'events/s' || unit === 'rows/s' || Math.abs(value) >= 100;
  return `${whole ? Math.round(value) : Math.round(value * 10) / 10} ${unit}`;
}

export function figureLine(f: Figure): string {
  return `${f.name}: ${formatValue(f.value, f.unit)}`;
}

function goalText(goal: Goal | undefined, unit: string): string {
  if (!goal) return '';
  return `${goal.kind === 'min' ? '≥' : '≤'} ${goal.value}${unit ? ` ${unit}` : ''}`;
}

/** Whether a value meets its goal: `met`, `not met`, or empty without a goal (or without a value). */
export function verdict(value: number | undefined, goal: Goal | undefined): string {
  if (!goal || value === undefined || !Number.isFinite(value)) return '';
  return (goal.kind === 'min' ? value >= goal.value : value <= goal.value) ? 'met' : 'not met';
}

function figureValue(report: BenchReport, name: string): number | undefined {
  return report.figures.find((f) => f.name === name)?.value;
}

export function ratioValue(report: BenchReport, r: Ratio): number | undefined {
  const a = figureValue(report, r.numerator);
  const b = figureValue(report, r.denominator);
  return a !== undefined && b !== undefined && b > 0 ? a / b : undefined;
}

/** A plain-text table with aligned columns (the terminal summary). */
export function textTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** The summary printed at the end of a run: every figure with its goal, then the ratios. */
export function summaryTable(report: BenchReport): string {
  const rows = report.figures.map((f) => [
    f.name,
    formatValue(f.value, f.unit),
    goalText(f.goal, f.unit),
    verdict(f.value, f.goal),
  ]);
  for (const r of report.ratios) {
    const v = ratioValue(report, r);
    rows.push([r.name, ratio(v, 1), goalText(r.goal, '×'), verdict(v, r.goal)]);
  }
  return textTable(['figure', 'value', 'goal', ''], rows);
}

function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const esc = (c: string) => c.replaceAll('|', '\\|');
  return [
    `| ${header.map(esc).join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`),
  ].join('\n');
}

export function renderMarkdown(report: BenchReport, chartFile: string | undefined): string {
  const m = report.machine;
  const load = (l: readonly number[]) => l.map((x) => x.toFixed(2)).join(' ');
  const out: string[] = [
    `# Delta Writer benchmark, ${m.date}`,
    '',
    'Written by `pnpm bench` (bench/README.md). One figure per line as `<name>: <digits> <unit>`; compare runs',
    'with `grep` or `diff`. Numbers are from one run on the machine below, shared with other work.',
    '',
    '## Machine',
    '',
    `- cores: ${m.cores}`,
    `- CPU: ${m.cpuModel}`,
    `- memory: ${m.memoryMiB} MiB`,
    `- Node: ${m.node}`,
    `- OS: ${m.os}`,
    `- load average (1/5/15 min): ${load(m.loadStart)} at start, ${load(m.loadEnd)} at end`,
    `- git commit: ${m.commit}`,
    `- uncommitted sources in apps/ and packages/ at run time: ${m.uncommitted.length === 0 ? 'none' : `${m.uncommitted.length} (${m.uncommitted.slice(0, 8).join(', ')}${m.uncommitted.length > 8 ? ', …' : ''})`}`,
    `- run took: ${Math.round(report.durationMs / 1000)} s`,
    '',
    '## Settings',
    '',
    ...Object.entries(report.settings).map(([k, v]) => `- ${k}: ${v}`),
    '',
    '## Figures',
    '',
    '```',
    ...report.figures.map(figureLine),
    '```',
    '',
    '## Ratios and goals',
    '',
    markdownTable(
      ['figure', 'value', 'goal', ''],
      [
        ...report.ratios.map((r) => {
          const v = ratioValue(report, r);
          return [r.name, ratio(v, 1), goalText(r.goal, '×'), verdict(v, r.goal)];
        }),
        ...report.figures
          .filter((f) => f.goal)
          .map((f) => [
            f.name,
            formatValue(f.value, f.unit),
            goalText(f.goal, f.unit),
            verdict(f.value, f.goal),
          ]),
      ],
    ),
    '',
  ];
  if (chartFile) out.push(`![figures](${chartFile})`, '');
  if (report.notes.length > 0) out.push('## Notes', '', ...report.notes.map((n) => `- ${n}`), '');
  return out.join('\n');
}

/** `<date>`, or `<date>-2`, `-3`, … when a report of that day is already there: a second run never overwrites one. */
export function reportName(date: string, taken: (name: string) => boolean): string {
  if (!taken(date)) return date;
  for (let n = 2; ; n++) if (!taken(`${date}-${n}`)) return `${date}-${n}`;
}
