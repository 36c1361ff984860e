/** A partitioned table (DELTA_PARTITION_BY) on the local stack: one file per partition value, under Hive directories. */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createHarness, duplicates, type Harness } from '../support/pipeline-harness.js';
import { listKeys } from '../support/stack.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness({ orders: 2 });
});
afterAll(async () => {
  await h?.close();
});

// Real Kafka, S3 and child processes on a shared 2-core machine: waits inside the tests bound each step.
describe('partitioned tables', { timeout: 300_000 }, () => {
  it('writes each partition value into its own directory and reports the values in the manifest', async () => {
    await h.produce('orders', 0, 100);
    const service = await h.startService({
      delta: { ...h.config().delta, partitionBy: ['status'] },
    });
    await vi.waitFor(() => expect(h.committedRows('orders')).toBe(100), { timeout: 60_000, interval: 250 });
    const table = h.committer.tables.get(h.tableUri('orders'));
    const commit = table?.commits[0];
    expect(commit?.partitionColumns).toEqual(['status']);
    expect(
      JSON.parse(commit?.deltaSchemaJson ?? '{}').fields.some((f: { name: string }) => f.name === 'status'),
    ).toBe(true);
    const values = new Set(
      table?.files.map((f) => f.partitionValues.map((p) => `${p.column}=${p.value}`).join()),
    );
    expect(values).toEqual(new Set(['status=created', 'status=paid', 'status=shipped', 'status=delivered']));
    for (const f of table?.files ?? []) {
      expect(f.path).toMatch(
        /^status=(created|paid|shipped|delivered)\/part-\d{5}-[0-9a-f-]{36}-c000\.zstd\.parquet$/,
      );
      expect(JSON.parse(f.statsJson).nullCount).not.toHaveProperty('status'); // partition columns are not in the files
    }
    const keys = await listKeys(h.s3, h.env.DW_S3_BUCKET, `${h.basePath}/shop/orders/status=paid/`);
    expect(keys.length).toBeGreaterThan(0);
    expect(duplicates(await h.rowsInTable('orders'))).toEqual([]);
    expect(await service.stop()).toBe(true);
  });
});
