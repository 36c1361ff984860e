import { type Consumer, Kafka, logLevel, Partitioners } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stackEnv, uniqueName } from '../../src/stack.js';

const kafka = new Kafka({
  clientId: 'stack-tests',
  brokers: stackEnv().kafkaBrokers,
  // kafkajs logs retriable broker answers (CONCURRENT_TRANSACTIONS, a missing topic) as errors; a real
  // failure still rejects the call under test
  logLevel: logLevel.NOTHING,
});
const admin = kafka.admin();
const createdTopics: string[] = [];

async function newTopic(partitions: number): Promise<string> {
  const topic = uniqueName('stack-tests');
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
  createdTopics.push(topic);
  return topic;
}

/** Runs a consumer until `done` says so, and returns what it saw; bounded so a broken stack fails, not hangs. */
async function consumeUntil(
  consumer: Consumer,
  topic: string,
  done: (values: string[]) => boolean,
): Promise<string[]> {
  const values: string[] = [];
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out; saw ${JSON.stringify(values)}`)), 60_000);
    void consumer.run({
      eachMessage: async ({ message }) => {
        values.push(message.value?.toString() ?? 'null');
        if (done(values)) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  await consumer.disconnect(); // commits the offsets consumed so far
  return values;
}

beforeAll(async () => {
  await admin.connect();
});

afterAll(async () => {
  await admin.deleteTopics({ topics: createdTopics }).catch(() => undefined);
  await admin.disconnect();
});

describe('Kafka (KRaft, single node)', () => {
  it('round-trips messages through a consumer group, which resumes from its committed offsets', async () => {
    const topic = await newTopic(2);
    const groupId = uniqueName('group');
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    const first = Array.from({ length: 10 }, (_, i) => `m${i}`);
    await producer.send({ topic, messages: first.map((value, i) => ({ key: `k${i}`, value })) });

    const seen = await consumeUntil(kafka.consumer({ groupId }), topic, (v) => v.length >= first.length);
    expect([...seen].sort()).toEqual([...first].sort());

    const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
    const total = committed[0]?.partitions.reduce((sum, p) => sum + Number(p.offset), 0);
    expect(total).toBe(first.length);

    // a new member of the same group starts where the group left off, not at the beginning
    const second = ['n0', 'n1', 'n2'];
    await producer.send({ topic, messages: second.map((value, i) => ({ key: `k${i}`, value })) });
    await producer.disconnect();
    const resumed = await consumeUntil(kafka.consumer({ groupId }), topic, (v) => v.length >= second.length);
    expect([...resumed].sort()).toEqual(second);
  });

  it('hides aborted transactions from read_committed consumers', async () => {
    const topic = await newTopic(1);
    const producer = kafka.producer({
      transactionalId: uniqueName('tx'),
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await producer.connect();
    const committed = await producer.transaction();
    await committed.send({ topic, messages: [{ value: 'committed-1' }, { value: 'committed-2' }] });
    await committed.commit();
    const aborted = await producer.transaction();
    await aborted.send({ topic, messages: [{ value: 'aborted' }] });
    await aborted.abort();
    const last = await producer.transaction();
    await last.send({ topic, messages: [{ value: 'end' }] });
    await last.commit();
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId: uniqueName('group'), readUncommitted: false });
    const seen = await consumeUntil(consumer, topic, (v) => v.includes('end'));
    expect(seen).toEqual(['committed-1', 'committed-2', 'end']);
  });

  it('does not create a topic on first use (auto.create.topics.enable=false)', async () => {
    const topic = uniqueName('missing');
    const producer = kafka.producer({
      allowAutoTopicCreation: true, // ask for it: the broker must still refuse
      retry: { retries: 1, initialRetryTime: 100 },
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await producer.connect();
    await expect(producer.send({ topic, messages: [{ value: 'x' }] })).rejects.toThrow();
    await producer.disconnect();
    expect(await admin.listTopics()).not.toContain(topic);
  });
});
