import { pino } from 'pino';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createMetrics } from '../../src/ops/metrics.js';
import type { BuildRequest, FileBuilder } from '../../src/pipeline/builder.js';
import type { DeadLetterSink } from '../../src/pipeline/dead-letter.js';
import {
  type ConsumerControl,
  type FetchedBatch,
  Ingestor,
  type IngestorSettings,
} from '../../src/pipeline/ingestor.js';
import type { Rejection, TopicPartition } from '../../src/pipeline/types.js';
import { createRouter } from '../../src/routing.js';
import { FakeCommitter } from '../support/fake-committer.js';
import { createJsonBuilder } from '../support/json-builder.js';

const TOPIC = 'mongodb.shop.orders';
const TABLE = 's3://lake/delta/shop/orders';
const builders: FileBuilder[] = [];
afterAll(async () => {
  await Promise.all(builders.map((b) => b.close()));
});

function harness(overrides: Partial<IngestorSettings> = {}, builder?: FileBuilder) {
  const events: string[] = [];
  const paused = new Set<string>();
  const kafkaCommits: { topic: string; partition: number; offset: bigint }[] = [];
  const consumer: ConsumerControl = {
    pause: (tps) => {
      for (const tp of tps) {
        paused.add(`${tp.topic}:${tp.partition}`);
        events.push(`pause ${tp.partition}`);
      }
    },
    resume: (tps) => {
      for (const tp of tps) {
        paused.delete(`${tp.topic}:${tp.partition}`);
        events.push(`resume ${tp.partition}`);
      }
    },
    seek: (tp, offset) => events.push(`seek ${tp.partition} ${offset}`),
    commitOffsets: async (offsets) => {
      kafkaCommits.push(...offsets);
    },
  };
  const log = { low: 0n, high: 1000n };
  const committer = new FakeCommitter();
  const objects = new Map<string, Uint8Array>();
  const dlq: Rejection[] = [];
  const deadLetters: DeadLetterSink = {
    send: async (_source, rejections) => {
      events.push(`dlq ${rejections.length}`);
      dlq.push(...rejections);
    },
  };
  const b = builder ?? createJsonBuilder();
  builders.push(b);
  let clock = 1_000_000;
  const settings: IngestorSettings = {
    consumerGroup: 'g',
    ingestorId: 'test',
    fromBeginning: true,
    maxPollRecords: 100,
    flush: { maxBytes: 1 << 30, maxRows: 1000, maxAgeMs: 1000 },
    memoryBudgetBytes: 1 << 30,
    maxRecordBytes: 1000,
    partitionBy: [],
    compression: 'snappy',
    schemaCacheTtlMs: 60_000,
    stallRetryMs: 5,
    ...overrides,
  };
  const ingestor = new Ingestor({
    settings,
    route: createRouter({ bucket: 'lake', basePath: 'delta', routes: {} }),
    consumer,
    offsets: {
      kafkaCommitted: async () => new Map(),
      logRange: async () =>
        new Map([
          [0, log],
          [1, log],
        ]),
    },
    committer: {
      commit: (r) => committer.commit({ ...r, mirror: r.mirror, protocolVersion: 1 }),
      getTableState: (r) => committer.getTableState(r),
    },
    builder: b,
    uploader: { put: async (key, body) => void objects.set(key, body) },
    deadLetters,
    metrics: createMetrics(),
    logger: pino({ level: 'silent' }),
    now: () => clock,
  });
  const fetched = (partition: number, from: number, values: (string | null)[]): FetchedBatch => ({
    topic: TOPIC,
    partition,
    highWatermark: String(from + values.length),
    messages: values.map((v, i) => ({
      offset: String(from + i),
      timestamp: String(clock),
      key: Buffer.from(`k${from + i}`),
      value: v === null ? null : Buffer.from(v),
    })),
  });
  /** Waits until `n` commits reached the committer (the encoder workers take a moment to start). */
  const commits = (n: number) =>
    vi.waitFor(() => expect(committer.requests.length).toBeGreaterThanOrEqual(n), {
      timeout: 15_000,
      interval: 20,
    });
  const idle = () => new Promise((r) => setTimeout(r, 50));
  return {
    ingestor,
    committer,
    events,
    paused,
    kafkaCommits,
    objects,
    dlq,
    fetched,
    idle,
    commits,
    advance: (ms: number) => {
      clock += ms;
    },
    table: () => committer.tables.get(TABLE),
    assign: (...partitions: number[]) =>
      ingestor.onAssignment(
        'm1',
        partitions.map((partition): TopicPartition => ({ topic: TOPIC, partition })),
      ),
  };
}

