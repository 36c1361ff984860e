/**
 * Mirror-table upsert throughput against table size: the same stream of upsert batches (70 % updates of random
 * existing keys, 20 % inserts, 10 % deletes) committed into a 10k-row table (the baseline) and into a 1M-row table,
 * each commit the production path — prepareMirrorCommit (index sync, Redis lookup, plan, deletion vectors), the Delta
 * commit, finishMirrorCommit (Redis index move). The rate is the committer's: time in those three steps. Writing each
 * batch's data file is the ingestors' work in production (in other processes, in parallel); it runs here in the same
 * thread and is reported on its own, with the rate both together would reach. If commit cost follows the batch and
 * not the table, the two sizes' rates are close; printed with their ratio. Also: the time to rebuild each table's
 * index from the table.
 *
 *   ./dw pnpm --filter @delta-writer/committer exec tsx --conditions=source bench/mirror-upsert.ts
 *   (needs REDIS_URL: ./dw stack up and .data/stack/env loaded; BENCH_STORAGE=s3 uses DW_S3_* instead of local files)
 *   BENCH_SIZES=10000,1000000 BENCH_BATCH=2000 BENCH_COMMITS=30 BENCH_FILE_ROWS=50000 to change the load.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeltaTable, FsStorage, S3Storage, type Storage, writeDataFile } from '@delta-writer/delta-log';
import * as A from 'apache-arrow';
import { Redis } from 'ioredis';
import { RedisKeyIndex } from '../src/mirror/index-store-redis.js';
import { MIRROR_COLUMNS, syncIndex } from '../src/mirror/index-sync.js';
import { finishMirrorCommit, type MirrorFile, prepareMirrorCommit } from '../src/mirror/mirror-commit.js';

const SIZES = (process.env.BENCH_SIZES ?? '10000,1000000').split(',').map(Number);
const BATCH = Number(process.env.BENCH_BATCH ?? 2000);
const COMMITS = Number(process.env.BENCH_COMMITS ?? 30);
const WARMUP = 3;
const FILE_ROWS = Number(process.env.BENCH_FILE_ROWS ?? 50_000);
const C = MIRROR_COLUMNS;

const SCHEMA = {
  type: 'struct' as const,
  fields: [
    { name: 'doc', type: 'string' as const, nullable: true, metadata: {} },
    { name: 'amount', type: 'long' as const, nullable: true, metadata: {} },
    { name: C.key, type: 'string' as const, nullable: true, metadata: {} },
    { name: C.seq, type: 'string' as const, nullable: true, metadata: {} },
    { name: C.op, type: 'string' as const, nullable: true, metadata: {} },
    { name: C.partition, type: 'integer' as const, nullable: true, metadata: {} },
    { name: C.offset, type: 'long' as const, nullable: true, metadata: {} },
  ],
};

interface Row {
  key: string;
  seq: number;
  op: 'upsert' | 'delete';
}

const keyOf = (i: number) => `{"$oid":"${i.toString(16).padStart(24, '0')}"}`;

function arrowOf(rows: readonly Row[]): A.Table {
  return new A.Table({
    doc: A.vectorFromArray(
      rows.map((r) =>
        r.op === 'delete' ? null : `{"_id":${r.key},"name":"customer ${r.seq}","tags":["a","b"]}`,
      ),
      new A.Utf8(),
    ),
    amount: A.vectorFromArray(
      rows.map((r) => BigInt(r.seq % 100_000)),
      new A.Int64(),
    ),
    [C.key]: A.vectorFromArray(
      rows.map((r) => r.key),
      new A.Utf8(),
    ),
    [C.seq]: A.vectorFromArray(
      rows.map((r) => `${r.seq}.0`),
      new A.Utf8(),
    ),
    [C.op]: A.vectorFromArray(
      rows.map((r) => (r.op === 'delete' ? 'd' : 'u')),
      new A.Utf8(),
    ),
    [C.partition]: A.vectorFromArray(
      rows.map(() => 0),
      new A.Int32(),
    ),
    [C.offset]: A.vectorFromArray(
      rows.map((r) => BigInt(r.seq)),
      new A.Int64(),
    ),
  });
}

function storage(): { storage: Storage; cleanup: () => void } {
  if (process.env.BENCH_STORAGE === 's3') {
    const e = process.env;
    const s3 = new S3Storage({
      bucket: e.DW_S3_BUCKET ?? 'lake',
      prefix: `bench/mirror-${randomUUID()}`,
      clientConfig: {
        ...(e.DW_S3_ENDPOINT ? { endpoint: e.DW_S3_ENDPOINT } : {}),
        forcePathStyle: true,
        region: e.AWS_REGION ?? 'us-east-1',
      },
    });
    return { storage: s3, cleanup: () => {} };
  }
  const dir = mkdtempSync(join(tmpdir(), 'bench-mirror-'));
  return { storage: new FsStorage(dir), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A seeded generator, so both sizes get the same kind of stream. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Result {
  size: number;
  files: number;
  rebuildMs: number;
  rowsPerSecond: number;
  commitMs: number;
  prepareMs: number;
  /** Writing the batch's data file (the ingestor's share), per commit. */
  fileMs: number;
  touchedFiles: number;
}

