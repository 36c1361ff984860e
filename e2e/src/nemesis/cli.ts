/**
 * `pnpm --filter @delta-writer/e2e test:nemesis --runs=N --minutes=M`: bounded nemesis schedules on the private
 * fault stack, one fresh pipeline per seed, each run's figures appended as it ends, the table by fault kind printed
 * at the end (and with --record added to e2e/results/<date>.md). `--seed=S` re-runs one seed's schedule; the exit
 * code is 1 when any run failed. SIGTERM/SIGINT stop after the run in progress (a second one stops at once).
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { Readers } from '../checks/readers.js';
import { FaultStack } from '../harness/fault-stack.js';
import { s3Client } from '../harness/s3.js';
import { REGRESSIONS } from './regressions.js';
import {
  appendResult,
  nemesisLog,
  readResults,
  renderFailures,
  renderNemesisTable,
  saveSection,
} from './report.js';
import { NEMESIS_PROFILES, type NemesisOptions, runNemesis, scheduleOf } from './run.js';
import { describeSchedule } from './schedule.js';

const USAGE = `usage: test:nemesis [--runs=N] [--minutes=M] [--seed=S[,S…] | --first-seed=S | --regressions] [--profile=long|ci]
                    [--rate=EVENTS_PER_S] [--window=S] [--max-faults=K] [--record] [--keep-stack] [--dry-run]
  --runs        schedules to run (default 1; with --seed, the seeds given)
  --minutes     start no new schedule after M minutes
  --seed        exactly these seeds (a failing run prints its seed: this reproduces its schedule)
  --regressions the seeds of every defect found so far (src/nemesis/regressions.ts)
  --first-seed  seeds S, S+1, … (default: a random first seed, printed)
  --profile     defaults for rate, window and faults: long (${JSON.stringify(NEMESIS_PROFILES.long)}) or ci
  --record      append the table to e2e/results/<date>.md
  --keep-stack  leave the private fault stack running afterwards
  --dry-run     print the schedules only`;

function parse() {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string' },
      minutes: { type: 'string' },
      seed: { type: 'string' },
      regressions: { type: 'boolean', default: false },
      'first-seed': { type: 'string' },
      profile: { type: 'string', default: 'long' },
      rate: { type: 'string' },
      window: { type: 'string' },
      'max-faults': { type: 'string' },
      record: { type: 'boolean', default: false },
      'keep-stack': { type: 'boolean', default: false },
      'dry-run': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const whole = (name: string, text: string | undefined, min: number, max: number) => {
    if (text === undefined) return undefined;
    const n = Number(text);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new Error(`--${name}=${text}: want a whole number from ${min} to ${max}\n${USAGE}`);
    return n;
  };
  const profile = NEMESIS_PROFILES[values.profile as keyof typeof NEMESIS_PROFILES];
  if (!profile) throw new Error(`--profile=${values.profile}: want long or ci\n${USAGE}`);
  const options: NemesisOptions = {
    ...profile,
    ratePerSec: whole('rate', values.rate, 1, 20_000) ?? profile.ratePerSec,
    windowMs: (whole('window', values.window, 5, 600) ?? profile.windowMs / 1000) * 1000,
    maxFaults: whole('max-faults', values['max-faults'], 1, 12) ?? profile.maxFaults,
  };
  let seeds: number[];
  if (values.regressions) {
    seeds = REGRESSIONS.map((r) => r.seed);
  } else if (values.seed !== undefined) {
    seeds = values.seed.split(',').map((s) => whole('seed', s.trim(), 0, 2 ** 31 - 1) as number);
  } else {
    const runs = whole('runs', values.runs, 1, 100_000) ?? 1;
    const first =
      whole('first-seed', values['first-seed'], 0, 2 ** 31 - 1) ?? Math.floor(Math.random() * 2 ** 30);
    seeds = Array.from({ length: runs }, (_, i) => first + i);
  }
  const minutes = whole('minutes', values.minutes, 1, 100_000);
  return {
    options,
    seeds,
    minutes,
    record: values.record,
    keepStack: values['keep-stack'],
    dryRun: values['dry-run'],
  };
}

async function main(): Promise<number> {
  const args = parse();
  if (args.dryRun) {
    for (const seed of args.seeds)
      process.stdout.write(`${seed}: ${describeSchedule(scheduleOf(seed, args.options))}\n`);
    return 0;
  }
  let stop = false;
  const onSignal = (signal: string) => {
    if (stop) process.exit(130); // the exit hook of harness/process.ts kills the services
    stop = true;
    process.stderr.write(`nemesis: ${signal}: stopping after the run in progress (again to stop at once)\n`);
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));

  const started = new Date();
  const session = `${started.toISOString().replace(/[:.]/g, '-')}-${process.pid}`;
  const log = nemesisLog(session);
  process.stderr.write(
    `nemesis: ${args.seeds.length} schedule(s) from seed ${args.seeds[0]}, ${JSON.stringify(args.options)}; results in ${log}\n`,
  );
  const stack = new FaultStack();
  const endpoints = await stack.up('redis', 's3', 'kafka', 'toxiproxy');
  const loads: number[] = [];
  const sampler = setInterval(() => loads.push(loadavg()[0] ?? 0), 30_000);
  const world = {
    stack,
    endpoints,
    fault: stack.faultEndpoints(),
    readers: new Readers(endpoints),
    s3: s3Client(endpoints),
  };
  world.readers.startSpark();
  try {
    for (const [i, seed] of args.seeds.entries()) {
      if (stop) break;
      if (args.minutes !== undefined && Date.now() - started.getTime() > args.minutes * 60_000) {
        process.stderr.write(`nemesis: ${args.minutes} min are up after ${i} run(s)\n`);
        break;
      }
      const result = await runNemesis(world, seed, args.options);
      appendResult(log, result);
      if (result.problems.some((p) => /ReaderError|Spark/.test(p))) {
        // a Spark session that died would fail every later run: start a new one
        await world.readers.close().catch(() => undefined);
        world.readers = new Readers(endpoints);
        world.readers.startSpark();
      }
      process.stderr.write(
        `nemesis ${i + 1}/${args.seeds.length} seed ${seed}: ${result.failed ? 'FAILED' : 'ok'} — ${result.events} events, ${result.lost} lost, ${result.duplicated} duplicated, recovery ${result.recoveryMs === undefined ? '—' : `${(result.recoveryMs / 1000).toFixed(1)} s`}, ${(result.durationMs / 1000).toFixed(0)} s\n`,
      );
    }
  } finally {
    clearInterval(sampler);
    await world.readers.close().catch(() => undefined);
    if (!args.keepStack) await stack.stopAll().catch(() => undefined);
  }
  const results = readResults(log);
  const minutes = ((Date.now() - started.getTime()) / 60_000).toFixed(1);
  const sorted = [...loads].sort((a, b) => a - b);
  const load = sorted.length
    ? `load average median ${sorted[Math.floor(sorted.length / 2)]?.toFixed(1)}, max ${sorted.at(-1)?.toFixed(1)}`
    : `load average ${loadavg()[0]?.toFixed(1)}`;
  const section = [
    `## ${started.toISOString()} — nemesis: ${results.length} schedules (\`test:nemesis\`)`,
    '',
    `${minutes} min; ${load} (2 cores shared with the other engineers' branches); per run ${args.options.ratePerSec} events/s over a ${args.options.windowMs / 1000} s fault window with up to ${args.options.maxFaults} faults; seeds ${args.seeds[0]}…${args.seeds.at(-1)}. Recovery: from the heal (every link whole, every process and service up) until everything produced was committed. A run counts under each kind of fault it had. Lost: events with no row in the changelog after the drain; in a stalled run (not everything committed ${args.options.drainTimeoutMs / 60_000} min after the heal) they are still in Kafka, uncommitted — the pipeline stopped, it did not drop them.`,
    '',
    renderNemesisTable(results),
    '',
    renderFailures(results),
    '',
  ].join('\n');
  process.stdout.write(`\n${section}\n`);
  if (args.record)
    process.stdout.write(`saved to ${saveSection(started.toISOString().slice(0, 10), section)}\n`);
  return results.some((r) => r.failed) ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`nemesis: ${(err as Error).message}\n`);
    process.exit(2);
  },
);
