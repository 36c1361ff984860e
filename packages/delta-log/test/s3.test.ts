/**
 * S3Storage and whole-table behaviour against the local stack's S3 server (`./dw stack up`; endpoints in
 * `.data/stack/env`). Fails with one line naming the missing variable when the stack is not configured.
 */
import { randomUUID } from 'node:crypto';
import * as A from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { FileNotFoundError } from '../src/errors.js';
import { field, struct } from '../src/schema/types.js';
import { Snapshot } from '../src/snapshot.js';
import { S3Storage } from '../src/storage/s3.js';
import { storageForUri } from '../src/storage/uri.js';
import { DeltaTable } from '../src/table.js';
import { commit } from '../src/write/commit.js';
import { writeDataFile } from '../src/write/data-file.js';

function env(name: string): string {
  const v = process.env[name];
  if (!v)
    throw new Error(`${name} is not set: start the local stack (./dw stack up) and load .data/stack/env`);
  return v;
}

function s3(prefix = `delta-log-test/${randomUUID()}`): S3Storage {
  return new S3Storage({
    bucket: env('DW_S3_BUCKET'),
    prefix,
    clientConfig: {
      endpoint: env('DW_S3_ENDPOINT'),
      region: env('AWS_REGION'),
      forcePathStyle: true,
      maxAttempts: 1,
    },
  });
}

const bytes = (s: string) => new TextEncoder().encode(s);

describe('S3Storage on the local S3 server', () => {
  it('lets exactly one of many concurrent conditional puts win', async () => {
    const storage = s3();
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        storage.putIfAbsent('_delta_log/00000000000000000000.json', bytes(`w${i}`)),
      ),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    const winner = results.indexOf(true);
    expect(new TextDecoder().decode(await storage.get('_delta_log/00000000000000000000.json'))).toBe(
      `w${winner}`,
    );
  });

  it('gets ranges, lists with and without recursion, heads and deletes', async () => {
    const storage = s3();
    await storage.put('d/a.json', bytes('hello world'));
    await storage.put('d/b.json', bytes('b'));
    await storage.put('d/sub/c.parquet', bytes('c'));
    expect(new TextDecoder().decode(await storage.get('d/a.json', { offset: 6, length: 5 }))).toBe('world');
    expect((await storage.list('d/')).map((f) => f.path)).toEqual(['d/a.json', 'd/b.json']);
    expect((await storage.list('d/', { startAfter: 'd/a.json' })).map((f) => f.path)).toEqual(['d/b.json']);
    expect((await storage.list('d/', { recursive: true })).map((f) => f.path)).toContain('d/sub/c.parquet');
    expect(await storage.head('d/a.json')).toMatchObject({ size: 11 });
    await storage.delete('d/a.json');
    await storage.delete('d/a.json');
    expect(await storage.head('d/a.json')).toBeUndefined();
    await expect(storage.get('d/a.json')).rejects.toBeInstanceOf(FileNotFoundError);
  });

  it('creates, commits concurrently, checkpoints and reads back a table', async () => {
    const storage = s3();
    const t = await DeltaTable.create(storage, 'tbl', { schema: struct(field('id', 'long')) });
    const add = await writeDataFile(
      t.snapshot,
      new A.Table({ id: A.vectorFromArray([1n, 2n], new A.Int64()) }),
    );
    const base = t.snapshot;
    const results = await Promise.all(
      [0, 1, 2, 3].map((i) =>
        commit(
          storage,
          base,
          {
            actions: i === 0 ? [{ add }] : [],
            txns: [{ appId: `app-${i}`, version: i }],
            operation: 'WRITE',
          },
          { maxRetries: 10 },
        ),
      ),
    );
    expect(results.map((r) => r.version).sort()).toEqual([1, 2, 3, 4]);
    const latest = await DeltaTable.open(storage, 'tbl');
    expect(latest.version).toBe(4);
    await latest.checkpoint();
    const fromCheckpoint = await Snapshot.load(storage, 'tbl');
    expect(fromCheckpoint.segment.checkpoint?.version).toBe(4);
    expect(fromCheckpoint.txnVersion('app-3')).toBe(3);
    const rows = await fromCheckpoint.scan().toTable();
    expect(Array.from(rows.getChild('id')?.toArray() ?? [])).toEqual([1n, 2n]);
  });

  it('opens s3:// URIs with endpoint and credentials from the environment', async () => {
    const prefix = `delta-log-test/${randomUUID()}`;
    await DeltaTable.create(s3(prefix), '', { schema: struct(field('x', 'string')) });
    const storage = storageForUri(`s3://${env('DW_S3_BUCKET')}/${prefix}`, {
      env: { ...process.env, AWS_ENDPOINT_URL_S3: env('DW_S3_ENDPOINT') },
    });
    const t = await DeltaTable.open(storage);
    expect(t.snapshot.schema.fields.map((f) => f.name)).toEqual(['x']);
  });
});
