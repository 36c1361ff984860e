/**
 * One nemesis run: a fresh pipeline (two committers, two ingestors writing a mirror table and its changelog per
 * topic) with every link behind the fault proxy, a producer at a steady rate, the schedule of the seed played over
 * the fault window, then everything healed and checked — each event exactly once in the changelog, each mirror equal
 * to the model, the Delta logs valid with every partition's txn at its last offset, delta-rs and Spark reading the
 * same rows, and every process alive that the nemesis did not kill. A failing run keeps its topics, tables and logs
 * (with the schedule and the verdict beside them) and names its seed.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Readers } from '../checks/readers.js';
import { problemsOf, summarize, type TableVerdict, verifyMongoTables } from '../checks/verify.js';
import { customers, orders } from '../generator/documents.js';
import { Random } from '../generator/random.js';
import { type CollectionPlan, Workload } from '../generator/workload.js';
import type { FaultEndpoints, FaultStack } from '../harness/fault-stack.js';
import { KafkaHelper } from '../harness/kafka.js';
import { Links } from '../harness/links.js';
import { MongoSource } from '../harness/mongo-source.js';
import { Pipeline, runName } from '../harness/pipeline.js';
import type { ManagedProcess } from '../harness/process.js';
import { deletePrefix } from '../harness/s3.js';
import type { Endpoints } from '../harness/services.js';
import { sleep } from '../harness/wait.js';
import { TableWatcher, waitForOffsets } from '../harness/watcher.js';
import { type NemesisContext, restartProcess, runFault } from './faults.js';
import { SteadyProducer } from './producer.js';
import {
  describeSchedule,
  describeStep,
  type FaultLabel,
  labelOf,
  makeSchedule,
  type Schedule,
  workloadSeed,
} from './schedule.js';

/** What every run shares: the private stack, its proxy, the readers (one Spark session for all runs). */
export interface NemesisWorld {
  stack: FaultStack;
  endpoints: Endpoints;
  fault: FaultEndpoints;
  readers: Readers;
  s3: S3Client;
}

export interface NemesisOptions {
  /** Change events per second while the faults run. */
  ratePerSec: number;
  windowMs: number;
  maxFaults: number;
  /** How long the pipeline may take to commit everything after the heal before the run fails as stuck. */
  drainTimeoutMs: number;
}

/**
 * `long`: the volume profile (test:nemesis); `ci`: the few seeds `./dw test` runs (test/nemesis), kept to a few
 * minutes in all.
 */
export const NEMESIS_PROFILES = {
  long: { ratePerSec: 200, windowMs: 25_000, maxFaults: 4, drainTimeoutMs: 240_000 },
  ci: { ratePerSec: 100, windowMs: 15_000, maxFaults: 3, drainTimeoutMs: 180_000 },
} as const satisfies Record<string, NemesisOptions>;

export interface NemesisResult {
  seed: number;
  run: string;
  labels: FaultLabel[];
  schedule: string;
  events: number;
  lost: number;
  deadLettered: number;
  duplicated: number;
  /** Heal → everything produced committed, in ms; undefined when it never was. */
  recoveryMs: number | undefined;
  /**
   * Not everything produced was committed within the drain timeout: the pipeline stalled, and the events counted
   * lost are missing from the tables but still in Kafka, uncommitted.
   */
  stalled: boolean;
  problems: string[];
  /** What the steps hit (the leader they resolved to, how many S3 answers were faulted, …). */
  hits: string[];
  logs: string;
  durationMs: number;
  /**
   * Where the run's time went, in ms: `start` (links, topics, pipeline up), `window` (steady state and the
   * faults), `heal`, `drain` (until everything produced was committed, or the timeout), `check` (the Delta logs and
   * both readers; `deltaRs` and `spark`: the time spent waiting on each, summed over tables), `stop` (the pipeline
   * stopped), `cleanup` (a passed run's topics and tables removed).
   */
  phases: Record<string, number>;
  /** When the run started (ms since the epoch). */
  startedAt: number;
  /** The machine's 1-minute load average when the run ended (set by the CLI). */
  load?: number;
  failed: boolean;
}

const INGESTORS = ['ingestor-1', 'ingestor-2'];
const COMMITTERS = ['committer-a', 'committer-b'];

/**
 * Two collections whose Debezium capture modes give mirror tables everything they need (full documents on
 * update), in two JSON dialects; three partitions each.
 */
