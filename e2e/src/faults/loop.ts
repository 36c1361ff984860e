/**
 * A fault scenario run in a loop: each run produces a stream of changes while the pipeline works, injects the fault
 * at a random moment, lets the stream finish, waits until every produced offset is committed, and checks every table
 * (Delta log, both readers, each event exactly once, replay = model). Figures per run: events, lost, duplicated,
 * and recovery — from the end of the fault until everything produced before it was committed.
 */

import { budget } from '../budget.js';
import { problemsOf, summarize, verifyMongoTables } from '../checks/verify.js';
import { randomMs, sleep } from '../harness/wait.js';
import type { OffsetTargets } from '../harness/watcher.js';
import { waitForOffsets } from '../harness/watcher.js';
import { recordRun, type ScenarioRun } from '../results/record.js';
import type { Bench } from './bench.js';

export interface FaultOutcome {
  /** When the fault was over: the process was dead, the service back. */
  faultEnd: number;
  note?: string;
}

export type Fault = (bench: Bench, run: number) => Promise<FaultOutcome>;

export interface LoopOptions {
  scenario: string;
  runs: number;
  eventsPerRun: number;
  /** How long each run's stream lasts (the fault lands somewhere in it). */
  streamMs?: number;
  session: string;
}

export interface LoopResult {
  runs: ScenarioRun[];
  problems: string[];
}

export async function faultLoop(bench: Bench, fault: Fault, o: LoopOptions): Promise<LoopResult> {
  const runs: ScenarioRun[] = [];
  const problems: string[] = [];
  const seen = new Set<string>(); // checks are cumulative: a problem is reported by the run that caused it
  let before = { events: 0, lost: 0, deadLettered: 0, duplicated: 0 };
  for (let run = 0; run < o.runs; run++) {
    const streaming = stream(bench, o.eventsPerRun, o.streamMs ?? budget.streamMs);
    await sleep(randomMs(500, (o.streamMs ?? budget.streamMs) * 0.6, () => bench.random.next()));
    const outcome = await fault(bench, run);
    const atFault = bench.source.targets();
    await streaming;
    await waitForOffsets(bench.watchers, bench.source.targets(), {
      timeoutMs: 300_000,
      diagnose: () => bench.pipeline.diagnose(),
    });
    const recoveredAt = reached(bench, atFault);
    const verdicts = await verifyMongoTables(bench.source, bench.readers, bench.s3);
    const total = summarize(verdicts);
    const result: ScenarioRun = {
      scenario: o.scenario,
      events: total.events - before.events,
      lost: total.lost - before.lost,
      deadLettered: total.deadLettered - before.deadLettered,
      duplicated: total.duplicated - before.duplicated,
      recoveryMs: recoveredAt === undefined ? undefined : Math.max(0, recoveredAt - outcome.faultEnd),
      note: [outcome.note, total.note].filter(Boolean).join('; ') || undefined,
    };
    const found = problemsOf(verdicts).filter((p) => !seen.has(p));
    for (const p of found) seen.add(p);
    result.failed = found.length > 0;
    problems.push(...found.map((p) => `run ${run + 1}: ${p}`));
    before = total;
    recordRun(o.session, result);
    runs.push(result);
  }
  return { runs, problems };
}

/** Produces `events` changes in rounds spread over about `ms`, as a live connector would. */
async function stream(bench: Bench, events: number, ms: number): Promise<void> {
  const rounds = 10;
  for (let i = 0; i < rounds; i++) {
    await bench.source.produce(bench.workload.step(Math.ceil(events / rounds)));
    await sleep(ms / rounds);
  }
}

/** When the watchers first saw every target offset committed. */
function reached(bench: Bench, targets: OffsetTargets): number | undefined {
  let latest = 0;
  for (const [path, want] of targets) {
    const w = bench.watchers.get(path);
    for (const [appId, offset] of want) {
      const at = w?.reachedAt(appId, offset);
      if (at === undefined) return undefined;
      latest = Math.max(latest, at);
    }
  }
  return latest;
}
