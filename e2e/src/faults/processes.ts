/**
 * Faults of the service processes, each a {@link Fault} for the loop: ingestors killed -9 at chosen points of their
 * work, a third ingestor joining and leaving, the committer leader killed -9 mid-commit, and two committers that
 * both lead. Points inside a request are hit exactly with the processes' S3 gates; the rest at random moments.
 */
import type { LogLine, ManagedProcess } from '../harness/process.js';
import { randomMs, sleep } from '../harness/wait.js';
import { txnAppId } from '../harness/watcher.js';
import type { Bench } from './bench.js';
import type { Fault, FaultOutcome } from './loop.js';

/** A Delta commit (not a checkpoint) and a data file, as they appear in the request line. */
export const DELTA_COMMIT_PUT = /^PUT \S*\/_delta_log\/\d{20}\.json(\?|$)/;
export const DATA_FILE_PUT = /^PUT \S*\/part-[^/]*\.parquet(\?|$)/;

const pick = <T>(bench: Bench, items: T[]): T => bench.random.pick(items);

/** Resolves with what `held` resolves to, or undefined after `ms` (the trap is then disarmed by the caller). */
async function within<T>(held: Promise<T>, ms: number): Promise<T | undefined> {
  return Promise.race([held, sleep(ms).then(() => undefined)]);
}

async function restartLater(
  bench: Bench,
  victim: ManagedProcess,
  kind: 'ingestor' | 'committer',
): Promise<void> {
  await sleep(randomMs(0, 3000, () => bench.random.next()));
  if (kind === 'ingestor') await bench.pipeline.startIngestor(victim.name);
  else await bench.pipeline.startCommitter(victim.name);
}

export type IngestorKillPoint =
  | 'mid-batch'
  | 'mid-upload'
  | 'after-upload-before-ack'
  | 'after-ack-before-offset-commit';
export const INGESTOR_KILL_POINTS: IngestorKillPoint[] = [
  'mid-batch',
  'mid-upload',
  'after-upload-before-ack',
  'after-ack-before-offset-commit',
];

/** kill -9 of an ingestor at one of the points of its cycle (in turn), then it comes back. */
export const killIngestor: Fault = async (bench, run) => {
  // in turn from a random first point: the short profile (one run) still hits each point over time
  const point = INGESTOR_KILL_POINTS[(run + bench.seed) % INGESTOR_KILL_POINTS.length] as IngestorKillPoint;
  const victim = pick(bench, bench.pipeline.running('ingestors'));
  let note: string = point;
  switch (point) {
    case 'mid-batch':
      break; // a random moment: records buffered, a flush in the encoder, or anything else
    case 'mid-upload': {
      const gate = bench.pipeline.gate(victim.name);
      const held = await within(gate.hold(DATA_FILE_PUT, 'request'), 20_000);
      if (!held) {
        gate.disarm();
        note += ' (no upload within 20 s: killed at a random moment)';
      }
      break;
    }
    case 'after-upload-before-ack': {
      // the leader's Delta commit is held: the victim's manifest is on the committer, not yet acknowledged
      const leader = await bench.pipeline.leader();
      const gate = bench.pipeline.gate(leader.name);
      const held = await within(gate.hold(DELTA_COMMIT_PUT, 'request'), 20_000);
      if (!held) gate.disarm();
      const exit = victim.kill();
      await exit;
      held?.release();
      note += held ? '' : ' (no commit within 20 s: killed at a random moment)';
      return restart(bench, victim, note);
    }
    case 'after-ack-before-offset-commit': {
      // the ingestor logs `committed` (debug) right before it commits the Kafka offsets: kill on that line
      const since = Date.now();
      await victim.waitFor(
        (l: LogLine) => l.msg === 'committed' && Date.parse(String(l.time)) >= since,
        30_000,
      );
      break;
    }
  }
  await victim.kill();
  if (point === 'after-ack-before-offset-commit') note += await kafkaBehindTable(bench);
  return restart(bench, victim, note);
};