export function nemesisCollections(): CollectionPlan[] {
  return [
    {
      db: 'shop',
      collection: 'customers',
      kind: customers,
      partitions: 3,
      dialect: {
        serialization: 'legacy',
        schemas: false,
        generation: '2.7',
        capture: 'change_streams_update_full',
      },
    },
    {
      db: 'shop',
      collection: 'orders',
      kind: orders,
      partitions: 3,
      dialect: {
        serialization: 'extended',
        schemas: true,
        generation: '2.7',
        capture: 'change_streams_update_full_with_pre_image',
      },
    },
  ];
}

export function scheduleOf(seed: number, o: NemesisOptions): Schedule {
  return makeSchedule(seed, { windowMs: o.windowMs, maxFaults: o.maxFaults, ingestors: INGESTORS.length });
}

export async function runNemesis(
  world: NemesisWorld,
  seed: number,
  o: NemesisOptions,
): Promise<NemesisResult> {
  return (await playNemesis(world, seed, o))();
}

/**
 * The run in two parts: this plays the schedule, heals, waits for everything to be committed and stops the
 * pipeline; the function it returns checks the tables and cleans up. The tables no longer change by then, so a
 * caller may check one run while the next one plays (the CLI does, unless the next one restarts a service the
 * checks read from).
 */
