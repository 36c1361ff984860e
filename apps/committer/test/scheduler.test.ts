import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { batchSize, nextBatch } from '../src/schedule/batching.js';
import { GroupCommitScheduler, QueueFullError, SchedulerClosedError } from '../src/schedule/scheduler.js';

const limits = { maxWaitMs: 100, maxManifests: 3, maxFiles: 10 };
const q = (...files: number[]) => files.map((f, i) => ({ enqueuedAt: i, files: f }));

describe('nextBatch (pure)', () => {
  it('waits for more until the oldest manifest has waited maxWait', () => {
    expect(nextBatch(q(1), limits, 50)).toEqual({ waitUntil: 100 });
    expect(nextBatch(q(1), limits, 100)).toEqual({ take: 1 });
    expect(nextBatch([], limits, 0)).toEqual({ idle: true });
  });

  it('cuts a full batch at once, by manifests or by files', () => {
    expect(nextBatch(q(1, 1, 1, 1), limits, 0)).toEqual({ take: 3 });
    expect(nextBatch(q(6, 5), limits, 0)).toEqual({ take: 1 });
    expect(nextBatch(q(20), limits, 0)).toEqual({ waitUntil: 100 });
    expect(nextBatch(q(20, 1), limits, 0)).toEqual({ take: 1 });
  });

  it('flushes regardless of the wait', () => {
    expect(nextBatch(q(1), limits, 0, true)).toEqual({ take: 1 });
  });

  it('never exceeds the limits except for a single oversized manifest, and always takes one', () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat({ max: 30 }), { minLength: 1, maxLength: 20 }),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 40 }),
        (files, maxManifests, maxFiles) => {
          const n = batchSize(q(...files), { maxWaitMs: 0, maxManifests, maxFiles });
          const taken = files.slice(0, n);
          expect(n).toBeGreaterThanOrEqual(1);
          expect(n).toBeLessThanOrEqual(maxManifests);
          if (n > 1) expect(taken.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(maxFiles);
          // Greedy: the next manifest would not have fitted.
          if (n < files.length && n < maxManifests) {
            expect(taken.reduce((a, b) => a + b, 0) + (files[n] as number)).toBeGreaterThan(maxFiles);
          }
        },
      ),
    );
  });
});

interface Item {
  readonly table: string;
  readonly seq: number;
  readonly files: number;
}

