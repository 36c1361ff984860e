/**
 * The mirror model on real storage: the same simulated collection, Kafka delivery and pipeline as model.test.ts,
 * but every commit is a Delta commit on disk (Parquet files, deletion vectors in DV files or inline, compaction),
 * the key index lives in the local stack's Redis (fenced by a lease hash), and the index is synced by the
 * production syncIndex. The table must end equal to the collection — read by delta-log, by delta-rs and by Spark —
 * and the index equal to a rebuild from the table.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsStorage } from '@delta-writer/delta-log';
import { readWithDeltaRs, type SparkSession, startSpark } from '@delta-writer/test-readers';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisKeyIndex } from '../../src/mirror/index-store-redis.js';
import { foldRows, type IndexEntry } from '../../src/mirror/plan.js';
import { connect } from '../redis-env.js';
import { DeltaMirrorTable, docText } from './support/delta-mirror-table.js';
import { type PipelineParams, runPipeline } from './support/pipeline.js';
import { deliver, generateSource } from './support/source.js';

let redis: Redis;
let spark: SparkSession;
const dirs: string[] = [];

beforeAll(async () => {
  redis = connect();
  spark = await startSpark();
}, 300_000);

afterAll(async () => {
  await spark?.close();
  await redis?.quit();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const comparable = (e: IndexEntry) => ({ file: e.file, row: e.row, version: e.version, deleted: e.deleted });

const scenarios: Array<{
  name: string;
  mode: 'update_full' | 'patches';
  seed: number;
  pipeline: Partial<PipelineParams>;
}> = [
  {
    name: 'update_full lookups, replays, crashes, leader changes and compaction',
    mode: 'update_full',
    seed: 11,
    pipeline: { crashRate: 0.2, leaderChangeRate: 0.1, compactEvery: 6, ackLossRate: 0.1 },
  },
  {
    name: 'change_streams patches resolved against stored rows, pipelined, with compaction',
    mode: 'patches',
    seed: 12,
    pipeline: { overlay: false, pipelineRate: 0.7, crashRate: 0.1, compactEvery: 5 },
  },
];

describe('mirror model on Delta + Redis, read by delta-log, delta-rs and Spark', () => {
  it.each(scenarios)(
    '$name',
    async ({ mode, seed, pipeline }) => {
      const dir = mkdtempSync(join(tmpdir(), 'mirror-model-'));
      dirs.push(dir);
      const { changes, final } = generateSource({ seed, keys: 40, ops: 400, txnMax: 3, mode, lookupLag: 20 });
      const logs = deliver(changes, {
        seed,
        partitions: 3,
        duplicateRate: 0.1,
        replays: 2,
        replayWindow: 60,
        preImages: mode === 'patches' ? 0.3 : 0,
      });
      const table = await DeltaMirrorTable.create(new FsStorage(dir));
      const prefix = `test:${randomUUID()}`;
      const leaseKey = `${prefix}:lease`;
      const index = new RedisKeyIndex({ redis, prefix, table: dir, leaseKey, chunkSize: 50 });
      const stats = await runPipeline(
        logs,
        table,
        index,
        {
          seed,
          partialUpdates: mode === 'patches' ? 'apply' : 'skip',
          batchMax: 40,
          groupMax: 3,
          overlay: true,
          pipelineRate: 0.3,
          crashRate: 0,
          ackLossRate: 0,
          leaderChangeRate: 0,
          compactEvery: 0,
          ...pipeline,
        },
        async (term) => {
          await redis.hset(leaseKey, 'owner', 'committer', 'term', term);
        },
      );
      expect(stats.violations).toEqual([]);
      expect(stats.compactions).toBeGreaterThan(0);
      expect(stats.syncs['caught-up'] ?? 0).toBeGreaterThan(0);

      // delta-log's own read
      const live = await table.liveDocs();
      expect(live).toEqual(final);
      // the index is what a rebuild from the table gives
      const rebuilt = foldRows(await table.physicalRows(), new Map());
      expect(rebuilt.violations).toEqual([]);
      const ours = new Map<string, ReturnType<typeof comparable>>();
      for await (const [k, e] of index.entries()) ours.set(k, comparable(e));
      expect(ours).toEqual(new Map([...rebuilt.entries].map(([k, e]) => [k, comparable(e)])));

      // the independent engines see exactly the collection
      const expected = [...final].map(([k, d]) => `${k} ${docText(d)}`).sort();
      for (const read of [await readWithDeltaRs(dir), await spark.read(dir)]) {
        expect(read.version, read.engine).toBe(table.table.version);
        expect(read.rows.map((r) => `${r._cdc_key} ${r.doc}`).sort(), read.engine).toEqual(expected);
      }
    },
    600_000,
  );
});
