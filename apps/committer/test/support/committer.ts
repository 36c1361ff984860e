/** A DeltaTableCommitter on the local stack's S3 server, and a batch runner with a live signal. */
import { commitBatch } from '../../src/commit/batch.js';
import { FencedStorage } from '../../src/delta/fence.js';
import { createS3Storage } from '../../src/delta/s3.js';
import { DeltaTableCommitter } from '../../src/delta/table-committer.js';
import type { WideningMode } from '../../src/schema/merge.js';
import { stack } from './stack.js';

export function deltaCommitter(
  options: { typeWidening?: WideningMode; properties?: Record<string, string> } = {},
) {
  const s = stack();
  const storage = new FencedStorage(
    createS3Storage({
      endpoint: s.endpoint,
      bucket: s.bucket,
      region: s.committerEnv.MINIO_REGION as string,
      credentials: {
        accessKeyId: s.committerEnv.MINIO_ACCESS_KEY as string,
        secretAccessKey: s.committerEnv.MINIO_SECRET_KEY as string,
      },
    }),
  );
  const tables = new DeltaTableCommitter({
    storage,
    bucket: s.bucket,
    typeWidening: options.typeWidening ?? 'promote',
    tableProperties: options.properties ?? {},
    cacheSize: 16,
    committerId: 'test',
  });
  return { storage, tables };
}

export function batchRunner(tables: DeltaTableCommitter, term = 1) {
  const controller = new AbortController();
  return {
    controller,
    run: (manifests: Parameters<typeof commitBatch>[0]) =>
      commitBatch(manifests, { committer: tables, term, signal: controller.signal }),
  };
}