function harness(options: {
  maxConcurrentTables: number;
  maxWaitMs?: number;
  maxManifests?: number;
  maxQueued?: number;
}) {
  const batches: { table: string; items: Item[] }[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const inFlightTables = new Set<string>();
  let overlapPerTable = false;
  const scheduler = new GroupCommitScheduler<Item, string>({
    maxWaitMs: options.maxWaitMs ?? 0,
    maxManifests: options.maxManifests ?? 4,
    maxFiles: 10,
    maxConcurrentTables: options.maxConcurrentTables,
    maxQueued: options.maxQueued ?? 10_000,
    filesOf: (i) => i.files,
    async process(table, items) {
      if (inFlightTables.has(table)) overlapPerTable = true;
      inFlightTables.add(table);
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      batches.push({ table, items: [...items] });
      for (let i = 0; i < (items[0]?.seq ?? 0) % 3; i++) await new Promise((r) => setImmediate(r));
      inFlight--;
      inFlightTables.delete(table);
      if (items.some((i) => i.files === 99)) throw new Error('commit failed');
      return items.map((i) => `${i.table}#${i.seq}`);
    },
  });
  return { scheduler, batches, stats: () => ({ maxInFlight, overlapPerTable }) };
}

describe('GroupCommitScheduler', () => {
  it('groups manifests of one table that arrive together into one batch', async () => {
    const { scheduler, batches } = harness({ maxConcurrentTables: 2, maxWaitMs: 20 });
    const results = await Promise.all(
      [0, 1, 2].map((seq) => scheduler.submit('a', { table: 'a', seq, files: 1 })),
    );
    expect(results).toEqual(['a#0', 'a#1', 'a#2']);
    expect(batches.map((b) => b.items.map((i) => i.seq))).toEqual([[0, 1, 2]]);
  });

  it('fails every manifest of a failed batch and goes on with the next', async () => {
    const { scheduler } = harness({ maxConcurrentTables: 1, maxManifests: 1 });
    const bad = scheduler.submit('a', { table: 'a', seq: 0, files: 99 });
    const good = scheduler.submit('a', { table: 'a', seq: 1, files: 1 });
    await expect(bad).rejects.toThrow('commit failed');
    await expect(good).resolves.toBe('a#1');
  });

  it('refuses when the queue is full, and after close(); close() commits what is queued', async () => {
    const { scheduler, batches } = harness({ maxConcurrentTables: 1, maxWaitMs: 60_000, maxQueued: 2 });
    const queued = [0, 1].map((seq) => scheduler.submit('a', { table: 'a', seq, files: 1 }));
    await expect(scheduler.submit('a', { table: 'a', seq: 2, files: 1 })).rejects.toBeInstanceOf(
      QueueFullError,
    );
    await scheduler.close();
    await expect(Promise.all(queued)).resolves.toEqual(['a#0', 'a#1']);
    expect(batches).toHaveLength(1);
    await expect(scheduler.submit('a', { table: 'a', seq: 3, files: 1 })).rejects.toBeInstanceOf(
      SchedulerClosedError,
    );
  });

  it('rejects queued manifests on rejectQueued() without touching the batch in flight', async () => {
    let open: () => void = () => {};
    const gate = new Promise<void>((r) => {
      open = r;
    });
    const scheduler = new GroupCommitScheduler<number, number>({
      maxWaitMs: 0,
      maxManifests: 1,
      maxFiles: 10,
      maxConcurrentTables: 1,
      maxQueued: 10,
      filesOf: () => 1,
      process: async (_, items) => {
        await gate;
        return items;
      },
    });
    const inFlight = scheduler.submit('a', 0);
    const waiting = scheduler.submit('a', 1);
    await new Promise((r) => setImmediate(r));
    scheduler.rejectQueued(new Error('leadership lost'));
    open();
    await expect(waiting).rejects.toThrow('leadership lost');
    await expect(inFlight).resolves.toBe(0);
    await scheduler.idle();
    expect(scheduler.depth).toBe(0);
  });

  it('property: every manifest answered once, per-table order kept, limits and concurrency respected', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            table: fc.constantFrom('a', 'b', 'c', 'd'),
            files: fc.integer({ min: 0, max: 12 }),
            pause: fc.boolean(),
          }),
          {
            maxLength: 40,
          },
        ),
        fc.integer({ min: 1, max: 3 }),
        async (steps, maxConcurrentTables) => {
          const { scheduler, batches, stats } = harness({ maxConcurrentTables });
          const submitted: Item[] = [];
          const answers: Promise<string>[] = [];
          for (const [seq, s] of steps.entries()) {
            const item = { table: s.table, seq, files: s.files };
            submitted.push(item);
            answers.push(scheduler.submit(s.table, item));
            if (s.pause) await new Promise((r) => setImmediate(r));
          }
          expect(await Promise.all(answers)).toEqual(submitted.map((i) => `${i.table}#${i.seq}`));
          await scheduler.idle();
          for (const table of ['a', 'b', 'c', 'd']) {
            const committed = batches
              .filter((b) => b.table === table)
              .flatMap((b) => b.items.map((i) => i.seq));
            expect(committed).toEqual(submitted.filter((i) => i.table === table).map((i) => i.seq));
          }
          for (const b of batches) {
            expect(b.items.length).toBeLessThanOrEqual(4);
            if (b.items.length > 1) expect(b.items.reduce((n, i) => n + i.files, 0)).toBeLessThanOrEqual(10);
          }
          expect(stats().maxInFlight).toBeLessThanOrEqual(maxConcurrentTables);
          expect(stats().overlapPerTable).toBe(false);
        },
      ),
      { numRuns: 60 },
    );
  });
});
