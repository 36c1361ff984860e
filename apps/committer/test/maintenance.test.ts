/**
 * Maintenance on the local stack's S3 server, through the real worker thread: checkpoints every N versions,
 * compaction (rows unchanged, appends always win), vacuum and log cleanup, fencing.
 */
import { type AddFile, Snapshot } from '@delta-writer/delta-log';
import type { MemoryReleaseResult } from '@delta-writer/service-kit';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import type { MaintenanceConfig } from '../src/config/load.js';
import { Maintainer } from '../src/maintenance/maintainer.js';
import { createMaintenancePool, type MaintenancePool } from '../src/maintenance/pool.js';
import { createMetrics, setThreadMemory } from '../src/ops/metrics.js';
import { NO_MEMORY, type ThreadMemory } from '../src/ops/thread-memory.js';
import { commits, exactlyOnceProblems, offsetRows } from './support/check.js';
import { batchRunner, deltaCommitter } from './support/committer.js';
import { offsetsManifest } from './support/data.js';
import { stack, testBasePath } from './support/stack.js';

const base = testBasePath();
let n = 0;
const maintainers: Maintainer[] = [];
afterAll(async () => {
  await Promise.all(maintainers.map((m) => m.stop()));
});

const CONFIG: MaintenanceConfig = {
  checkpointInterval: 0,
  // the tests count checkpoints by version; the spacing by cost has its own test
  checkpointTimeShare: 1,
  compactionIntervalMs: 0,
  compactionTargetFileBytes: 64 * 1024 * 1024,
  compactionSmallFileBytes: 16 * 1024 * 1024,
  compactionMinFiles: 4,
  compactionMaxBytesPerRun: 1024 * 1024 * 1024,
  intervalMs: 0,
};

function setup(
  config: Partial<MaintenanceConfig> = {},
  properties: Record<string, string> = {},
  wrapPool: (p: MaintenancePool) => MaintenancePool = (p) => p,
) {
  const s = stack();
  const tablePath = `${base}/t${++n}`;
  const tableUri = `s3://${s.bucket}/${tablePath}`;
  const { storage, tables } = deltaCommitter({ properties });
  const metrics = createMetrics({ defaultMetrics: false });
  const leadership = new AbortController();
  const maintainer = new Maintainer({
    config: { ...CONFIG, ...config },
    storage,
    snapshot: (p, fresh) => tables.snapshot(p, fresh),
    pool: wrapPool(createMaintenancePool(s.s3)),
    logger: pino({ level: 'silent' }),
    metrics,
  });
  maintainers.push(maintainer);
  maintainer.start(() => ({ term: 1, signal: leadership.signal }));
  tables.onCommitted((c) => maintainer.committed(c));
  const { run } = batchRunner(tables);
  const append = async (partition: number, first: number, last: number) =>
    run([await offsetsManifest(s.storage, tableUri, tablePath, partition, first, last)]);
  return { tablePath, tableUri, tables, maintainer, metrics, leadership, append, storage: s.storage };
}

/** Appends `count` manifests of 5 offsets to partition 0, one commit each. */
async function appendMany(t: ReturnType<typeof setup>, count: number, from = 0) {
  for (let i = 0; i < count; i++) await t.append(0, from + i * 5, from + i * 5 + 4);
  return from + count * 5 - 1;
}

const rowsOf = (t: ReturnType<typeof setup>) => offsetRows(t.storage, t.tablePath);

