/**
 * `pnpm --filter @delta-writer/e2e test:nemesis --runs=N --minutes=M`: bounded nemesis schedules on the private
 * fault stack, one fresh pipeline per seed, each run's figures appended as it ends, the table by fault kind printed
 * at the end (and with --record added to e2e/results/<date>.md). `--seed=S` re-runs one seed's schedule; the exit
 * code is 1 when any run failed. SIGTERM/SIGINT stop after the run in progress (a second one stops at once).
 * `--from-log=a.jsonl[,b.jsonl…]` makes the table from sessions' logs instead of running anything: a session that
 * was stopped, or several run side by side on their own stacks (`DW_E2E_STACK_DATA`, `DW_E2E_STACK_PORT_BASE`).
 */
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Readers } from '../checks/readers.js';
import { assertFreeSpace, HEADROOM_BYTES } from '../harness/disk.js';
import { FaultStack } from '../harness/fault-stack.js';
import { s3Client } from '../harness/s3.js';
import { REGRESSIONS } from './regressions.js';
import { appendResult, nemesisLog, readResults, renderSection, saveSection } from './report.js';
import { NEMESIS_PROFILES, type NemesisOptions, type NemesisResult, playNemesis, scheduleOf } from './run.js';
import { describeSchedule } from './schedule.js';

const USAGE = `usage: test:nemesis [--runs=N] [--minutes=M] [--seed=S[,S…] | --first-seed=S | --regressions] [--profile=long|ci]
                    [--rate=EVENTS_PER_S] [--window=S] [--max-faults=K] [--record] [--keep-stack] [--dry-run]
                    [--from-log=FILE[,FILE…]]
  --runs        schedules to run (default 1; with --seed, the seeds given)
  --minutes     start no new schedule after M minutes
  --seed        exactly these seeds (a failing run prints its seed: this reproduces its schedule)
  --regressions the seeds of every defect found so far (src/nemesis/regressions.ts)
  --first-seed  seeds S, S+1, … (default: a random first seed, printed)
  --profile     defaults for rate, window and faults: long (${JSON.stringify(NEMESIS_PROFILES.long)}) or ci
  --record      append the table to e2e/results/<date>.md
  --keep-stack  leave the private fault stack running afterwards
  --dry-run     print the schedules only
  --from-log    no runs: the table of these sessions' logs (.data/e2e/nemesis/*.jsonl, comma-separated)`;

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
      'from-log': { type: 'string' },
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
    fromLog: values['from-log']?.split(',').map((f) => resolve(f.trim())),
  };
}

async function main(): Promise<number> {
  const args = parse();
  if (args.dryRun) {
    for (const seed of args.seeds)
      process.stdout.write(`${seed}: ${describeSchedule(scheduleOf(seed, args.options))}\n`);
    return 0;
  }
  if (args.fromLog) {
    const results = args.fromLog.flatMap(readResults);
    if (results.length === 0) throw new Error(`no results in ${args.fromLog.join(', ')}`);
    const first = Math.min(...results.map((r) => r.startedAt ?? Date.now()));
    const last = Math.max(...results.map((r) => (r.startedAt ?? 0) + r.durationMs));
    return report(results, args, {
      startedAt: new Date(first),
      minutes: (last - first) / 60_000,
      loads: results.flatMap((r) => (r.load === undefined ? [] : [r.load])),
      sessions: args.fromLog.length,
    });
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
  let outOfSpace = false;
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
  // One run's check overlaps the next run's play (its tables no longer change), except before a run that
  // restarts Kafka, Redis or S3: the checks read those.
  let checking: Promise<void> = Promise.resolve();
  const check = async (n: number, finish: () => Promise<NemesisResult>) => {
    const result = await finish();
    appendResult(log, { ...result, load: loadavg()[0] });
    if (result.problems.some((p) => /ReaderError|Spark/.test(p))) {
      // a Spark session that died would fail every later run: start a new one
      await world.readers.close().catch(() => undefined);
      world.readers = new Readers(endpoints);
      world.readers.startSpark();
    }
    process.stderr.write(
      `nemesis ${n}/${args.seeds.length} seed ${result.seed}: ${result.failed ? 'FAILED' : 'ok'} — ${result.events} events, ${result.lost} lost, ${result.duplicated} duplicated, recovery ${result.recoveryMs === undefined ? '—' : `${(result.recoveryMs / 1000).toFixed(1)} s`}, ${(result.durationMs / 1000).toFixed(0)} s\n`,
    );
  };
  try {
    for (const [i, seed] of args.seeds.entries()) {
      if (stop) break;
      if (args.minutes !== undefined && Date.now() - started.getTime() > args.minutes * 60_000) {
        process.stderr.write(`nemesis: ${args.minutes} min are up after ${i} run(s)\n`);
        break;
      }
      // a run that hits ENOSPC would fail like a defect: stop the pass between runs instead
      try {
        assertFreeSpace(stack.data, HEADROOM_BYTES, `nemesis run ${i + 1} (seed ${seed})`);
      } catch (err) {
        process.stderr.write(`nemesis: ${(err as Error).message}; stopping after ${i} run(s)\n`);
        outOfSpace = true;
        break;
      }
      if (scheduleOf(seed, args.options).steps.some((s) => s.fault.kind === 'restart')) await checking;
      // every service up before each run: a run whose heal could not start one again (its port taken meanwhile
      // by a connection, see e2e/README.md) failed on its own and must not fail the runs after it
      for (let attempt = 1; ; attempt++) {
        try {
          await stack.up('redis', 's3', 'kafka', 'toxiproxy');
          break;
        } catch (err) {
          if (attempt >= 5) throw err;
          process.stderr.write(`nemesis: ${(err as Error).message.slice(0, 300)}; again in 20 s\n`);
          await new Promise((r) => setTimeout(r, 20_000));
        }
      }
      const finish = await playNemesis(world, seed, args.options);
      await checking;
      checking = check(i + 1, finish);
    }
    await checking;
  } finally {
    clearInterval(sampler);
    await world.readers.close().catch(() => undefined);
    if (!args.keepStack) await stack.stopAll().catch(() => undefined);
  }
  const code = report(readResults(log), args, {
    startedAt: started,
    minutes: (Date.now() - started.getTime()) / 60_000,
    loads,
    sessions: 1,
  });
  return outOfSpace ? Math.max(code, 1) : code;
}

/** Prints the section of these results (and with --record saves it); exit code 1 when a run failed. */
function report(
  results: ReturnType<typeof readResults>,
  args: ReturnType<typeof parse>,
  meta: Omit<Parameters<typeof renderSection>[1], 'options'>,
): number {
  const section = renderSection(results, { ...meta, options: args.options });
  process.stdout.write(`\n${section}\n`);
  if (args.record)
    process.stdout.write(`saved to ${saveSection(meta.startedAt.toISOString().slice(0, 10), section)}\n`);
  return results.some((r) => r.failed) ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`nemesis: ${(err as Error).message}\n`);
    process.exit(2);
  },
);
