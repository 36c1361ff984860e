/**
 * The committer's checks in object storage, on the local stack's S3 server: data files exist with their stated
 * size, and the put-if-absent probe tells a store that enforces it from one that does not.
 */
import { randomUUID } from 'node:crypto';
import type { Storage } from '@delta-writer/delta-log';
import { describe, expect, it } from 'vitest';
import { dataFilesProblem, probePutIfAbsent } from '../src/delta/storage-checks.js';
import { OFFSETS_SCHEMA, writeTestFile } from './support/data.js';
import { stack, testBasePath } from './support/stack.js';

const base = testBasePath();

describe('storage checks on S3', () => {
  it('finds a data file missing or of another size than stated, by the key readers decode', async () => {
    const { storage } = stack();
    const tablePath = `${base}/files-${randomUUID().slice(0, 8)}`;
    const rows = [{ topic_partition: 0, offset: 1, payload: 'x' }];
    const real = await writeTestFile(storage, tablePath, { schema: OFFSETS_SCHEMA, rows });
    // a partition value that needs escaping: the object key and add.path differ
    const partitioned = await writeTestFile(storage, tablePath, {
      schema: {
        type: 'struct',
        fields: [...OFFSETS_SCHEMA.fields, { name: 'p', type: 'string', nullable: true, metadata: {} }],
      },
      rows: [{ ...rows[0], p: 'a:b c' }],
      partitionColumns: ['p'],
    });
    expect(partitioned.path).toMatch(/^p=a%253Ab%20c\//);
    expect(await dataFilesProblem(storage, tablePath, [real, partitioned])).toBeUndefined();
    expect(
      await dataFilesProblem(storage, tablePath, [real, { ...real, path: 'part-00000-phantom.parquet' }]),
    ).toMatch(/^files\[1\]\.path 'part-00000-phantom\.parquet' does not exist in storage/);
    expect(await dataFilesProblem(storage, tablePath, [{ ...real, sizeBytes: real.sizeBytes + 1 }])).toMatch(
      new RegExp(`is ${real.sizeBytes} bytes in storage but size_bytes says ${real.sizeBytes + 1}`),
    );
  });

  it('probes put-if-absent: passes on the stack, fails on a store that overwrites, and leaves nothing behind', async () => {
    const { storage } = stack();
    const folder = `${base}/probes-${randomUUID().slice(0, 8)}`;
    expect(await probePutIfAbsent(storage, folder, 'test')).toMatchObject({ ok: true });
    // our own Storage interface, behaving like an S3 server that ignores If-None-Match
    const overwriting: Storage = Object.assign(Object.create(storage) as Storage, {
      putIfAbsent: async (path: string, data: Uint8Array) => {
        await storage.put(path, data);
        return true;
      },
    });
    const refused = await probePutIfAbsent(overwriting, folder, 'test');
    expect(refused).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/does not enforce put-if-absent/),
    });
    expect(await storage.list(`${folder}/`)).toEqual([]);
  });
});
