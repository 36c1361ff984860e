/**
 * The "Done when", with real committer processes (the entry point through tsx), real gRPC, the local
 * stack's Redis and S3 server: concurrent manifests, kill -9 of the leader mid-commit and failover, a leader killed
 * at arbitrary moments under load, and two processes that both lead at once. Every table is read back and must hold
 * each offset of every partition exactly once.
 */
import type { CommitAck, CommitterClient } from '@delta-writer/proto';
import { afterEach, describe, expect, it } from 'vitest';
import { commits, exactlyOnceProblems, offsetRows } from './support/check.js';
import { streamPartition, testClient } from './support/driver.js';
import {
  type CommitterProcess,
  FAULTY,
  fastLease,
  killAll,
  startCommitterProcess,
} from './support/processes.js';
import { stack, testBasePath } from './support/stack.js';

const base = testBasePath();
let n = 0;
const processes: CommitterProcess[] = [];
const clients: CommitterClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await killAll(processes.splice(0));
});

function newTable() {
  const tablePath = `${base}/t${++n}`;
  return { tablePath, tableUri: `s3://${stack().bucket}/${tablePath}` };
}

async function start(name: string, env: Record<string, string>, entry?: string) {
  const p = await startCommitterProcess(name, { DELTA_TABLE_BASE_PATH: base, ...env }, entry);
  processes.push(p);
  return p;
}

function client(...ps: CommitterProcess[]) {
  const c = testClient(ps.map((p) => p.address));
  clients.push(c);
  return c;
}

function streams(
  c: CommitterClient,
  table: ReturnType<typeof newTable>,
  partitions: number,
  manifests: number,
  onAck?: (ack: CommitAck) => void,
) {
  return Promise.all(
    Array.from({ length: partitions }, (_, partition) =>
      streamPartition({
        client: c,
        storage: stack().storage,
        ...table,
        partition,
        manifests,
        size: 5,
        ...(onAck ? { onAck } : {}),
      }),
    ),
  );
}

/** Counts acks; `reached(k)` resolves once k acks arrived. */
function ackCounter() {
  let count = 0;
  const waiting: { k: number; resolve: () => void }[] = [];
  return {
    onAck: () => {
      count++;
      for (const w of waiting.filter((x) => x.k <= count)) {
        waiting.splice(waiting.indexOf(w), 1);
        w.resolve();
      }
    },
    reached: (k: number) =>
      k <= count ? Promise.resolve() : new Promise<void>((resolve) => waiting.push({ k, resolve })),
  };
}

async function expectExactlyOnce(table: ReturnType<typeof newTable>, partitions: number, lastOffset: number) {
  const last = new Map(Array.from({ length: partitions }, (_, p) => [p, lastOffset] as [number, number]));
  expect(exactlyOnceProblems(await offsetRows(stack().storage, table.tablePath), last)).toEqual([]);
}

/** commitInfo.deltaWriter of every version. */
async function provenance(table: ReturnType<typeof newTable>) {
  return (await commits(stack().storage, table.tablePath)).map((actions) => {
    const info = actions.find((a) => 'commitInfo' in a);
    return (info && 'commitInfo' in info ? info.commitInfo.deltaWriter : undefined) as
      | { term: number; committer: string }
      | undefined;
  });
}