async function restart(bench: Bench, victim: ManagedProcess, note: string): Promise<FaultOutcome> {
  const faultEnd = Date.now();
  await restartLater(bench, victim, 'ingestor');
  return { faultEnd, note };
}

/** Whether the kill landed before the Kafka offset commit: the group's offset is behind the table's for a partition. */
async function kafkaBehindTable(bench: Bench): Promise<string> {
  const { group } = bench.pipeline.config;
  for (const topic of bench.workload.topics) {
    const watcher = bench.watchers.get(bench.source.tablePath(topic));
    await watcher?.poll().catch(() => undefined);
    const kafkaOffsets = await bench.kafka.groupOffsets(group, topic);
    for (const [partition, next] of kafkaOffsets) {
      const table = watcher?.txns.get(txnAppId(group, topic, partition));
      if (table !== undefined && next <= table) return ' (Kafka offset behind the table: point hit)';
    }
  }
  return ' (Kafka offsets had caught up: the commit got out first)';
}

/** A third ingestor joins (two rebalances), works a while, and leaves — gracefully or by kill -9. */
export const thirdIngestor: Fault = async (bench) => {
  const third = await bench.pipeline.startIngestor('ingestor-3');
  await sleep(randomMs(2000, 6000, () => bench.random.next()));
  const graceful = bench.random.chance(0.5);
  if (graceful) await third.stop();
  else await third.kill();
  return { faultEnd: Date.now(), note: graceful ? 'left with SIGTERM' : 'left by kill -9' };
};

export type CommitterKillPoint = 'before-delta-write' | 'after-delta-write';

/** kill -9 of the leader while a Delta commit is held (before S3 got it, or after S3 wrote it); the standby takes over. */
export const killLeader: Fault = async (bench, run) => {
  const point: CommitterKillPoint = (run + bench.seed) % 2 === 0 ? 'before-delta-write' : 'after-delta-write';
  const leader = await bench.pipeline.leader();
  const gate = bench.pipeline.gate(leader.name);
  const held = await within(
    gate.hold(DELTA_COMMIT_PUT, point === 'before-delta-write' ? 'request' : 'response'),
    20_000,
  );
  if (!held) gate.disarm();
  await leader.kill();
  const faultEnd = Date.now();
  held?.release();
  const standby = bench.pipeline.running('committers')[0];
  const takeover = standby
    ? await standby.waitFor('became leader', 60_000).then(() => Date.now() - faultEnd)
    : undefined;
  await restartLater(bench, leader, 'committer');
  const where = held
    ? `${point} (${held.path.split('/_delta_log/')[1]?.slice(0, 20)})`
    : `${point} not hit: random moment`;
  return { faultEnd, note: `${where}, standby led after ${takeover ?? '?'} ms` };
};

/**
 * Two committers that both lead all the time (each has its own lease key: the lease is broken), each serving one
 * ingestor. Killing an ingestor moves its partitions to the other one, and so from one committer to the other,
 * while both keep committing to the same tables.
 */
export const splitBrain: Fault = async (bench) => {
  const victim = pick(bench, bench.pipeline.running('ingestors'));
  await victim.kill();
  const faultEnd = Date.now();
  await restartLater(bench, victim, 'ingestor');
  return { faultEnd, note: `both committers leading; ${victim.name} killed and restarted` };
};

/** Per-process settings for {@link splitBrain}: separate lease keys, one committer per ingestor. */
export async function configureSplitBrain(bench: Bench): Promise<void> {
  const { pipeline } = bench;
  await pipeline.reserveCommitters(['committer-a', 'committer-b']);
  const [a, b] = pipeline.committerAddresses();
  const key = pipeline.config.leaseKey;
  pipeline.processEnv.set('committer-a', { COMMITTER_LEASE_KEY: `${key}:a` });
  pipeline.processEnv.set('committer-b', { COMMITTER_LEASE_KEY: `${key}:b` });
  pipeline.processEnv.set('ingestor-1', { COMMITTER_ADDRESSES: a as string });
  pipeline.processEnv.set('ingestor-2', { COMMITTER_ADDRESSES: b as string });
}
