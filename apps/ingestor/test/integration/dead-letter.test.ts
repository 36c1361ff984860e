/**
 * A dead-letter topic that cannot be written (here: its max.message.bytes is smaller than any dead letter) no longer
 * stalls a partition forever and silently: after KAFKA_DLQ_MAX_ATTEMPTS the partition stops — paused, nothing of it
 * committed, `dw_ingestor_partitions_stopped` and `dw_ingestor_dead_letter_failures_total` set, an error logged — and
 * once the topic is fixed a restart writes every record exactly once (the poison ones to the dead-letter topic).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createHarness, duplicates, type Harness } from '../support/pipeline-harness.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness({ orders: 1 });
  // The harness's dead-letter topic, made before any ingestor starts: too small for any record
  await h.admin.createTopics({
    topics: [{ topic: h.dlqTopic, configEntries: [{ name: 'max.message.bytes', value: '64' }] }],
    waitForLeaders: true,
  });
});
afterAll(async () => {
  await h?.close();
});

const isPoison = (i: number) => i === 7;

describe('dead-letter writes that keep failing', { timeout: 300_000 }, () => {
  it('stop the partition with a metric instead of stalling it, and lose nothing', async () => {
    await h.produce('orders', 0, 20, isPoison);
    const base = h.config();
    const service = await h.startService({ kafka: { ...base.kafka, dlqMaxAttempts: 2 } });
    await vi.waitFor(
      async () => {
        const metrics = await service.metrics.registry.metrics();
        expect(metrics).toMatch(/^dw_ingestor_partitions_stopped 1$/m);
        expect(metrics).toMatch(/^dw_ingestor_dead_letter_failures_total [1-9]/m);
      },
      { timeout: 120_000, interval: 500 },
    );
    // the batch holding the poison record was not committed: the table has none of its offsets
    expect(h.tableOffsets('orders').get(0) ?? -1).toBeLessThan(7);
    expect(await service.stop()).toBe(true);

    // the operator fixes the topic; a restart resumes the partition from its table
    await h.admin.alterConfigs({
      validateOnly: false,
      resources: [
        { type: 2, name: h.dlqTopic, configEntries: [{ name: 'max.message.bytes', value: '1048588' }] },
      ],
    });
    const again = await h.startService();
    await vi.waitFor(() => expect(h.committedRows('orders')).toBe(19), { timeout: 120_000, interval: 250 });
    await vi.waitFor(() => expect(h.tableOffsets('orders').get(0)).toBe(19), { timeout: 60_000 });
    const rows = await h.rowsInTable('orders');
    expect(duplicates(rows)).toEqual([]);
    expect(rows).toHaveLength(19);
    const metrics = await again.metrics.registry.metrics();
    expect(metrics).toMatch(/^dw_ingestor_partitions_stopped 0$/m);
    expect(metrics).toMatch(/^dw_ingestor_dlq_records_total\{reason="invalid_json"\} 1$/m);
    expect(await again.stop()).toBe(true);
  });
});