const doc = (i: number) => JSON.stringify({ n: i, name: `item ${i}` });
const heartbeat = async () => undefined;

describe('Ingestor', () => {
  it('pauses new partitions until positioned from the table, then seeks past the committed offset', async () => {
    const h = harness();
    h.committer.setCommitted(TABLE, 'g', TOPIC, 0, 41);
    await h.assign(0, 1);
    expect(h.events.slice(0, 2)).toEqual(['pause 0', 'pause 1']);
    expect(h.events).toContain('seek 0 42'); // after the table's offset
    expect(h.events).toContain('seek 1 0'); // never committed: reset policy (earliest)
    expect(h.paused.size).toBe(0);
  });

  it('writes, commits, and only then commits Kafka offsets', async () => {
    const h = harness({ flush: { maxBytes: 1 << 30, maxRows: 3, maxAgeMs: 1000 } });
    await h.assign(0);
    await h.ingestor.handleBatch(h.fetched(0, 0, [doc(0), doc(1), doc(2), doc(3)]), heartbeat);
    await h.commits(1);
    await h.idle();
    const table = h.table();
    expect(table?.files).toHaveLength(1);
    expect(table?.files[0]?.recordCount).toBe(4);
    expect(table?.commits[0]?.sourceRanges[0]).toMatchObject({
      consumerGroup: 'g',
      topic: TOPIC,
      partition: 0,
      firstOffset: 0,
      lastOffset: 3,
    });
    expect(h.kafkaCommits).toEqual([{ topic: TOPIC, partition: 0, offset: 4n }]);
    const key = [...h.objects.keys()][0];
    expect(key).toMatch(/^delta\/shop\/orders\/part-00000-[0-9a-f-]{36}-c000\.snappy\.parquet$/);
    expect(table?.files[0]?.path).toBe(key?.replace('delta/shop/orders/', ''));
    expect(JSON.parse(table?.files[0]?.statsJson ?? '{}')).toMatchObject({
      numRecords: 4,
      minValues: { n: 0 },
      maxValues: { n: 3 },
    });
  });

  it("computes the files' statistics as the table's data-skipping properties say (from GetTableState)", async () => {
    const h = harness({ flush: { maxBytes: 1 << 30, maxRows: 2, maxAgeMs: 1000 } });
    h.committer.setCommitted(TABLE, 'g', TOPIC, 1, 0); // the table exists (another partition wrote to it)
    (h.table() as NonNullable<ReturnType<typeof h.table>>).statsConfiguration = {
      'delta.dataSkippingNumIndexedCols': '1',
    };
    await h.assign(0);
    await h.ingestor.handleBatch(h.fetched(0, 0, [doc(0), doc(1)]), heartbeat);
    await h.commits(1);
    expect(JSON.parse(h.table()?.files[0]?.statsJson ?? '{}')).toEqual({
      numRecords: 2,
      minValues: { n: 0 },
      maxValues: { n: 1 },
      nullCount: { n: 0 },
    });
  });

  it('dead-letters poison records before the commit, and the range still covers them', async () => {
    const h = harness({ flush: { maxBytes: 1 << 30, maxRows: 4, maxAgeMs: 1000 } });
    await h.assign(0);
    await h.ingestor.handleBatch(h.fetched(0, 0, [doc(0), '{not json', 'x'.repeat(2000), null]), heartbeat);
    await h.commits(1);
    await h.idle();
    expect(h.dlq.map((r) => [r.record.offset, r.reason])).toEqual([
      [2n, 'too_large'],
      [1n, 'invalid_json'],
    ]);
    expect(h.events.indexOf('dlq 2')).toBeGreaterThan(-1);
    const table = h.table();
    expect(table?.files[0]?.recordCount).toBe(1);
    expect(table?.commits[0]?.sourceRanges[0]).toMatchObject({ firstOffset: 0, lastOffset: 3 });
    expect(h.kafkaCommits.at(-1)?.offset).toBe(4n);
  });

  it('commits a range with no files when every record is dead-lettered', async () => {
    const h = harness({ flush: { maxBytes: 1 << 30, maxRows: 2, maxAgeMs: 1000 } });
    await h.assign(0);
    await h.ingestor.handleBatch(h.fetched(0, 0, ['bad', 'worse']), heartbeat);
    await h.commits(1);
    expect(h.table()?.commits[0]).toMatchObject({
      files: [],
      sourceRanges: [{ firstOffset: 0, lastOffset: 1 }],
    });
  });

  it('flushes by age on tick', async () => {
    const h = harness();
    await h.assign(0);
    await h.ingestor.handleBatch(h.fetched(0, 0, [doc(0)]), heartbeat);
    h.ingestor.tick();
    await h.idle();
    expect(h.table()).toBeUndefined();
    h.advance(1000);
    h.ingestor.tick();
    await h.commits(1);
    expect(h.table()?.files).toHaveLength(1);
  });

  it('flushes at the backlog size while the partition is behind, and waits for the age once caught up', async () => {
    const h = harness({ flush: { maxBytes: 1 << 30, maxRows: 1000, maxAgeMs: 1000, backlogBytes: 1 } });
    await h.assign(0);
    // a fetch of the first two records of ten: behind, so flushed at once — each record alone, since two would
    // exceed the backlog size (a backlog batch never grows past it, unless one record does)
    await h.ingestor.handleBatch({ ...h.fetched(0, 0, [doc(0), doc(1)]), highWatermark: '10' }, heartbeat);
    // two batches, two files; they may reach the committer in one request (a batch ready when the one ahead of it
    // is sent joins it — on a loaded machine they were, and a wait for two requests timed out in CI)
    await vi.waitFor(() => expect(h.table()?.files).toHaveLength(2), { timeout: 15_000, interval: 20 });
    expect(h.table()?.files.map((f) => f.recordCount)).toEqual([1, 1]);
    const ranges = h.table()?.commits.flatMap((c) => c.sourceRanges) ?? [];
    expect(ranges[0]).toMatchObject({ firstOffset: 0 });
    expect(ranges.at(-1)).toMatchObject({ lastOffset: 1 });
    // the last records: caught up, so they wait for the age like any live traffic
    await h.ingestor.handleBatch(h.fetched(0, 2, [doc(2), doc(3)]), heartbeat);
    await h.idle();
    expect(h.table()?.files).toHaveLength(2);
  });

  it('skips records delivered again after a retry', async () => {
    const h = harness({ flush: { maxBytes: 1 << 30, maxRows: 5, maxAgeMs: 1000 } });
    await h.assign(0);
    await h.ingestor.handleBatch(h.fetched(0, 0, [doc(0), doc(1), doc(2)]), heartbeat);
    await h.ingestor.handleBatch(h.fetched(0, 1, [doc(1), doc(2), doc(3), doc(4)]), heartbeat);
    await h.commits(1);
    expect(h.table()?.files[0]?.recordCount).toBe(5);
  });

  it('ignores batches fetched before its seek took effect', async () => {
    const h = harness({ flush: { maxBytes: 1 << 30, maxRows: 1, maxAgeMs: 1000 } });
    h.committer.setCommitted(TABLE, 'g', TOPIC, 0, 9);
    await h.assign(0);
    await h.ingestor.handleBatch(h.fetched(0, 500, [doc(500)]), heartbeat, () => true);
    await h.idle();
    expect(h.table()?.commits).toHaveLength(0);
  });

  it('drops the in-flight batches of a revoked partition and never commits its offsets', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const inner = createJsonBuilder();
    const slow: FileBuilder = {
      build: async (req: BuildRequest) => {
        await gate;
        return inner.build(req);
      },
      close: () => inner.close(),
    };
    const h = harness({ flush: { maxBytes: 1 << 30, maxRows: 1, maxAgeMs: 1000 } }, slow);
    await h.assign(0, 1);
    await h.ingestor.handleBatch(h.fetched(0, 0, [doc(0)]), heartbeat);
    await h.ingestor.handleBatch(h.fetched(1, 0, [doc(1)]), heartbeat);
    await h.ingestor.onAssignment('m1', [{ topic: TOPIC, partition: 1 }]); // partition 0 goes elsewhere
    release();
    await h.commits(1);
    await h.idle();
    const ranges = h.table()?.commits.flatMap((c) => c.sourceRanges.map((r) => r.partition));
    expect(ranges).toEqual([1]);
    expect(h.kafkaCommits.map((c) => c.partition)).toEqual([1]);
  });

  it('holds commits during a rebalance and drops those of partitions that moved away', async () => {
    const h = harness({ flush: { maxBytes: 1 << 30, maxRows: 1, maxAgeMs: 1000 } });
    await h.assign(0, 1);
    h.ingestor.onRebalancing();
    await h.ingestor.handleBatch(h.fetched(0, 0, [doc(0)]), heartbeat);
    await h.ingestor.handleBatch(h.fetched(1, 0, [doc(1)]), heartbeat);
    await new Promise((r) => setTimeout(r, 3000)); // files are built and uploaded, but nothing is sent
    expect(h.committer.requests).toHaveLength(0);
    await h.ingestor.onAssignment('m1', [{ topic: TOPIC, partition: 1 }]);
    await h.commits(1);
    await h.idle();
    expect(h.committer.requests.flatMap((r) => r.sourceRanges.map((s) => s.partition))).toEqual([1]);
  });

  it('re-positions a partition from the table when the committer refuses its offsets', async () => {
    const h = harness({ flush: { maxBytes: 1 << 30, maxRows: 2, maxAgeMs: 1000 } });
    await h.assign(0);
    h.committer.setCommitted(TABLE, 'g', TOPIC, 0, 5); // another ingestor got there first
    await h.ingestor.handleBatch(h.fetched(0, 0, [doc(0), doc(1)]), heartbeat);
    await h.commits(1);
    await vi.waitFor(() =>
      expect(h.events.filter((e) => e.startsWith('seek 0'))).toEqual(['seek 0 0', 'seek 0 6']),
    );
    await h.ingestor.handleBatch(h.fetched(0, 6, [doc(6), doc(7)]), heartbeat);
    await h.commits(2);
    expect(h.table()?.commits.at(-1)?.sourceRanges[0]).toMatchObject({ firstOffset: 6, lastOffset: 7 });
  });

  it('dead-letters a batch the table schema refuses and advances past it', async () => {
    const h = harness({ flush: { maxBytes: 1 << 30, maxRows: 2, maxAgeMs: 1000 } });
    h.committer.intercept = (req) =>
      req.files.length > 0 && req.deltaSchemaJson.includes('"name":"bad"')
        ? {
            $case: 'refusal',
            value: {
              reason: 5,
              message: 'bad: string vs long',
              leaderAddress: '',
              minProtocolVersion: 1,
              maxProtocolVersion: 1,
              committedOffsets: [],
              schemaConflicts: [],
              retryAfterMs: 0,
            },
          }
        : undefined;
    await h.assign(0);
    await h.ingestor.handleBatch(
      h.fetched(0, 0, [JSON.stringify({ bad: 'x' }), JSON.stringify({ bad: 'y' })]),
      heartbeat,
    );
    await h.commits(2);
    expect(h.dlq.map((r) => r.reason)).toEqual(['schema_incompatible', 'schema_incompatible']);
    expect(h.table()?.commits[0]).toMatchObject({
      files: [],
      sourceRanges: [{ firstOffset: 0, lastOffset: 1 }],
    });
  });

  it('pauses the partitions holding memory over budget and resumes them below it', async () => {
    const h = harness({
      memoryBudgetBytes: 500,
      flush: { maxBytes: 1 << 30, maxRows: 1000, maxAgeMs: 1000 },
    });
    await h.assign(0, 1);
    await h.ingestor.handleBatch(
      h.fetched(
        0,
        0,
        Array.from({ length: 10 }, (_, i) => doc(i)),
      ),
      heartbeat,
    );
    expect(h.paused.has(`${TOPIC}:0`)).toBe(true);
    expect(h.paused.has(`${TOPIC}:1`)).toBe(false); // holds nothing: keeps fetching
    await h.commits(1);
    await h.idle();
    h.ingestor.tick();
    expect(h.paused.size).toBe(0);
    expect(h.table()?.files).toHaveLength(1);
  });

  it('drains on shutdown: flushes every buffer and waits for the commits', async () => {
    const h = harness();
    await h.assign(0, 1);
    await h.ingestor.handleBatch(h.fetched(0, 0, [doc(0)]), heartbeat);
    await h.ingestor.handleBatch(h.fetched(1, 0, [doc(1), doc(2)]), heartbeat);
    expect(await h.ingestor.drain(5000)).toBe(true);
    expect(h.table()?.files.reduce((n, f) => n + f.recordCount, 0)).toBe(3);
    expect(h.kafkaCommits.map((c) => [c.partition, c.offset]).sort()).toEqual([
      [0, 1n],
      [1, 2n],
    ]);
    await h.ingestor.handleBatch(h.fetched(0, 1, [doc(9)]), heartbeat); // after drain: not taken
    expect(h.ingestor.memoryUsed.buffered).toBe(0);
  });
});
