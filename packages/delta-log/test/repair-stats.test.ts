import * as A from 'apache-arrow';
import { describe, expect, it, vi } from 'vitest';
import { type Action, type AddFile, parseActions } from '../src/actions.js';
import { main } from '../src/cli.js';
import { isSuspect, repairStats, statsProblems } from '../src/maintenance/repair-stats.js';
import { decimal, field, struct } from '../src/schema/types.js';
import type { Storage } from '../src/storage/storage.js';
import { DeltaTable } from '../src/table.js';
import { parseJson } from '../src/util/json.js';
import { writeDataFile } from '../src/write/data-file.js';
import { deleteRows } from '../src/write/deletion-vector.js';
import { useTempStorage } from './helpers/tmp.js';

const temp = useTempStorage();

const SCHEMA = struct(
  field('id', 'long'),
  field('counter', 'long'),
  field('amount', decimal(38, 2)),
  field('n', 'integer'),
);
const MIN = -(2n ** 63n);
const NEAR = 617283945061728395n;

/** What a deletion-vector rewrite did to stats before delta-log kept numbers exact. */
function roundedLikeBefore(stats: string): string {
  return JSON.stringify({ ...JSON.parse(stats), tightBounds: false });
}

function table(ids: number[], counters: bigint[], cents: bigint[]): A.Table {
  const n = ids.length;
  const words = new Uint32Array(n * 4);
  cents.forEach((v, i) => {
    let x = BigInt.asUintN(128, v);
    for (let k = 0; k < 4; k++) {
      words[i * 4 + k] = Number(x & 0xffffffffn);
      x >>= 32n;
    }
  });
  return new A.Table({
    id: A.vectorFromArray(ids.map(BigInt), new A.Int64()),
    counter: A.vectorFromArray(counters, new A.Int64()),
    amount: A.makeVector(
      A.makeData({ type: new A.Decimal(2, 38, 128), length: n, nullCount: 0, data: words }),
    ),
    n: A.vectorFromArray(ids, new A.Int32()),
  });
}

/** A table with three files, two of them given vectors by a writer that rounded their stats (v2). */
async function corruptedTable(storage: Storage) {
  const t = await DeltaTable.create(storage, '', {
    schema: SCHEMA,
    configuration: { 'delta.enableDeletionVectors': 'true' },
  });
  const big = 12345678901234567890123456789012345n; // 35 digits: decimal(38,2)
  const a = await writeDataFile(t.snapshot, table([0, 1, 2], [MIN, 5n, 2n ** 53n + 1n], [-big, 0n, big]));
  const b = await writeDataFile(
    t.snapshot,
    table([10, 11, 12, 13], [NEAR, NEAR + 1n, NEAR + 2n, NEAR + 3n], [1n, 2n, 3n, 4n]),
  );
  const c = await writeDataFile(t.snapshot, table([20, 21], [1n, 2n], [5n, 6n]));
  await t.commit({ actions: [{ add: a }, { add: b }, { add: c }], operation: 'WRITE' });
  const del = await deleteRows(
    t.snapshot,
    new Map([
      [a.path, [1]],
      [b.path, [1]],
    ]),
  );
  const rounded = del.actions.map(
    (x): Action => ('add' in x ? { add: { ...x.add, stats: roundedLikeBefore(x.add.stats as string) } } : x),
  );
  await t.commit({ actions: rounded, operation: 'MERGE', readWholeTable: true });
  return { t, a, b, c };
}

describe('statsProblems / isSuspect (pure)', () => {
  const exact =
    '{"numRecords":3,"minValues":{"id":0,"counter":-9223372036854775808,"amount":-1.50,"n":0},"maxValues":{"id":2,"counter":9007199254740993,"amount":2.00,"n":2},"nullCount":{"id":0}}';

  it('flags bounds that do not parse as their column type, without the rows', () => {
    const bad =
      '{"numRecords":3,"minValues":{"counter":-9223372036854776000,"n":1.5,"amount":1e400},"maxValues":{"counter":9223372036854776000}}';
    expect(isSuspect({ stats: bad } as AddFile, SCHEMA)).toBe(true);
    expect(statsProblems(bad, undefined, SCHEMA).map((p) => [p.bound, p.column])).toEqual([
      ['min', 'counter'],
      ['min', 'n'],
      ['min', 'amount'],
      ['max', 'counter'],
    ]);
    expect(statsProblems('{"numRecords":', undefined, SCHEMA)[0]?.bound).toBe('stats');
  });

  it('with the rows: integral and decimal bounds must be exact, others only valid bounds', () => {
    const actual = exact;
    expect(statsProblems(exact, actual, SCHEMA)).toEqual([]);
    const rounded = roundedLikeBefore(exact); // max 9007199254740993 → 9007199254740992
    expect(statsProblems(rounded, actual, SCHEMA)).toEqual([
      expect.objectContaining({ bound: 'min', column: 'counter', found: '-9223372036854776000' }),
      expect.objectContaining({
        bound: 'max',
        column: 'counter',
        found: '9007199254740992',
        actual: '9007199254740993',
      }),
    ]);
    expect(statsProblems(exact.replace('"numRecords":3', '"numRecords":4'), actual, SCHEMA)[0]?.bound).toBe(
      'numRecords',
    );
  });

  it('suspects only stats a double could have changed', () => {
    const small =
      '{"numRecords":1,"minValues":{"counter":-5,"amount":1.25},"maxValues":{"counter":9007199254740991}}';
    const wide = struct(field('counter', 'long'), field('amount', decimal(10, 2)));
    expect(isSuspect({ stats: small } as AddFile, wide)).toBe(false);
    expect(isSuspect({ stats: small.replace('9007199254740991', '9007199254740992') } as AddFile, wide)).toBe(
      true,
    );
    // decimal(38,2) holds more digits than a double: suspect once a vector rewrite has touched the file
    expect(isSuspect({ stats: small } as AddFile, SCHEMA)).toBe(false);
    const withVector = {
      stats: small,
      deletionVector: { storageType: 'u', pathOrInlineDv: 'x', sizeInBytes: 1, cardinality: 1 },
    };
    expect(isSuspect(withVector as AddFile, SCHEMA)).toBe(true);
  });
});