describe('committer processes on the local stack', { timeout: 180_000 }, () => {
  it('commits concurrent manifests for one table gap-free and duplicate-free, and acks re-sent ones as duplicates', async () => {
    const a = await start('a', fastLease());
    await a.waitFor('became leader');
    const table = newTable();
    const c = client(a);
    const acks = await streams(c, table, 6, 8);
    // versions only grow per partition, and group commit put several manifests into one version
    for (const perPartition of acks) {
      const versions = perPartition.map((x) => x.tableVersion);
      expect([...versions].sort((x, y) => x - y)).toEqual(versions);
    }
    const maxVersion = Math.max(...acks.flat().map((x) => x.tableVersion));
    expect(maxVersion + 1).toBeLessThan(6 * 8);
    // an ingestor that lost its Kafka offset commit re-sends an old range
    const { offsetsManifest } = await import('./support/data.js');
    const again = await c.commit(
      await offsetsManifest(stack().storage, table.tableUri, table.tablePath, 2, 10, 14),
    );
    expect(again).toMatchObject({ $case: 'ack', value: { duplicate: true } });
    await expectExactlyOnce(table, 6, 39);
  });

  it.each(['before-commit', 'after-commit'] as const)(
    'loses and duplicates nothing when the leader is killed -9 %s and the standby takes over',
    async (fault) => {
      const lease = fastLease();
      const a = await start('a', { ...lease, TEST_FAULT: fault, TEST_FAULT_AT: '4' }, FAULTY);
      await a.waitFor('became leader');
      const b = await start('b', lease);
      await b.waitFor('committer started');
      const table = newTable();
      const running = streams(client(a, b), table, 3, 6);
      const paused = await a.waitFor('test: paused');
      a.child.kill('SIGKILL');
      const acks = await running;
      await b.waitFor('became leader');
      await expectExactlyOnce(table, 3, 29);
      const who = await provenance(table);
      const killedAt = (paused.version as number | undefined) ?? -1;
      if (fault === 'after-commit') {
        // the version written by the killed leader is in the table, and its manifests were acked by b as duplicates
        expect(who[killedAt]?.committer).toMatch(/^a\//);
        expect(acks.flat().some((x: CommitAck) => x.duplicate)).toBe(true);
      }
      expect(who.at(-1)?.committer).toMatch(/^b\//);
      expect(who.at(-1)?.term).toBeGreaterThan(who[0]?.term ?? 0);
    },
  );

  it('survives the leader being killed -9 at arbitrary moments under load', async () => {
    const lease = fastLease();
    const a = await start('a', lease);
    await a.waitFor('became leader');
    const [b, c] = await Promise.all([start('b', lease), start('c', lease)]);
    await Promise.all([b.waitFor('committer started'), c.waitFor('committer started')]);
    const table = newTable();
    const acked = ackCounter();
    const running = streams(client(a, b, c), table, 4, 30, acked.onAck);
    await acked.reached(20); // kill -9 while manifests are in flight, wherever the leader happens to be
    a.child.kill('SIGKILL');
    const next = await Promise.race([b, c].map((p) => p.waitFor('became leader').then(() => p)));
    await acked.reached(60);
    next.child.kill('SIGKILL');
    const last = next === b ? c : b;
    await last.waitFor('became leader');
    await running;
    await expectExactlyOnce(table, 4, 149);
    const committers = new Set((await provenance(table)).map((p) => p?.committer.split('/')[0]));
    expect([...committers].sort()).toEqual(['a', 'b', 'c']);
  });

  it('never commits a range twice when two processes both believe they lead (broken lease)', async () => {
    // Different lease keys: each process holds "the" lease, so both commit to the same table at once.
    const a = await start('a', fastLease());
    const b = await start('b', fastLease());
    await Promise.all([a.waitFor('became leader'), b.waitFor('became leader')]);
    const table = newTable();
    const toA = client(a);
    const toB = client(b);
    const { offsetsManifest } = await import('./support/data.js');
    const partitions = 3;
    const size = 5;
    const rounds = 8;
    const results = await Promise.all(
      Array.from({ length: partitions }, async (_, partition) => {
        const out: { a: CommitAck; b: CommitAck }[] = [];
        for (let i = 0; i < rounds; i++) {
          const first = i * size;
          // The same range reaches both leaders (an ingestor retrying elsewhere), each time with its own files.
          const send = async (to: CommitterClient) => {
            const m = await offsetsManifest(
              stack().storage,
              table.tableUri,
              table.tablePath,
              partition,
              first,
              first + size - 1,
            );
            const o = await to.commit(m);
            if (o.$case !== 'ack') throw new Error(`refused: ${o.value.message}`);
            return o.value;
          };
          // The first two rounds give each leader the lead in turn, so that both are known to have written (left to
          // the race alone, one process once won all 18 races and the run proved nothing); the other six race.
          if (i === 0) {
            const ra = await send(toA);
            out.push({ a: ra, b: await send(toB) });
          } else if (i === 1) {
            const rb = await send(toB);
            out.push({ a: await send(toA), b: rb });
          } else {
            const [ra, rb] = await Promise.all([send(toA), send(toB)]);
            out.push({ a: ra, b: rb });
          }
        }
        return out;
      }),
    );
    for (const pair of results.flat()) {
      // exactly one of the two leaders added the files; the other acknowledged the range as already committed
      expect([pair.a.duplicate, pair.b.duplicate].sort()).toEqual([false, true]);
    }
    await expectExactlyOnce(table, partitions, rounds * size - 1);
    const committers = new Set((await provenance(table)).map((p) => p?.committer.split('/')[0]));
    expect([...committers].sort()).toEqual(['a', 'b']); // both really wrote to the table
  });
});
