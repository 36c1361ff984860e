/**
 * The ingestor against the real Kafka and S3 of the local stack, with an in-process gRPC committer double (our own
 * protocol): several topics into their tables exactly once, poison records into the dead-letter topic, restarts that
 * lost their Kafka offset commits, and a rebalance between two ingestors.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DLQ_HEADERS } from '../../src/pipeline/dead-letter.js';
import { createHarness, duplicates, type Harness } from '../support/pipeline-harness.js';
import { listKeys, testKafka } from '../support/stack.js';

const isPoison = (i: number) => i % 37 === 5;
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

let h: Harness;
beforeAll(async () => {
  h = await createHarness({ orders: 3, users: 2 });
});
afterAll(async () => {
  await h?.close();
});

async function waitForAll(name: string, rows: number) {
  await vi.waitFor(() => expect(h.committedRows(name)).toBe(rows), { timeout: 90_000, interval: 250 });
}

async function expectExactlyOnce(name: string, expected: number) {
  const rows = await h.rowsInTable(name);
  expect(duplicates(rows)).toEqual([]);
  expect(rows).toHaveLength(expected);
}

// Real Kafka, S3 and child processes on a shared 2-core machine: waits inside the tests bound each step.
describe('ingestor on the local stack', { timeout: 300_000 }, () => {
  it('writes several topics into their tables exactly once and dead-letters poison records', async () => {
    await h.produce('orders', 0, 300, isPoison);
    await h.produce('users', 0, 150);
    const service = await h.startService();
    const poison = range(0, 300).filter(isPoison).length;
    await waitForAll('orders', 300 - poison);
    await waitForAll('users', 150);
    await expectExactlyOnce('orders', 300 - poison);
    await expectExactlyOnce('users', 150);

    // The table's offsets cover everything, dead-lettered records included.
    const end = await h.endOffsets('orders');
    await vi.waitFor(() => {
      for (const [p, high] of end) expect(h.tableOffsets('orders').get(p)).toBe(high - 1);
    });

    // Every committed file is in the bucket, under its table.
    const keys = await listKeys(h.s3, h.env.DW_S3_BUCKET, `${h.basePath}/shop/orders/`);
    const files = h.committer.tables.get(h.tableUri('orders'))?.files ?? [];
    for (const f of files) expect(keys).toContain(`${h.basePath}/shop/orders/${decodeURI(f.path)}`);

    // The dead-letter topic holds exactly the poison records, with their origin in the headers.
    const dlq = await readTopic(h.dlqTopic, poison);
    expect(dlq.map((m) => m.headers[DLQ_HEADERS.reason]).every((r) => r === 'invalid_json')).toBe(true);
    expect(dlq.every((m) => m.headers[DLQ_HEADERS.topic] === h.topics.orders)).toBe(true);
    expect(dlq.every((m) => m.value.startsWith('{"garbage": '))).toBe(true);

    // Kafka offsets are committed after the acks.
    await vi.waitFor(async () => {
      const [committed] = await h.admin.fetchOffsets({
        groupId: h.group,
        topics: [h.topics.orders as string],
      });
      for (const p of committed?.partitions ?? []) expect(Number(p.offset)).toBe(end.get(p.partition));
    });
    expect(await service.stop()).toBe(true);
  });

  it('resumes from the table after a restart that lost its Kafka offset commits', async () => {
    // As if the Kafka commits of the last run never happened.
    for (const name of ['orders', 'users'])
      await h.admin.resetOffsets({ groupId: h.group, topic: h.topics[name] as string, earliest: true });
    await h.produce('orders', 300, 400, isPoison);
    const service = await h.startService();
    const good = range(0, 400).filter((i) => !isPoison(i)).length;
    await waitForAll('orders', good);
    await expectExactlyOnce('orders', good);
    await expectExactlyOnce('users', 150);
    expect(await service.stop()).toBe(true);
  });

  it('loses and duplicates nothing while two ingestors rebalance', async () => {
    const a = await h.startService();
    let next = 400;
    const produceSome = async (n: number) => {
      await h.produce('orders', next, next + n, isPoison);
      await h.produce('users', next - 250, next - 250 + n);
      next += n;
    };
    await produceSome(100);
    const b = await h.startService(); // rebalance: partitions split between a and b
    await produceSome(100);
    // Both members own partitions and take records.
    await vi.waitFor(async () => expect(await consumed(b)).toBeGreaterThan(0), { timeout: 30_000 });
    const aBefore = await consumed(a);
    await produceSome(100);
    await vi.waitFor(async () => expect(await consumed(a)).toBeGreaterThan(aBefore), { timeout: 30_000 });
    expect(await a.stop()).toBe(true); // rebalance: b takes everything
    await produceSome(100);
    const good = range(0, next).filter((i) => !isPoison(i)).length;
    await waitForAll('orders', good);
    await waitForAll('users', next - 250);
    await expectExactlyOnce('orders', good);
    await expectExactlyOnce('users', next - 250);
    expect(await b.stop()).toBe(true);
  });
});

async function consumed(service: {
  metrics: { eventsConsumed: { get(): Promise<{ values: { value: number }[] }> } };
}) {
  return (await service.metrics.eventsConsumed.get()).values.reduce((n, v) => n + v.value, 0);
}

async function readTopic(topic: string, count: number) {
  const consumer = testKafka(h.env).consumer({ groupId: `${h.group}-dlq-reader` });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  const out: { value: string; headers: Record<string, string> }[] = [];
  await consumer.run({
    eachMessage: async ({ message }) => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
      out.push({ value: String(message.value), headers });
    },
  });
  await vi.waitFor(() => expect(out.length).toBeGreaterThanOrEqual(count), { timeout: 30_000 });
  await consumer.disconnect();
  expect(out).toHaveLength(count);
  return out;
}