async function run(size: number, redis: Redis): Promise<Result> {
  const { storage: store, cleanup } = storage();
  try {
    const table = await DeltaTable.create(store, '', {
      schema: SCHEMA,
      configuration: { 'delta.enableDeletionVectors': 'true', 'delta.checkpointInterval': '20' },
    });
    // The initial table: `size` keys in files of FILE_ROWS rows, one commit.
    const adds = [];
    for (let from = 0; from < size; from += FILE_ROWS) {
      const rows: Row[] = [];
      for (let i = from; i < Math.min(size, from + FILE_ROWS); i++)
        rows.push({ key: keyOf(i), seq: 1, op: 'upsert' });
      adds.push(await writeDataFile(table.snapshot, arrowOf(rows)));
    }
    await table.commit({ actions: adds.map((add) => ({ add })), operation: 'WRITE' });

    const prefix = `bench:${randomUUID()}`;
    const leaseKey = `${prefix}:lease`;
    await redis.hset(leaseKey, 'owner', 'bench', 'term', 1);
    const index = new RedisKeyIndex({ redis, prefix, table: randomUUID(), leaseKey });
    let t = performance.now();
    await syncIndex(index, table.snapshot, { term: 1 });
    const rebuildMs = performance.now() - t;

    const r = rng(42);
    let next = size;
    let seq = 2;
    let measured = 0;
    let prepareMs = 0;
    let pathMs = 0;
    let fileMs = 0;
    let touched = 0;
    for (let c = 0; c < WARMUP + COMMITS; c++) {
      const rows: Row[] = [];
      const used = new Set<string>();
      while (rows.length < BATCH) {
        const x = r();
        const key = x < 0.2 ? keyOf(next++) : keyOf(Math.floor(r() * size));
        if (used.has(key)) continue;
        used.add(key);
        rows.push({ key, seq, op: x >= 0.9 ? 'delete' : 'upsert' });
      }
      seq++;
      t = performance.now();
      const add = await writeDataFile(table.snapshot, arrowOf(rows));
      if (c >= WARMUP) fileMs += performance.now() - t;
      t = performance.now(); // the committer's part starts with the manifest's rows
      const file: MirrorFile = {
        add,
        rows: rows.map((row) => ({
          key: row.key,
          version: { seq: `${row.seq}.0`, partition: 0, offset: row.seq },
          op: row.op,
        })),
      };
      const prepared = await prepareMirrorCommit(table.snapshot, index, [file], { term: 1, now: Date.now() });
      if (prepared.kind !== 'ready') throw new Error('unexpected conflicts');
      if (c >= WARMUP) {
        prepareMs += performance.now() - t;
        touched += prepared.actions.filter((a) => 'remove' in a).length;
      }
      const result = await table.commit(
        { actions: prepared.actions, operation: 'MERGE', readWholeTable: true },
        { autoCheckpoint: true },
      );
      await finishMirrorCommit(
        index,
        prepared,
        { version: result.version, tableId: table.snapshot.metadata.id },
        1,
      );
      if (c >= WARMUP) {
        pathMs += performance.now() - t;
        measured += rows.length;
      }
    }
    // Leave nothing behind in Redis.
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    return {
      size,
      files: adds.length,
      rebuildMs,
      rowsPerSecond: (measured * 1000) / pathMs,
      commitMs: pathMs / COMMITS,
      prepareMs: prepareMs / COMMITS,
      fileMs: fileMs / COMMITS,
      touchedFiles: touched / COMMITS,
    };
  } finally {
    cleanup();
  }
}

async function main(): Promise<void> {
  const url = process.env.REDIS_URL;
  if (!url)
    throw new Error('REDIS_URL is not set: start the local stack (./dw stack up) and load .data/stack/env');
  const redis = new Redis(url);
  try {
    console.log(
      `mirror upsert bench: batches of ${BATCH} rows (70% updates, 20% inserts, 10% deletes), ${COMMITS} commits measured after ${WARMUP} warm-up, files of ${FILE_ROWS} rows, storage ${process.env.BENCH_STORAGE === 's3' ? 's3' : 'local files'}, index in Redis`,
    );
    const results: Result[] = [];
    for (const size of SIZES) {
      const res = await run(size, redis);
      results.push(res);
      console.log(
        `  table ${res.size.toLocaleString('en')} rows (${res.files} files): ${Math.round(res.rowsPerSecond).toLocaleString('en')} rows/s, ` +
          `${res.commitMs.toFixed(0)} ms per commit (prepare ${res.prepareMs.toFixed(0)} ms, ${res.touchedFiles.toFixed(1)} existing files given new vectors), ` +
          `index rebuild ${(res.rebuildMs / 1000).toFixed(1)} s; ` +
          `writing each batch's data file ${res.fileMs.toFixed(0)} ms more (the ingestor's share; together ${Math.round((BATCH * 1000) / (res.commitMs + res.fileMs)).toLocaleString('en')} rows/s in one thread)`,
      );
    }
    const base = results[0] as Result;
    for (const res of results.slice(1)) {
      console.log(
        `  ratio ${res.size.toLocaleString('en')} / ${base.size.toLocaleString('en')} rows: ${(res.rowsPerSecond / base.rowsPerSecond).toFixed(2)}× the baseline's upsert rate (target ≥ 0.5)`,
      );
    }
  } finally {
    redis.disconnect();
  }
}

await main();
