import {
  type CommitInput,
  type CommitOutcome,
  PartialUpdates,
  RefusalReason,
  refuse,
  WriteMode,
} from '@delta-writer/proto';
import { describe, expect, it } from 'vitest';
import type { ReadyBatch } from '../../src/pipeline/manifest.js';
import { sealedRecordsOf } from '../../src/pipeline/records.js';
import {
  MAX_OFFSETS_WITHOUT_ROWS_PER_REQUEST,
  TableQueue,
  type TableQueueDeps,
} from '../../src/pipeline/table-queue.js';
import type { Rejection, SealedBatch, Target } from '../../src/pipeline/types.js';

const route = { routingKey: 'db.c', tablePath: 'delta/db/c', tableUri: 's3://b/delta/db/c' };
const target: Target = { key: route.tableUri, kind: 'changelog', route };

function batch(partition: number, first: number, last: number, epoch = 1): SealedBatch {
  return {
    topic: 't',
    partition,
    route,
    epoch,
    range: { first: BigInt(first), last: BigInt(last) },
    records: sealedRecordsOf([
      { offset: BigInt(last), timestampMs: 0, key: null, value: Buffer.from('v'), headers: {}, bytes: 1 },
    ]),
    rejected: [],
    bytes: 1,
    sealedAt: 0,
    targets: [],
  };
}

function ready(b: SealedBatch, schema = 's1', files = 1): ReadyBatch {
  return {
    batch: b,
    target,
    range: b.range,
    deltaSchemaJson: files ? schema : '',
    files: Array.from({ length: files }, (_, i) => ({
      path: `p${b.partition}-${b.range.first}-${i}.parquet`,
      sizeBytes: 1,
      recordCount: 1,
      partitionValues: [],
      statsJson: '',
      modificationTimeMs: 0,
    })),
  };
}

function deferred<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

const ack = (): CommitOutcome => ({
  $case: 'ack',
  value: { tableVersion: 1, duplicate: false, committedOffsets: [] },
});

function harness(answers: ((req: CommitInput) => CommitOutcome | Promise<CommitOutcome>)[] = []) {
  const sent: CommitInput[] = [];
  const committed: ReadyBatch[][] = [];
  const dropped: SealedBatch[] = [];
  const deadLettered: Rejection[] = [];
  const stalled: (RefusalReason | undefined)[] = [];
  const stale = new Set<number>();
  const controller = new AbortController();
  const deps: TableQueueDeps = {
    context: { consumerGroup: 'g', ingestorId: 'i', partitionColumns: [], partialUpdates: 'skip' },
    maxFilesPerCommit: 10,
    send: async (req) => {
      sent.push(req);
      const answer = answers.shift();
      return answer ? answer(req) : ack();
    },
    isCurrent: (b) => !stale.has(b.partition),
    deadLetter: async (_batch, rs) => {
      deadLettered.push(...rs);
    },
    onCommitted: (group) => committed.push(group),
    onDropped: (b) => dropped.push(b),
    onOffsetConflict: async (group) => {
      for (const r of group) stale.add(r.batch.partition);
    },
    onStalled: (_route, refusal) => stalled.push(refusal?.reason),
    stallRetryMs: 1,
    signal: controller.signal,
  };
  return {
    deps,
    queue: new TableQueue(target, deps),
    sent,
    committed,
    dropped,
    deadLettered,
    stalled,
    stale,
    controller,
  };
}

