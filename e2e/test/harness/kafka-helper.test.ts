/**
 * The harness's producer against the stack's broker with its default limits: a backlog of several MiB produced in
 * one call (what the nemesis's steady producer sends after a broker restart) goes out in requests the broker
 * accepts, each record at the offset the helper reports. Found by the nemesis (seed 1014): requests of up to 4 MiB
 * were refused (message.max.bytes is 1 MiB) and the run died.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { KafkaHelper } from '../../src/harness/kafka.js';
import { runName } from '../../src/harness/pipeline.js';
import { endpointsOf } from '../../src/harness/s3.js';
import { stackEnv } from '../../src/stack.js';

const kafka = new KafkaHelper(endpointsOf(stackEnv()).kafkaBrokers);

afterAll(() => kafka.close());

describe('KafkaHelper.produce (nemesis seed 1014)', () => {
  it('sends a 6 MiB backlog of 5 KiB records in requests under the broker limit, offsets in order', async () => {
    await kafka.connect();
    const topic = `${runName('helper')}.backlog`;
    await kafka.createTopic(topic, 2);
    const records = Array.from({ length: 1_200 }, (_, i) => ({
      partition: i % 2,
      key: `k${i}`,
      value: `${i}:${'x'.repeat(5_000)}`,
    }));
    const offsets = await kafka.produce(topic, records);
    for (const p of [0, 1]) {
      const mine = offsets.filter((_, i) => i % 2 === p);
      expect(mine).toEqual(mine.map((_, j) => BigInt(j)));
    }
    const back = await kafka.readAll(topic);
    expect(back).toHaveLength(records.length);
    for (const r of back) {
      const i = Number(r.value?.toString().split(':')[0]);
      expect(r.partition).toBe(i % 2);
      expect(r.offset).toBe(offsets[i]);
    }
  });
});