describe('repairStats', () => {
  it('finds the files a rounding writer damaged, lists them in a dry run, and commits exact stats', async () => {
    const { storage } = temp();
    const { t, a, b, c } = await corruptedTable(storage);
    const before = t.version;
    const dry = await repairStats(t, { dryRun: true });
    expect(dry.commits).toEqual([]);
    expect(t.version).toBe(before);
    expect(dry.repairs.map((r) => r.path).sort()).toEqual([a.path, b.path].sort());
    expect(dry.read).toBe(2); // c is not suspect: not read
    const damagedA = dry.repairs.find((r) => r.path === a.path);
    expect(damagedA?.problems.map((p) => `${p.bound} ${p.column} ${p.found}`)).toEqual(
      expect.arrayContaining(['min counter -9223372036854776000', 'max counter 9007199254740992']),
    );

    const progress: number[] = [];
    const done = await repairStats(t, { onProgress: (p) => progress.push(p.checked) });
    expect(done.commits).toEqual([before + 1]);
    expect(progress.at(-1)).toBe(3);
    const commit = (await t.history(1))[0];
    expect(commit?.commitInfo?.operation).toBe('COMPUTE STATS');
    const commitActions = parseActions(
      new TextDecoder().decode(await storage.get(`_delta_log/${String(before + 1).padStart(20, '0')}.json`)),
      'v',
    );
    expect(
      commitActions.filter((x) => 'add' in x).map((x) => ('add' in x ? x.add.dataChange : true)),
    ).toEqual([false, false]);
    for (const f of [a, b]) {
      const live = t.snapshot.liveFile(f.path) as AddFile;
      // same file, same vector, no data change; stats of its physical rows, not tight (it has a vector)
      expect(commitActions.filter((x) => 'remove' in x)).toEqual([]);
      expect(live.deletionVector).toBeDefined();
      expect(live.size).toBe(f.size);
      const expected = f.stats?.replace(/}$/, ',"tightBounds":false}');
      expect(live.stats).toBe(expected);
    }
    expect(t.snapshot.liveFile(c.path)?.stats).toBe(c.stats);
    const stats = parseJson(t.snapshot.liveFile(a.path)?.stats as string) as Record<
      string,
      Record<string, unknown>
    >;
    expect([stats.minValues?.counter, stats.maxValues?.counter]).toEqual([MIN, 2n ** 53n + 1n]);
    // nothing left: a second run finds nothing to do
    expect((await repairStats(t)).repairs).toEqual([]);
  });

  it('a repair that races a writer starts the chunk again on the new table', async () => {
    const { storage } = temp();
    const { a } = await corruptedTable(storage);
    // The repair's commit meets a writer that just gave file a a new vector (keeping its rounded stats text).
    let race: (() => Promise<void>) | undefined = async () => {
      const other = await DeltaTable.open(storage);
      const del = await deleteRows(other.snapshot, new Map([[a.path, [0]]]));
      await other.commit({ actions: del.actions, operation: 'MERGE', readWholeTable: true });
    };
    const racing: Storage = Object.create(storage, {
      putIfAbsent: {
        value: async (path: string, data: Uint8Array) => {
          const run = race;
          race = undefined;
          if (run && path.startsWith('_delta_log/')) await run();
          return storage.putIfAbsent(path, data);
        },
      },
    });
    const t = await DeltaTable.open(racing);
    const result = await repairStats(t);
    expect(race).toBeUndefined();
    expect(result.commits).toEqual([4]); // v3 is the writer's
    await t.update();
    const live = t.snapshot.liveFile(a.path) as AddFile;
    expect(live.deletionVector?.cardinality).toBe(2); // the writer's vector, kept
    const stats = parseJson(live.stats as string) as Record<string, Record<string, unknown>>;
    expect([stats.minValues?.counter, stats.maxValues?.counter]).toEqual([MIN, 2n ** 53n + 1n]);
  });
});

describe('delta-log repair-stats (CLI)', () => {
  async function cli(...args: string[]) {
    let stdout = '';
    let stderr = '';
    const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stdout += String(chunk);
      return true;
    });
    const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stderr += String(chunk);
      return true;
    });
    try {
      return { code: await main(['node', 'delta-log', ...args]), stdout, stderr };
    } finally {
      out.mockRestore();
      err.mockRestore();
    }
  }

  it('dry run lists, a run commits, progress goes to stderr', async () => {
    const { dir, storage } = temp();
    const { a } = await corruptedTable(storage);
    const dry = await cli('repair-stats', dir, '--dry-run');
    expect(dry.code).toBe(0);
    const listed = parseJson(dry.stdout) as {
      dryRun: boolean;
      repairs: { path: string }[];
      commits: number[];
    };
    expect(listed.dryRun).toBe(true);
    expect(listed.repairs.map((r) => r.path)).toContain(a.path);
    expect(dry.stderr).toMatch(/repair-stats: checked 3\/3 files, read 2, 2 to repair/);
    const run = await cli('repair-stats', dir);
    expect((parseJson(run.stdout) as { commits: number[] }).commits).toEqual([3]);
    expect(run.stderr).toMatch(/committed 3/);
  });
});
