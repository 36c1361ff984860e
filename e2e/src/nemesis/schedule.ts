/**
 * The nemesis's schedules: from a seed, a few faults at random moments of a fault window, overlapping or not — links
 * made slow, narrow, reset, cut or one-way by the TCP proxy, S3 answering errors, late or never, processes killed -9 or
 * frozen, Kafka, Redis or S3 restarted. A pure function of its seed and options, so a failing run is reproduced by
 * its seed alone; what each step resolves to at run time (which committer leads) is the one thing left to the run.
 */
import { Random } from '../generator/random.js';
import { PEERS, type Peer } from '../harness/links.js';

/** A process, named the way a schedule can know it in advance. */
export type Target = { app: 'ingestor'; n: number } | { app: 'committer'; role: 'leader' | 'standby' };

export type Service = 'kafka' | 'redis' | 's3';

export type Fault =
  | { kind: 'latency'; target: Target; peer: Peer; latencyMs: number; jitterMs: number; forMs: number }
  | { kind: 'bandwidth'; target: Target; peer: Peer; rateKBps: number; forMs: number }
  /** Connections reset (RST) once `afterMs` passed after they carried data, new ones too. */
  | { kind: 'reset'; target: Target; peer: Peer; afterMs: number; forMs: number }
  /** Nothing passes either way and nothing is closed: a partition, each side waiting on its timeouts. */
  | { kind: 'cut'; target: Target; peer: Peer; forMs: number }
  /** Nothing passes in one direction: `upstream` requests lost, `downstream` answers (acks) lost. */
  | { kind: 'one-way'; target: Target; peer: Peer; stream: 'upstream' | 'downstream'; forMs: number }
  /** The link refuses connections (and drops the open ones): the peer looks down to this process only. */
  | { kind: 'refused'; target: Target; peer: Peer; forMs: number }
  /** S3 answers a share of requests with an error, before or after carrying them out; maybe only Delta commits. */
  | {
      kind: 's3-error';
      target: Target;
      status: 500 | 503;
      phase: 'before' | 'after';
      rate: number;
      commitsOnly: boolean;
      forMs: number;
    }
  /** S3 holds a share of its answers this long. */
  | { kind: 's3-slow'; target: Target; delayMs: number; rate: number; forMs: number }
  /** S3 carries out a share of the requests and never answers them; the connection stays open. */
  | { kind: 's3-hang'; target: Target; rate: number; forMs: number }
  | { kind: 'kill'; target: Target; restartAfterMs: number }
  /** SIGSTOP, then SIGCONT: a process frozen past its lease or session timeout. */
  | { kind: 'pause'; target: Target; forMs: number }
  /** A service stopped (SIGTERM) or crashed (SIGKILL), then started again. */
  | { kind: 'restart'; service: Service; crash: boolean; downMs: number };

export type FaultKind = Fault['kind'];

export interface Step {
  /** Milliseconds into the fault window. */
  at: number;
  fault: Fault;
}

export interface Schedule {
  seed: number;
  windowMs: number;
  steps: Step[];
}

export interface ScheduleOptions {
  /** How long faults may start for; every fault ends (or is healed) by the end of the window. */
  windowMs: number;
  /** At most this many faults; at least one. */
  maxFaults: number;
  /** Ingestors the run starts (`ingestor-1` …). */
  ingestors: number;
}

/** Labels the results table groups runs by (a run counts under each label of its faults). */
export const FAULT_LABELS = [
  'latency',
  'bandwidth',
  'reset',
  'cut',
  'one-way',
  'refused',
  's3-error',
  's3-slow',
  's3-hang',
  'kill',
  'pause',
  'restart kafka',
  'restart redis',
  'restart s3',
] as const;
export type FaultLabel = (typeof FAULT_LABELS)[number];

export const labelOf = (f: Fault): FaultLabel => (f.kind === 'restart' ? `restart ${f.service}` : f.kind);

const NETWORK = ['latency', 'bandwidth', 'reset', 'cut', 'one-way', 'refused'] as const;

/** The seed of the workload a schedule runs with: derived, so one number reproduces the whole run. */
export const workloadSeed = (seed: number) => (Math.imul(seed ^ 0x5bd1e995, 0x27d4eb2d) >>> 0) % 2 ** 31;

export function makeSchedule(seed: number, o: ScheduleOptions): Schedule {
  if (o.maxFaults < 1 || o.windowMs < 5_000 || o.ingestors < 1)
    throw new Error(`schedule options out of range: ${JSON.stringify(o)}`);
  const random = new Random(seed);
  // more faults are rarer: 1 with the highest chance, maxFaults with the lowest
  const weights = Array.from({ length: o.maxFaults }, (_, i) => o.maxFaults - i);
  let roll = random.next() * weights.reduce((a, b) => a + b, 0);
  let count = 1;
  for (const w of weights) {
    roll -= w;
    if (roll < 0) break;
    count++;
  }
  count = Math.min(count, o.maxFaults);
  const steps: Step[] = [];
  const restarting = new Set<Service>();
  for (let i = 0; i < count; i++) {
    const label = random.pick(FAULT_LABELS);
    if (label.startsWith('restart ')) {
      const service = label.slice('restart '.length) as Service;
      if (restarting.has(service)) continue; // one restart of a service per run: they would only overlap
      restarting.add(service);
    }
    const at = random.int(0, Math.floor(o.windowMs * 0.6));
    const room = o.windowMs - at; // a fault that would outlast the window is cut short by the heal
    steps.push({ at, fault: makeFault(label, random, o, room) });
  }
  steps.sort((a, b) => a.at - b.at);
  return { seed, windowMs: o.windowMs, steps };
}

