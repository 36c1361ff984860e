/** A DeltaTables on the local stack's S3 server, and a batch runner with a live signal. */
import { commitBatch } from '../../src/commit/batch.js';
import { DeltaTables } from '../../src/delta/delta-tables.js';
import { FencedStorage } from '../../src/delta/fence.js';
import { createS3Storage } from '../../src/delta/s3.js';
import { MirrorPlanner } from '../../src/mirror/planner.js';
import { MirrorTables } from '../../src/mirror/tables.js';
import { createMetrics } from '../../src/ops/metrics.js';
import type { WideningMode } from '../../src/schema/merge.js';
import { stack } from './stack.js';

export interface MirrorSetup {
  /** The Redis key prefix (as COMMITTER_LEASE_KEY); the test writes `<prefix>:lease` with the term. */
  readonly prefix: string;
}

export function deltaCommitter(
  options: { typeWidening?: WideningMode; properties?: Record<string, string>; mirror?: MirrorSetup } = {},
) {
  const s = stack();
  const storage = new FencedStorage(createS3Storage(s.s3));
  const metrics = createMetrics({ defaultMetrics: false });
  const mirrorTables = options.mirror
    ? new MirrorTables({ redisUrl: s.redisUrl, prefix: options.mirror.prefix })
    : undefined;
  const mirror = mirrorTables ? new MirrorPlanner({ tables: mirrorTables, metrics }) : undefined;
  const tables = new DeltaTables({
    ...(mirror ? { mirror } : {}),
    storage,
    bucket: s.bucket,
    typeWidening: options.typeWidening ?? 'promote',
    tableProperties: options.properties ?? {},
    cacheSize: 16,
    committerId: 'test',
  });
  return { storage, tables, mirror, mirrorTables, metrics };
}

export function batchRunner(tables: DeltaTables, term = 1) {
  const controller = new AbortController();
  return {
    controller,
    run: (manifests: Parameters<typeof commitBatch>[0]) =>
      commitBatch(manifests, { tables, term, signal: controller.signal }),
  };
}