export async function playNemesis(
  world: NemesisWorld,
  seed: number,
  o: NemesisOptions,
): Promise<() => Promise<NemesisResult>> {
  const started = Date.now();
  const schedule = scheduleOf(seed, o);
  const run = runName(`nemesis-${seed}`);
  const pipeline = Pipeline.create(run, world.endpoints, { writeMode: 'both' });
  const workload = new Workload({
    prefix: run,
    collections: nemesisCollections(),
    seed: workloadSeed(seed),
    plannedEvents: Math.ceil((o.ratePerSec * (o.windowMs + 5_000)) / 1000),
  });
  const kafka = new KafkaHelper(world.endpoints.kafkaBrokers);
  const source = new MongoSource(kafka, workload, pipeline);
  const links = new Links(world.fault.toxiproxyUrl, world.fault.kafkaLinks, world.endpoints, pipeline);
  const producer = new SteadyProducer(source, o.ratePerSec);
  const problems: string[] = [];
  const hits: string[] = [];
  const expected = new Set<ManagedProcess>();
  const watched = new Set<ManagedProcess>();
  let stopping = false;
  const watchExits = () => {
    for (const p of [...pipeline.committers.values(), ...pipeline.ingestors.values()]) {
      if (watched.has(p)) continue;
      watched.add(p);
      void p.exited.then((exit) => {
        if (stopping || expected.has(p)) return;
        problems.push(`${p.name} exited on its own (code ${exit.code}, signal ${exit.signal}): ${p.tail(4)}`);
      });
    }
  };
  process.stderr.write(
    `nemesis seed ${seed}: ${describeSchedule(schedule)}\n  run ${run}, logs in ${pipeline.logs}\n`,
  );
  writeFileSync(join(pipeline.logs, 'schedule.json'), `${JSON.stringify(schedule, null, 2)}\n`);

  const watchers = new Map<string, TableWatcher>();
  let poller: NodeJS.Timeout | undefined;
  let recoveryMs: number | undefined;
  let stalled = false;
  let passed = false;
  let verdicts: TableVerdict[] = [];
  const phases: Record<string, number> = {};
  let phaseStart = Date.now();
  const phase = (name: string) => {
    const now = Date.now();
    phases[name] = now - phaseStart;
    phaseStart = now;
  };
  try {
    await links.wire(COMMITTERS, INGESTORS);
    await kafka.connect();
    await source.createTopics();
    await source.produce(workload.snapshot(10));
    await pipeline.start({ committers: COMMITTERS.length, ingestors: INGESTORS.length });
    watchExits();
    phase('start');
    for (const path of source.tablePaths()) {
      watchers.set(path, new TableWatcher(world.s3, world.endpoints.s3.bucket, path));
    }
    poller = setInterval(() => {
      for (const w of watchers.values()) w.poll().catch(() => undefined);
    }, 250);
    producer.start();
    await sleep(3_000); // steady state before the first fault

    const heal = new AbortController();
    const random = new Random(seed);
    const ctx: NemesisContext = {
      pipeline,
      links,
      stack: world.stack,
      random: () => random.next(),
      expectExit: (p) => expected.add(p),
    };
    const windowStart = Date.now();
    const steps = schedule.steps.map(async (step) => {
      await sleep(Math.max(0, windowStart + step.at - Date.now()));
      if (heal.signal.aborted) return;
      try {
        hits.push(`${describeStep(step)}: ${await runFault(ctx, step.fault, heal.signal)}`);
      } catch (err) {
        hits.push(`${describeStep(step)}: failed to apply (${(err as Error).message.slice(0, 200)})`);
      } finally {
        watchExits();
      }
    });
    await sleep(Math.max(0, windowStart + schedule.windowMs - Date.now()));

    // heal: every link whole, every process running, every service up
    phase('window');
    heal.abort();
    await producer.stop();
    await links.healAll();
    for (const p of [...pipeline.committers.values(), ...pipeline.ingestors.values()]) p.cont();
    await Promise.all(steps);
    await world.stack.up('redis', 's3', 'kafka', 'toxiproxy');
    for (const id of [...COMMITTERS, ...INGESTORS]) {
      const p = pipeline.committers.get(id) ?? pipeline.ingestors.get(id);
      if (!p?.running) await restartProcess(pipeline, id);
    }
    watchExits();
    const healedAt = Date.now();
    phase('heal');

    const done = await waitForOffsets(watchers, source.targets(), {
      timeoutMs: o.drainTimeoutMs,
      diagnose: () => pipeline.diagnose(),
    }).catch((err: Error) => {
      problems.push(
        `not everything was committed ${o.drainTimeoutMs / 1000} s after the heal: ${err.message}`,
      );
      stalled = true;
      return undefined;
    });
    // everything may have been in before the heal was over: that is a recovery of 0
    if (done !== undefined) recoveryMs = Math.max(0, reachedAll(watchers, source) - healedAt);
    phase('drain');
  } catch (err) {
    problems.push(`run failed: ${(err as Error).stack ?? String(err)}`);
  } finally {
    stopping = true;
    clearInterval(poller);
    await producer.stop().catch(() => undefined);
    await pipeline.stop().catch(() => pipeline.kill());
    await links.close();
    phase('stop');
  }
  const played = problems.length === 0;

  return async () => {
    phaseStart = Date.now();
    try {
      if (played) {
        const spent = { ...world.readers.spentMs };
        verdicts = await verifyMongoTables(source, world.readers, world.s3);
        problems.push(...problemsOf(verdicts));
        // of which waiting on each engine (summed over the tables read side by side)
        phases.deltaRs = world.readers.spentMs.deltaRs - spent.deltaRs;
        phases.spark = world.readers.spentMs.spark - spent.spark;
      }
    } catch (err) {
      problems.push(`check failed: ${(err as Error).stack ?? String(err)}`);
    }
    phase('check');
    passed = problems.length === 0;
    await kafka.close({ deleteTopics: passed }).catch(() => undefined);
    if (passed) await deletePrefix(world.s3, world.endpoints.s3.bucket, `${pipeline.config.basePath}/`);
    phase('cleanup');
    return finish();
  };

  function finish(): NemesisResult {
    const total = summarize(verdicts);
    const result: NemesisResult = {
      seed,
      run,
      labels: [...new Set(schedule.steps.map((s) => labelOf(s.fault)))],
      schedule: describeSchedule(schedule),
      events: total.events,
      lost: total.lost,
      deadLettered: total.deadLettered,
      duplicated: total.duplicated,
      recoveryMs,
      stalled,
      problems,
      hits,
      logs: pipeline.logs,
      // the phases' sum (deltaRs and spark are parts of check); the time between play and check is not counted
      durationMs:
        Object.values(phases).reduce((a, b) => a + b, 0) - (phases.deltaRs ?? 0) - (phases.spark ?? 0),
      phases,
      startedAt: started,
      failed: problems.length > 0,
    };
    writeFileSync(join(pipeline.logs, 'result.json'), `${JSON.stringify(result, null, 2)}\n`);
    if (result.failed) {
      process.stderr.write(
        `nemesis seed ${seed} FAILED (re-run: pnpm --filter @delta-writer/e2e test:nemesis --seed=${seed}); logs and tables kept: ${pipeline.logs}\n  ${problems.slice(0, 10).join('\n  ')}\n`,
      );
    }
    return result;
  }
}

/** When the watchers saw the last produced offset of every partition committed in every table. */
function reachedAll(watchers: Map<string, TableWatcher>, source: MongoSource): number {
  let latest = 0;
  for (const [path, want] of source.targets()) {
    for (const [appId, offset] of want) {
      latest = Math.max(latest, watchers.get(path)?.reachedAt(appId, offset) ?? Date.now());
    }
  }
  return latest;
}
