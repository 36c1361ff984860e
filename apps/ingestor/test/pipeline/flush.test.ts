import { describe, expect, it } from 'vitest';
import type { FileBuilder } from '../../src/pipeline/builder.js';
import { prepareBatch } from '../../src/pipeline/flush.js';
import { sealedRecordsOf } from '../../src/pipeline/records.js';
import type { SealedBatch, Target } from '../../src/pipeline/types.js';

const route = { routingKey: 'db.c', tablePath: 'delta/db/c', tableUri: 's3://b/delta/db/c' };
const target: Target = { key: route.tableUri, kind: 'changelog', route };

const builder: FileBuilder = {
  async build(request) {
    return {
      outputs: request.outputs.map((o) => ({
        kind: o.kind,
        deltaSchemaJson: '{"type":"struct","fields":[]}',
        files: [{ parquet: new Uint8Array(3), statsJson: '{}', numRecords: 1, partitionValues: {} }],
      })),
      failures: [],
    };
  },
  close: async () => {},
};

function sealed(): SealedBatch {
  const range = { first: 0n, last: 0n };
  return {
    topic: 't',
    partition: 0,
    route,
    epoch: 1,
    range,
    records: sealedRecordsOf([
      { offset: 0n, timestampMs: 0, key: null, value: Buffer.from('{}'), headers: {}, bytes: 2 },
    ]),
    rejected: [],
    bytes: 2,
    sealedAt: 0,
    targets: [{ target, range, fromIndex: 0 }],
  };
}

describe('prepareBatch', () => {
  it('keeps uploading through an S3 outage longer than the uploader retries (never drops the batch)', async () => {
    let calls = 0;
    const retried: number[] = [];
    const ready = await prepareBatch(
      sealed(),
      {
        builder,
        uploader: {
          put: async () => {
            if (++calls <= 2) throw new Error('socket hang up (after the uploader gave up)');
          },
        },
        deadLetters: { send: async () => {} },
        partitionBy: [],
        compression: 'zstd',
        onUploadRetry: (_err, attempt) => retried.push(attempt),
      },
      new AbortController().signal,
    );
    expect(retried).toEqual([1, 2]);
    expect(ready[0]?.files).toHaveLength(1);
  });

  it('stops when the partition is revoked', async () => {
    const controller = new AbortController();
    const pending = prepareBatch(
      sealed(),
      {
        builder,
        uploader: {
          put: async () => {
            throw new Error('S3 is down');
          },
        },
        deadLetters: { send: async () => {} },
        partitionBy: [],
        compression: 'zstd',
        onUploadRetry: () => controller.abort(new Error('revoked')),
      },
      controller.signal,
    );
    await expect(pending).rejects.toThrow('revoked'); // the abort, not a result with a hole
  });
});