describe('TableQueue', () => {
  it('commits in seal order, waiting for the head, and groups what is ready behind it', async () => {
    const h = harness();
    const first = deferred<ReadyBatch | undefined>();
    const b1 = batch(0, 0, 9);
    const b2 = batch(1, 0, 4);
    const b3 = batch(0, 10, 19);
    h.queue.push({ batch: b1, ready: first.promise });
    h.queue.push({ batch: b2, ready: Promise.resolve(ready(b2)) });
    h.queue.push({ batch: b3, ready: Promise.resolve(ready(b3)) });
    await new Promise((r) => setTimeout(r, 10));
    expect(h.sent).toHaveLength(0); // the head is not ready: nothing overtakes it
    first.resolve(ready(b1));
    await h.queue.idle();
    expect(h.sent).toHaveLength(1);
    const [request] = h.sent;
    expect(request?.files).toHaveLength(3);
    expect(request?.sourceRanges.map((r) => [r.partition, r.firstOffset, r.lastOffset])).toEqual([
      [0, 0, 19], // two batches of partition 0, merged
      [1, 0, 4],
    ]);
    expect(request?.deltaSchemaJson).toBe('s1');
    expect(h.committed[0]?.map((r) => r.batch)).toEqual([b1, b2, b3]);
  });

  it('does not mix schemas in one request', async () => {
    const h = harness();
    const [b1, b2, b3] = [batch(0, 0, 0), batch(0, 1, 1), batch(0, 2, 2)];
    h.queue.push({ batch: b1, ready: Promise.resolve(ready(b1, 's1')) });
    h.queue.push({ batch: b2, ready: Promise.resolve(ready(b2, 's2')) });
    h.queue.push({ batch: b3, ready: Promise.resolve(ready(b3, 's2', 0)) });
    await h.queue.idle();
    expect(h.sent.map((r) => [r.deltaSchemaJson, r.files.length])).toEqual([
      ['s1', 1],
      ['s2', 1],
    ]);
    expect(h.sent[1]?.sourceRanges[0]).toMatchObject({ firstOffset: 1, lastOffset: 2 });
  });

  it('splits a group whose offsets without rows would pass half the committer gap bound', async () => {
    const h = harness();
    // three batches of 300,000 offsets each, one row each (a mirror table of one hot key): 900,000 offsets
    // without rows in one request would near the committer's COMMITTER_MAX_OFFSET_GAP
    const bs = [batch(0, 0, 299_999), batch(0, 300_000, 599_999), batch(0, 600_000, 899_999)];
    for (const b of bs) h.queue.push({ batch: b, ready: Promise.resolve(ready(b)) });
    await h.queue.idle();
    expect(h.sent.map((r) => r.sourceRanges.map((x) => [x.firstOffset, x.lastOffset]))).toEqual([
      [[0, 299_999]],
      [[300_000, 599_999]],
      [[600_000, 899_999]],
    ]);
    expect(MAX_OFFSETS_WITHOUT_ROWS_PER_REQUEST).toBe(500_000n);
  });

  it('drops batches of revoked partitions and abandoned batches', async () => {
    const h = harness();
    h.stale.add(1);
    const [b1, b2, b3] = [batch(0, 0, 0), batch(1, 0, 0), batch(2, 0, 0)];
    h.queue.push({ batch: b1, ready: Promise.resolve(ready(b1)) });
    h.queue.push({ batch: b2, ready: Promise.resolve(ready(b2)) });
    h.queue.push({ batch: b3, ready: Promise.reject(new Error('aborted')) });
    await h.queue.idle();
    expect(h.dropped).toEqual([b2, b3]);
    expect(h.sent.flatMap((r) => r.sourceRanges.map((s) => s.partition))).toEqual([0]);
  });

  it('dead-letters the records of a schema refusal, then commits the ranges without files', async () => {
    const h = harness([
      () => ({ $case: 'refusal', value: refuse.schemaIncompatible('a: long vs string', []) }),
    ]);
    const b1 = batch(0, 0, 3);
    h.queue.push({ batch: b1, ready: Promise.resolve(ready(b1)) });
    await h.queue.idle();
    expect(h.deadLettered.map((r) => [r.record.offset, r.reason])).toEqual([[3n, 'schema_incompatible']]);
    expect(h.deadLettered[0]?.message).toContain('a: long vs string');
    expect(h.sent).toHaveLength(2);
    expect(h.sent[1]?.files).toEqual([]);
    expect(h.sent[1]?.sourceRanges[0]).toMatchObject({ firstOffset: 0, lastOffset: 3 });
    expect(h.committed).toHaveLength(1);
  });

  it('builds a refused group again against the current table schema before dead-lettering anything', async () => {
    const incompatible = (): CommitOutcome => ({
      $case: 'refusal',
      value: refuse.schemaIncompatible('v cannot store long in a double column', []),
    });
    const h = harness([incompatible, incompatible]);
    const conformed: ReadyBatch[][] = [];
    let tableSchema = 's-double';
    h.deps.conform = async (group) => {
      if (group.every((r) => r.builtAgainst === tableSchema)) return undefined;
      const again = group.map((r) => ({ ...ready(r.batch, tableSchema), builtAgainst: tableSchema }));
      conformed.push(again);
      return again;
    };
    const queue = new TableQueue(target, h.deps);
    const b1 = batch(0, 0, 3);
    queue.push({ batch: b1, ready: Promise.resolve({ ...ready(b1, 's-long'), builtAgainst: '' }) });
    await queue.idle();
    // refused once, built again against the table's schema, refused again: now the records really cannot go in
    expect(conformed).toHaveLength(1);
    expect(h.sent.map((r) => r.deltaSchemaJson)).toEqual(['s-long', 's-double', '']);
    expect(h.deadLettered.map((r) => r.record.offset)).toEqual([3n]);

    // the usual case: the second attempt is accepted and nothing is dead-lettered
    const h2 = harness([incompatible]);
    h2.deps.conform = h.deps.conform;
    tableSchema = 's2';
    const q2 = new TableQueue(target, h2.deps);
    const b2 = batch(1, 0, 5);
    q2.push({ batch: b2, ready: Promise.resolve({ ...ready(b2, 's-long'), builtAgainst: 's1' }) });
    await q2.idle();
    expect(h2.sent.map((r) => r.deltaSchemaJson)).toEqual(['s-long', 's2']);
    expect(h2.deadLettered).toEqual([]);
    expect(h2.committed.flat().map((r) => r.batch)).toEqual([b2]);
  });

  it('stalls instead of dead-lettering when the table schema cannot be read', async () => {
    const h = harness([() => ({ $case: 'refusal', value: refuse.schemaIncompatible('x', []) })]);
    let calls = 0;
    h.deps.conform = async () => {
      if (calls++ === 0) throw new Error('UNAVAILABLE');
      return undefined;
    };
    const queue = new TableQueue(target, h.deps);
    const b1 = batch(0, 0, 3);
    queue.push({ batch: b1, ready: Promise.resolve(ready(b1)) });
    await queue.idle();
    expect(h.stalled).toEqual([RefusalReason.SCHEMA_INCOMPATIBLE]);
    expect(h.deadLettered).toEqual([]); // the retry's answer was an ack
    expect(h.committed).toHaveLength(1);
  });

  it('hands offset conflicts to the owner and drops the reset batches', async () => {
    const h = harness([() => ({ $case: 'refusal', value: refuse.offsetOverlap('partly committed', []) })]);
    const [b1, b2] = [batch(0, 0, 3), batch(0, 4, 5)];
    h.queue.push({ batch: b1, ready: Promise.resolve(ready(b1)) });
    h.queue.push({ batch: b2, ready: Promise.resolve(ready(b2)) });
    await h.queue.idle();
    expect(h.sent).toHaveLength(1);
    expect(h.dropped).toEqual([b1, b2]);
    expect(h.committed).toHaveLength(0);
  });

  it('retries transport failures and stalls on refusals it cannot fix', async () => {
    let calls = 0;
    const h = harness([
      () => {
        calls++;
        throw new Error('UNAVAILABLE');
      },
      () => ({ $case: 'refusal', value: refuse.partitioningMismatch('table has other partition columns') }),
    ]);
    const b1 = batch(0, 0, 0);
    h.queue.push({ batch: b1, ready: Promise.resolve(ready(b1)) });
    await h.queue.idle();
    expect(calls).toBe(1);
    expect(h.stalled).toEqual([undefined, RefusalReason.PARTITIONING_MISMATCH]);
    expect(h.sent).toHaveLength(3);
    expect(h.committed).toHaveLength(1);
  });

  it('stops at a mirror batch that cannot be written safely, reporting it as MIRROR_UNSAFE, and never sends it', async () => {
    const h = harness();
    const b1 = batch(0, 0, 0);
    const b2 = batch(0, 1, 1);
    h.queue.push({
      batch: b1,
      ready: Promise.resolve({ ...ready(b1, 's1', 0), unsafe: 'cannot mirror key k: set capture.mode' }),
    });
    h.queue.push({ batch: b2, ready: Promise.resolve(ready(b2)) });
    await new Promise((r) => setTimeout(r, 30));
    expect(h.sent).toEqual([]);
    expect(h.stalled.length).toBeGreaterThan(1); // retried: an operator may have fixed the source meanwhile
    expect(new Set(h.stalled)).toEqual(new Set([RefusalReason.MIRROR_UNSAFE]));
    expect(h.queue.length).toBe(2);
    h.controller.abort();
  });

  it('sends the batches of a mirror table as upserts with the row block of each file', async () => {
    const h = harness();
    const mirror: Target = { ...target, kind: 'mirror' };
    const queue = new TableQueue(mirror, {
      ...h.deps,
      context: { ...h.deps.context, partialUpdates: 'apply' },
    });
    const b1 = batch(0, 0, 4);
    const rows = { path: 'p0-0-0.parquet', rows: { $case: 'arrowIpc' as const, value: Buffer.from([1, 2]) } };
    queue.push({ batch: b1, ready: Promise.resolve({ ...ready(b1), target: mirror, mirrorRows: [rows] }) });
    await queue.idle();
    expect(h.sent[0]).toMatchObject({
      writeMode: WriteMode.UPSERT,
      mirror: { formatVersion: 1, partialUpdates: PartialUpdates.APPLY, files: [rows] },
    });
  });

  it('stops on abort, keeping what is not committed', async () => {
    const h = harness([() => new Promise(() => undefined)]);
    const b1 = batch(0, 0, 0);
    h.queue.push({ batch: b1, ready: Promise.resolve(ready(b1)) });
    await new Promise((r) => setTimeout(r, 5));
    h.controller.abort();
    expect(h.queue.length).toBe(0); // in the request that hangs
    expect(h.committed).toHaveLength(0);
  });
});