describe('maintenance', () => {
  it('checkpoints every N versions, after the commit, and the table reads from the checkpoint', async () => {
    const t = setup({ checkpointInterval: 3 });
    for (let i = 0; i < 8; i++) {
      await t.append(0, i * 5, i * 5 + 4);
      await t.maintainer.idle();
    }
    const log = await t.storage.list(`${t.tablePath}/_delta_log/`);
    const checkpoints = log.filter((f) => f.path.endsWith('.checkpoint.parquet')).map((f) => f.path);
    expect(checkpoints.map((p) => Number(p.split('/').pop()?.split('.')[0]))).toEqual([3, 6]);
    const snapshot = await Snapshot.load(t.storage, t.tablePath);
    expect(snapshot.checkpointVersion).toBe(6);
    expect(exactlyOnceProblems(await rowsOf(t), new Map([[0, 39]]))).toEqual([]);
  });

  it("spaces a table's checkpoints by their cost: one that took t waits t × (1 / share − 1) after it", async () => {
    // every checkpoint takes ≥ 800 ms: at a share of 0.2 the next one waits ≥ 3.2 s, however many versions are due
    const slow = (p: MaintenancePool): MaintenancePool => ({
      ...p,
      checkpoint: async (task) => {
        await new Promise((r) => setTimeout(r, 800));
        return p.checkpoint(task);
      },
    });
    const t = setup({ checkpointInterval: 3, checkpointTimeShare: 0.2 }, {}, slow);
    const checkpointsOf = async () =>
      (await t.storage.list(`${t.tablePath}/_delta_log/`))
        .filter((f) => f.path.endsWith('.checkpoint.parquet'))
        .map((f) => Number(f.path.split('/').pop()?.split('.')[0]));
    const started = performance.now();
    for (let i = 0; i < 8; i++) {
      await t.append(0, i * 5, i * 5 + 4);
      await t.maintainer.idle();
    }
    // version 3 checkpointed; 6 was due soon after it and waited (the loop, checkpoint included, ended in the wait)
    expect(performance.now() - started).toBeLessThan(800 + 3_200);
    expect(await checkpointsOf()).toEqual([3]);
    const metric = await t.metrics.registry
      .getSingleMetric('deltawriter_committer_maintenance_duration_seconds')
      ?.get();
    const took = metric?.values.find(
      (v) => (v as { metricName?: string }).metricName?.endsWith('_sum') && v.labels.kind === 'checkpoint',
    )?.value;
    expect(took).toBeGreaterThanOrEqual(0.8);
    await new Promise((r) => setTimeout(r, (took as number) * 4 * 1000 + 300));
    await t.append(0, 40, 44);
    await t.maintainer.idle();
    // the first version past the mark once the wait is over
    const { version } = await Snapshot.load(t.storage, t.tablePath);
    expect(version).toBeGreaterThan(6);
    expect(await checkpointsOf()).toEqual([3, version]);
  });

  it('compacts small files into fewer files without changing a row (dataChange = false)', async () => {
    const t = setup();
    const last = await appendMany(t, 10);
    const before = await Snapshot.load(t.storage, t.tablePath);
    const report = await t.maintainer.request('compaction', t.tablePath);
    expect(report).toMatchObject({ committed: 1, filesRemoved: 10, filesAdded: 1, rows: 50 });
    const after = await Snapshot.load(t.storage, t.tablePath);
    expect(after.numFiles).toBe(1);
    expect(after.version).toBe(before.version + 1);
    const [optimize] = (await commits(t.storage, t.tablePath)).slice(-1);
    const actions = optimize ?? [];
    expect(actions.filter((a) => 'remove' in a && !a.remove.dataChange)).toHaveLength(10);
    expect(actions.filter((a) => 'add' in a && !a.add.dataChange)).toHaveLength(1);
    expect(exactlyOnceProblems(await rowsOf(t), new Map([[0, last]]))).toEqual([]);
    // the txns are untouched by compaction: ingest continues from the same offsets
    expect(after.txnVersion('dw1/dw/db.coll/0')).toBe(last);
  });

  it('lets appends win: an append committed during a compaction succeeds and the compaction rebases', async () => {
    let appendDuringCompaction: (() => Promise<unknown>) | undefined;
    const t = setup({}, {}, (pool) => ({
      ...pool,
      compact: async (task) => {
        const out = await pool.compact(task);
        await appendDuringCompaction?.(); // an ingest commit lands between the compaction's plan and its commit
        return out;
      },
    }));
    const last = await appendMany(t, 8);
    let appended: Awaited<ReturnType<typeof t.append>> | undefined;
    appendDuringCompaction = async () => {
      appended = await t.append(0, last + 1, last + 5);
    };
    const report = await t.maintainer.request('compaction', t.tablePath);
    expect(appended?.outcomes[0]).toMatchObject({ $case: 'ack', value: { duplicate: false } });
    expect(appended?.conflicts).toBe(0);
    expect(report).toMatchObject({ committed: 1, filesRemoved: 8 });
    // and an append whose cached snapshot predates the compaction's commit rebases over it
    const next = await t.append(0, last + 6, last + 10);
    expect(next.conflicts).toBe(0);
    expect((await Snapshot.load(t.storage, t.tablePath)).numFiles).toBe(3);
    expect(exactlyOnceProblems(await rowsOf(t), new Map([[0, last + 10]]))).toEqual([]);
  });

  it('gives up a bin whose files another commit removed, and deletes its output file', async () => {
    let other: (() => Promise<unknown>) | undefined;
    const outputs: AddFile[] = [];
    const t = setup({}, {}, (pool) => ({
      ...pool,
      compact: async (task) => {
        const out = await pool.compact(task);
        outputs.push(out.add);
        const race = other;
        other = undefined;
        await race?.(); // a second compactor (another leader) compacts the same files first
        return out;
      },
    }));
    const last = await appendMany(t, 6);
    const rival = setup();
    other = () => rival.maintainer.request('compaction', t.tablePath);
    const report = await t.maintainer.request('compaction', t.tablePath);
    expect(report).toMatchObject({ committed: 0, gaveUp: 1 });
    expect(await t.storage.head(`${t.tablePath}/${outputs[0]?.path}`)).toBeUndefined();
    expect((await Snapshot.load(t.storage, t.tablePath)).numFiles).toBe(1);
    expect(exactlyOnceProblems(await rowsOf(t), new Map([[0, last]]))).toEqual([]);
  });

  it('vacuums unreferenced files past the retention and cleans up the log before an old checkpoint', async () => {
    const t = setup(
      { checkpointInterval: 4 },
      {
        'delta.deletedFileRetentionDuration': 'interval 1 second',
        'delta.logRetentionDuration': 'interval 1 second',
      },
    );
    const last = await appendMany(t, 6);
    // a duplicate manifest leaves an orphan file behind
    const dup = await t.append(0, 0, 4);
    expect(dup.outcomes[0]).toMatchObject({ $case: 'ack', value: { duplicate: true } });
    await t.maintainer.request('compaction', t.tablePath);
    await t.maintainer.idle();
    await new Promise((r) => setTimeout(r, 1_500));
    await t.append(0, last + 1, last + 5); // a checkpoint newer than the cutoff does not matter
    await t.maintainer.idle();
    // the snapshots the committer keeps leave tombstones out; vacuum (and the checkpoints) read their own
    expect((await t.tables.snapshot(t.tablePath, false))?.tracksTombstones).toBe(false);
    const vacuumed = await t.maintainer.request('vacuum', t.tablePath);
    expect(vacuumed).toMatchObject({ deleted: 7 }); // 6 compacted-away files + the orphan
    const cleaned = await t.maintainer.request('cleanup', t.tablePath);
    expect(Number(cleaned?.deleted)).toBeGreaterThan(0);
    const data = (await t.storage.list(`${t.tablePath}/`, { recursive: true })).filter(
      (f) => !f.path.includes('/_delta_log/'),
    );
    expect(data).toHaveLength(2);
    expect(exactlyOnceProblems(await rowsOf(t), new Map([[0, last + 5]]))).toEqual([]);
  });

  it('writes nothing once leadership is lost', async () => {
    const t = setup();
    await appendMany(t, 5);
    const version = (await Snapshot.load(t.storage, t.tablePath)).version;
    t.leadership.abort(new Error('lease lost'));
    expect(await t.maintainer.request('compaction', t.tablePath)).toBeUndefined();
    expect((await Snapshot.load(t.storage, t.tablePath)).version).toBe(version);
    expect(
      await t.metrics.registry.getSingleMetricAsString('deltawriter_committer_maintenance_runs_total'),
    ).toContain('outcome="aborted"');
  });
});