function makeFault(label: FaultLabel, random: Random, o: ScheduleOptions, room: number): Fault {
  const forMs = () => Math.min(room, random.int(2_000, 15_000));
  const anyProcess = (): Target =>
    random.chance(0.5)
      ? { app: 'ingestor', n: random.int(1, o.ingestors) }
      : { app: 'committer', role: random.chance(0.75) ? 'leader' : 'standby' };
  if ((NETWORK as readonly string[]).includes(label)) {
    const target = anyProcess();
    const peer = random.pick(PEERS[target.app]);
    switch (label as (typeof NETWORK)[number]) {
      case 'latency': {
        const latencyMs = random.int(50, 2_000);
        return {
          kind: 'latency',
          target,
          peer,
          latencyMs,
          jitterMs: random.int(0, Math.min(500, latencyMs)),
          forMs: forMs(),
        };
      }
      case 'bandwidth':
        return { kind: 'bandwidth', target, peer, rateKBps: random.pick([8, 32, 128, 512]), forMs: forMs() };
      case 'reset':
        return { kind: 'reset', target, peer, afterMs: random.int(0, 2_000), forMs: forMs() };
      case 'cut':
        return { kind: 'cut', target, peer, forMs: forMs() };
      case 'one-way':
        return {
          kind: 'one-way',
          target,
          peer,
          stream: random.chance(0.5) ? 'upstream' : 'downstream',
          forMs: forMs(),
        };
      case 'refused':
        return { kind: 'refused', target, peer, forMs: forMs() };
    }
  }
  switch (label) {
    case 's3-error': {
      const target = anyProcess();
      return {
        kind: 's3-error',
        target,
        status: random.chance(0.5) ? 503 : 500,
        phase: random.chance(0.5) ? 'before' : 'after',
        rate: random.pick([0.2, 0.5, 1]),
        // only committers write Delta commits: the put-if-absent whose outcome the client may not learn
        commitsOnly: target.app === 'committer' && random.chance(0.4),
        forMs: forMs(),
      };
    }
    case 's3-slow':
      return {
        kind: 's3-slow',
        target: anyProcess(),
        delayMs: 10_000,
        rate: random.pick([0.2, 0.5, 1]),
        forMs: forMs(),
      };
    case 's3-hang':
      return { kind: 's3-hang', target: anyProcess(), rate: random.pick([0.1, 0.3, 1]), forMs: forMs() };
    case 'kill':
      return { kind: 'kill', target: anyProcess(), restartAfterMs: random.int(0, 5_000) };
    case 'pause':
      return { kind: 'pause', target: anyProcess(), forMs: forMs() };
    default: {
      const service = label.slice('restart '.length) as Service;
      return {
        kind: 'restart',
        service,
        crash: random.chance(0.5),
        downMs: random.int(1_000, service === 's3' ? 15_000 : 8_000),
      };
    }
  }
}

export function targetName(t: Target): string {
  return t.app === 'ingestor' ? `ingestor-${t.n}` : `the ${t.role}`;
}

const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** One line a person reads in a failure report: what, on whom, when, how long. */
export function describeStep({ at, fault: f }: Step): string {
  const when = `t+${s(at)}`;
  switch (f.kind) {
    case 'latency':
      return `${when} latency ${f.latencyMs}±${f.jitterMs} ms ${targetName(f.target)}→${f.peer} for ${s(f.forMs)}`;
    case 'bandwidth':
      return `${when} bandwidth ${f.rateKBps} KB/s ${targetName(f.target)}→${f.peer} for ${s(f.forMs)}`;
    case 'reset':
      return `${when} reset after ${f.afterMs} ms ${targetName(f.target)}→${f.peer} for ${s(f.forMs)}`;
    case 'cut':
      return `${when} cut ${targetName(f.target)}→${f.peer} for ${s(f.forMs)}`;
    case 'one-way':
      return `${when} ${f.stream === 'upstream' ? 'requests' : 'answers'} lost ${targetName(f.target)}→${f.peer} for ${s(f.forMs)}`;
    case 'refused':
      return `${when} refused ${targetName(f.target)}→${f.peer} for ${s(f.forMs)}`;
    case 's3-error':
      return `${when} S3 ${f.status} ${f.phase} ${Math.round(f.rate * 100)}% of ${f.commitsOnly ? 'Delta commits' : 'requests'} of ${targetName(f.target)} for ${s(f.forMs)}`;
    case 's3-slow':
      return `${when} S3 answers ${s(f.delayMs)} late, ${Math.round(f.rate * 100)}% of ${targetName(f.target)}'s, for ${s(f.forMs)}`;
    case 's3-hang':
      return `${when} S3 never answers ${Math.round(f.rate * 100)}% of ${targetName(f.target)}'s requests (done, connection left open), for ${s(f.forMs)}`;
    case 'kill':
      return `${when} kill -9 ${targetName(f.target)}, back after ${s(f.restartAfterMs)}`;
    case 'pause':
      return `${when} SIGSTOP ${targetName(f.target)} for ${s(f.forMs)}`;
    case 'restart':
      return `${when} ${f.crash ? 'kill -9' : 'stop'} ${f.service}, back after ${s(f.downMs)}`;
  }
}

export function describeSchedule(schedule: Schedule): string {
  return schedule.steps.map(describeStep).join('; ');
}
