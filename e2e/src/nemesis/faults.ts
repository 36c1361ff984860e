/**
 * Carries out one step of a schedule on a running pipeline: resolves its target (which committer leads now), sets
 * the fault, waits its time — or until the heal cuts it short — and undoes it. Network faults go to the process's
 * links (Toxiproxy), S3 answers to its S3 front, process faults to the process, service faults to the private
 * stack. What a step actually hit is returned as a note for the run's report.
 */
import { DELTA_COMMIT_PUT } from '../faults/processes.js';
import type { FaultStack } from '../harness/fault-stack.js';
import type { Links } from '../harness/links.js';
import type { Pipeline } from '../harness/pipeline.js';
import type { ManagedProcess } from '../harness/process.js';
import type { ToxicSpec } from '../harness/toxiproxy.js';
import type { Fault, Target } from './schedule.js';

export interface NemesisContext {
  pipeline: Pipeline;
  links: Links;
  stack: FaultStack;
  /** The S3 fronts' luck, seeded from the schedule. */
  random: () => number;
  /** A process the nemesis is about to kill: its exit is not a crash. */
  expectExit(process: ManagedProcess): void;
}

/** Resolves after `ms`, or at once when `signal` aborts (the heal). */
export function pauseFor(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted || ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}

/** The process id a target names now: for `leader`, the committer whose /readyz says so (or the first running). */
export async function resolve(pipeline: Pipeline, target: Target): Promise<string> {
  if (target.app === 'ingestor') return `ingestor-${target.n}`;
  const leader = await pipeline
    .leader(2_000)
    .then((p) => p.name)
    .catch(() => undefined);
  const ids = [...pipeline.committers.keys()];
  if (target.role === 'leader') return leader ?? ids[0] ?? 'committer-a';
  return ids.find((id) => id !== leader) ?? ids[1] ?? 'committer-b';
}

function processOf(pipeline: Pipeline, id: string): ManagedProcess | undefined {
  return pipeline.committers.get(id) ?? pipeline.ingestors.get(id);
}

/** Starts a killed process again (same id, same links and settings). */
export async function restartProcess(pipeline: Pipeline, id: string): Promise<ManagedProcess> {
  return id.startsWith('committer') ? pipeline.startCommitter(id) : pipeline.startIngestor(id);
}

/** Runs one fault to its end (or to the heal); returns what it hit. */
export async function runFault(ctx: NemesisContext, fault: Fault, heal: AbortSignal): Promise<string> {
  const { pipeline, links, stack } = ctx;
  if (fault.kind === 'restart') {
    if (fault.crash) await stack.crash(fault.service);
    else await stack.down(fault.service);
    await pauseFor(fault.downMs, heal);
    await stack.up(fault.service);
    return `${fault.service} ${fault.crash ? 'crashed' : 'stopped'}`;
  }
  const id = await resolve(pipeline, fault.target);
  switch (fault.kind) {
    case 'kill': {
      const victim = processOf(pipeline, id);
      if (!victim?.running) return `${id} was not running`;
      ctx.expectExit(victim);
      await victim.kill();
      await pauseFor(fault.restartAfterMs, heal);
      await restartProcess(pipeline, id);
      return `killed ${id}`;
    }
    case 'pause': {
      const victim = processOf(pipeline, id);
      if (!victim?.running) return `${id} was not running`;
      victim.freeze();
      await pauseFor(fault.forMs, heal);
      victim.cont();
      return `froze ${id}`;
    }
    case 's3-error':
    case 's3-slow':
    case 's3-hang': {
      const front = links.front(id);
      front.random = ctx.random;
      const before = { ...front.injected };
      // a later fault of the same kind on the same front replaces this one; its end is then not ours to undo
      if (fault.kind === 's3-error') {
        const mine = {
          status: fault.status,
          phase: fault.phase,
          rate: fault.rate,
          ...(fault.commitsOnly && { match: DELTA_COMMIT_PUT }),
        };
        front.faults.error = mine;
        await pauseFor(fault.forMs, heal);
        if (front.faults.error === mine) delete front.faults.error;
        return `${front.injected.errors - before.errors} S3 errors to ${id}`;
      }
      if (fault.kind === 's3-slow') {
        const mine = { delayMs: fault.delayMs, rate: fault.rate };
        front.faults.slow = mine;
        await pauseFor(fault.forMs, heal);
        if (front.faults.slow === mine) delete front.faults.slow;
        return `${front.injected.slow - before.slow} slow S3 answers to ${id}`;
      }
      const mine = { rate: fault.rate };
      front.faults.hang = mine;
      await pauseFor(fault.forMs, heal);
      if (front.faults.hang === mine) delete front.faults.hang;
      return `${front.injected.hung - before.hung} S3 requests of ${id} never answered`;
    }
    case 'refused': {
      await links.setDown(id, fault.peer, true);
      await pauseFor(fault.forMs, heal);
      await links.setDown(id, fault.peer, false);
      return `${id}→${fault.peer} refused`;
    }
    default: {
      const [spec, streams] = toxicOf(fault);
      const remove = await links.add(id, fault.peer, spec, streams);
      await pauseFor(fault.forMs, heal);
      await remove();
      return `${fault.kind} on ${id}→${fault.peer}`;
    }
  }
}

type LinkFault = Extract<Fault, { kind: 'latency' | 'bandwidth' | 'reset' | 'cut' | 'one-way' }>;

function toxicOf(f: LinkFault): [ToxicSpec, ('upstream' | 'downstream')[]] {
  const both: ('upstream' | 'downstream')[] = ['upstream', 'downstream'];
  switch (f.kind) {
    case 'latency':
      return [{ type: 'latency', attributes: { latency: f.latencyMs, jitter: f.jitterMs } }, both];
    case 'bandwidth':
      return [{ type: 'bandwidth', attributes: { rate: f.rateKBps } }, both];
    case 'reset':
      return [{ type: 'reset_peer', attributes: { timeout: f.afterMs } }, both];
    case 'cut':
      // timeout 0: data dropped, connections never closed, until the toxic is removed
      return [{ type: 'timeout', attributes: { timeout: 0 } }, both];
    case 'one-way':
      return [{ type: 'timeout', attributes: { timeout: 0 } }, [f.stream]];
  }
}