describe('maintenance thread memory', () => {
  it("reports the worker thread's heap and parquet-wasm heap after each task, and zeros once the thread ends", async () => {
    const t = setup();
    await appendMany(t, 3);
    const heard: ThreadMemory[] = [];
    const pool = createMaintenancePool(stack().s3, { onMemory: (m) => heard.push(m) });
    const latest = await Snapshot.load(t.storage, t.tablePath);
    const built = await pool.checkpoint({ tablePath: t.tablePath, version: latest.version });
    expect(built.version).toBe(latest.version);
    expect(heard).toHaveLength(1);
    // the worker encoded a checkpoint: its V8 heap and its WebAssembly heap hold something
    expect(heard[0]?.heapUsed).toBeGreaterThan(1024 * 1024);
    expect(heard[0]?.heapTotal).toBeGreaterThanOrEqual(heard[0]?.heapUsed ?? Number.POSITIVE_INFINITY);
    expect(heard[0]?.wasm).toBeGreaterThan(0);
    await pool.close();
    expect(heard.at(-1)).toEqual(NO_MEMORY);

    const metrics = createMetrics({ defaultMetrics: false });
    setThreadMemory(metrics.threadMemory, 'maintenance', heard[0] as ThreadMemory);
    const page = await metrics.registry.metrics();
    expect(page).toMatch(/thread_memory_bytes\{thread="main",kind="heap_used"\} [1-9]/);
    expect(page).toContain(`thread_memory_bytes{thread="maintenance",kind="wasm"} ${heard[0]?.wasm}`);
    expect(page).toContain(
      `thread_memory_bytes{thread="maintenance",kind="heap_total"} ${heard[0]?.heapTotal}`,
    );
  });
  it("gives V8's pooled pages back after a task once memoryReleaseIntervalMs has passed, not more often", async () => {
    const t = setup();
    await appendMany(t, 3);
    const releases: MemoryReleaseResult[] = [];
    const heard: ThreadMemory[] = [];
    const pool = createMaintenancePool(stack().s3, {
      memoryReleaseIntervalMs: 1_500,
      onRelease: (r) => releases.push(r),
      onMemory: (m) => heard.push(m),
    });
    try {
      const version = (await Snapshot.load(t.storage, t.tablePath)).version;
      await pool.checkpoint({ tablePath: t.tablePath, version });
      await pool.checkpoint({ tablePath: t.tablePath, version });
      // both within 1.5 s of the thread's start, unless the machine is very slow
      const early = releases.length;
      expect(early).toBeLessThanOrEqual(1);
      await new Promise((resolve) => setTimeout(resolve, 1_600));
      await pool.checkpoint({ tablePath: t.tablePath, version });
      expect(releases).toHaveLength(early + 1);
      expect(releases.at(-1)?.seconds).toBeGreaterThan(0);
      // right after a memory-reducing collection V8 has committed little beyond what is in use
      const after = heard.at(-1) as ThreadMemory;
      expect(after.heapTotal - after.heapUsed).toBeLessThan(16 * 2 ** 20);
    } finally {
      await pool.close();
    }
  });
  it('ends a thread that holds more than maxThreadBytes after its task; the next task starts a new one', async () => {
    const t = setup();
    await appendMany(t, 3);
    const heard: ThreadMemory[] = [];
    const pool = createMaintenancePool(stack().s3, { onMemory: (m) => heard.push(m), maxThreadBytes: 1 });
    try {
      const version = (await Snapshot.load(t.storage, t.tablePath)).version;
      await pool.checkpoint({ tablePath: t.tablePath, version });
      // its figures, then the zeros of its end — before the task's promise settled
      expect(heard).toHaveLength(2);
      expect(heard[0]?.heapUsed).toBeGreaterThan(0);
      expect(heard[1]).toEqual(NO_MEMORY);
      const again = await pool.checkpoint({ tablePath: t.tablePath, version });
      expect(again.version).toBe(version);
      expect(heard).toHaveLength(4);
      expect(heard[2]?.heapUsed).toBeGreaterThan(0);
    } finally {
      await pool.close();
    }
  });
});
