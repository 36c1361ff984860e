/**
 * The reported failure, with the independent readers: a mirror-like table whose long statistics sit at ±2^63 and
 * 2^53 + 1, whose files get deletion vectors rewritten again and again (before and after a checkpoint), must open
 * and read the same in delta-rs and Spark, and a filter on those values must find its rows in both. Before the fix
 * the DV rewrites rounded the bounds: delta-rs 1.6.6 then dropped the statistics it could not parse as longs (no
 * file skipping), and Spark skipped the file whose rounded min (…400) sits above a value it holds (…395) — the row
 * was silently missing from `WHERE counter = 617283945061728395` (this test failed there).
 * And the other way round: a checkpoint Spark writes with statistics only as `stats_parsed` reads back exactly.
 */
import { readWithDeltaRs, type SparkSession, sortRows, startSpark } from '@delta-writer/test-readers';
import * as A from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Action } from '../src/actions.js';
import { repairStats } from '../src/maintenance/repair-stats.js';
import { decimal, field, struct } from '../src/schema/types.js';
import { Snapshot } from '../src/snapshot.js';
import { FsStorage } from '../src/storage/fs.js';
import { DeltaTable } from '../src/table.js';
import { parseJson } from '../src/util/json.js';
import { encodeRows } from '../src/util/row-encoding.js';
import { writeDataFile } from '../src/write/data-file.js';
import { deleteRows } from '../src/write/deletion-vector.js';
import { useTempStorage } from './helpers/tmp.js';

const temp = useTempStorage();
let spark: SparkSession;

beforeAll(async () => {
  spark = await startSpark();
}, 300_000);

afterAll(async () => {
  await spark?.close();
});

const MIN = -(2n ** 63n);
const MAX = 2n ** 63n - 1n;
const SAFE_PLUS = 2n ** 53n + 1n;

function file(ids: number[], longs: bigint[], decimals: bigint[], micros: bigint[]): A.Table {
  const n = ids.length;
  const words = new Uint32Array(n * 4);
  decimals.forEach((v, i) => {
    let x = BigInt.asUintN(128, v);
    for (let k = 0; k < 4; k++) {
      words[i * 4 + k] = Number(x & 0xffffffffn);
      x >>= 32n;
    }
  });
  const fields = [
    new A.Field('id', new A.Int64(), true),
    new A.Field('counter', new A.Int64(), true),
    new A.Field('amount', new A.Decimal(6, 38, 128), true),
    new A.Field('at', new A.TimestampMicrosecond('UTC'), true),
  ];
  const children = [
    A.makeData({ type: new A.Int64(), length: n, nullCount: 0, data: BigInt64Array.from(ids, BigInt) }),
    A.makeData({ type: new A.Int64(), length: n, nullCount: 0, data: BigInt64Array.from(longs) }),
    A.makeData({ type: new A.Decimal(6, 38, 128), length: n, nullCount: 0, data: words }),
    A.makeData({
      type: new A.TimestampMicrosecond('UTC'),
      length: n,
      nullCount: 0,
      data: BigInt64Array.from(micros),
    } as never),
  ];
  const schema = new A.Schema(fields);
  const data = A.makeData({ type: new A.Struct(fields), length: n, nullCount: 0, children });
  return new A.Table(schema, [new A.RecordBatch(schema, data)]);
}

async function ourRows(dir: string, where?: (r: Record<string, unknown>) => boolean) {
  const snap = await Snapshot.load(new FsStorage(dir));
  const scan = snap.scan();
  const rows: Record<string, unknown>[] = [];
  for await (const b of scan.batches()) for (const r of encodeRows(b, scan.schema)) rows.push(r);
  return sortRows((where ? rows.filter(where) : rows) as never);
}

describe('int64 statistics at the edges', () => {
  it('a table whose vectors were rewritten opens and filters correctly in delta-rs and Spark', async () => {
    const { dir, storage } = temp();
    const t = await DeltaTable.create(storage, '', {
      schema: struct(
        field('id', 'long'),
        field('counter', 'long'),
        field('amount', decimal(38, 6)),
        field('at', 'timestamp'),
        field('region', 'string'),
      ),
      partitionColumns: ['region'],
      configuration: { 'delta.enableDeletionVectors': 'true' },
    });
    const D = 10n ** 38n - 1n;
    const Y1 = -62_135_596_800_000_000n; // 0001-01-01T00:00:00Z
    const Y9999 = 253_402_300_799_999_999n; // 9999-12-31T23:59:59.999999Z
    const a = await writeDataFile(
      t.snapshot,
      file([0, 1, 2, 3], [MIN, 5n, SAFE_PLUS, 7n], [-D, 0n, D, 1n], [Y1, 0n, Y9999, 1n]),
      { partitionValues: { region: 'eu' } },
    );
    const b = await writeDataFile(
      t.snapshot,
      file(
        [10, 11, 12, 13],
        [617283945061728395n, 617283945061728400n, MAX, 9n],
        [1n, 2n, 3n, 4n],
        [5n, 6n, 7n, 8n],
      ),
      { partitionValues: { region: 'us' } },
    );
    // A file whose values all round to one double: its rounded min (…400) is above the value it holds (…395).
    const near = 617283945061728395n;
    const c = await writeDataFile(
      t.snapshot,
      file([20, 21, 22, 23], [near, near + 1n, near + 2n, near + 3n], [5n, 6n, 7n, 8n], [9n, 9n, 9n, 9n]),
      {
        partitionValues: { region: 'us' },
      },
    );
    await t.commit({ actions: [{ add: a }, { add: b }, { add: c }], operation: 'WRITE' });
    // Upserts rewrite the vectors of the same files again and again (v2, v3), then a checkpoint, then v4.
    for (const rows of [[1], [3]]) {
      const del = await deleteRows(
        t.snapshot,
        new Map([
          [a.path, rows],
          [b.path, rows],
          [c.path, rows],
        ]),
      );
      await t.commit({ actions: del.actions, operation: 'MERGE', readWholeTable: true });
    }
    await t.checkpoint();
    const del = await deleteRows(t.snapshot, new Map([[b.path, [1]]]));
    await t.commit({ actions: del.actions, operation: 'MERGE', readWholeTable: true });
    const ours = await ourRows(dir);
    expect(ours.map((r) => r.id)).toEqual(['0', '10', '12', '20', '22', '2']);
    for (const read of [await readWithDeltaRs(dir), await spark.read(dir)]) {
      expect(read.version, read.engine).toBe(4);
      expect(sortRows(read.rows), read.engine).toEqual(ours);
    }
    for (const value of [MIN, SAFE_PLUS, near, MAX]) {
      const want = await ourRows(dir, (r) => r.counter === String(value));
      expect(want.length).toBe(value === near ? 2 : 1);
      const rs = await readWithDeltaRs(dir, { where: `counter = ${value}` });
      expect(sortRows(rs.rows), `delta-rs counter = ${value}`).toEqual(want);
      const sp = await spark.sql(`SELECT * FROM delta.\`${dir}\` WHERE counter = ${value}`);
      expect(sortRows(sp.rows), `Spark counter = ${value}`).toEqual(want);
    }
    const stats = parseJson(t.snapshot.liveFile(a.path)?.stats as string) as Record<
      string,
      Record<string, unknown>
    >;
    expect([stats.minValues?.counter, stats.maxValues?.counter]).toEqual([MIN, SAFE_PLUS]);
  }, 300_000);

  it('a Spark checkpoint with stats only as stats_parsed reads back with exact longs and decimals', async () => {
    const { dir } = temp();
    await spark.write(dir, {
      schema: {
        type: 'struct',
        fields: [
          { name: 'id', type: 'long', nullable: true },
          { name: 'amount', type: 'decimal(38,6)', nullable: true },
        ],
      },
      properties: {
        'delta.checkpoint.writeStatsAsJson': 'false',
        'delta.checkpoint.writeStatsAsStruct': 'true',
      },
      rows: [
        { id: String(MIN), amount: '-99999999999999999999999999999999.999999' },
        { id: String(SAFE_PLUS), amount: '99999999999999999999999999999999.999999' },
      ],
      steps: [{ op: 'checkpoint' }],
    });
    const snap = await Snapshot.load(new FsStorage(dir));
    // Spark may write one file per row: take the bounds over all files.
    const bounds = snap.files().map((add) => {
      const stats = parseJson(add.stats as string) as Record<string, Record<string, unknown>>;
      return [
        stats.minValues?.id,
        stats.maxValues?.id,
        String(stats.minValues?.amount),
        String(stats.maxValues?.amount),
      ];
    });
    expect(bounds.flatMap((b) => b.slice(0, 2))).toEqual(expect.arrayContaining([MIN, SAFE_PLUS]));
    expect(bounds.flatMap((b) => b.slice(2))).toEqual(
      expect.arrayContaining([
        '-99999999999999999999999999999999.999999',
        '99999999999999999999999999999999.999999',
      ]),
    );
    // our own reader skips by those stats: a max rounded to 2^53 would skip the file holding 2^53 + 1
    const scan = snap.scan({ predicate: { column: 'id', op: '=', value: SAFE_PLUS } });
    const rows = (await scan.toTable()).toArray().map((r) => r.toJSON().id);
    expect(rows).toContain(SAFE_PLUS);
  }, 300_000);

  it('repair-stats fixes a table damaged the way the bug did: Spark loses a row before, delta-rs and Spark find it after', async () => {
    const { dir, storage } = temp();
    const t = await DeltaTable.create(storage, '', {
      schema: struct(
        field('id', 'long'),
        field('counter', 'long'),
        field('amount', decimal(38, 6)),
        field('at', 'timestamp'),
      ),
      configuration: { 'delta.enableDeletionVectors': 'true' },
    });
    const near = 617283945061728395n;
    const add = await writeDataFile(
      t.snapshot,
      file([0, 1, 2, 3], [near, near + 1n, near + 2n, near + 3n], [1n, 2n, 3n, 4n], [5n, 6n, 7n, 8n]),
    );
    await t.commit({ actions: [{ add }], operation: 'WRITE' });
    // A deletion-vector rewrite as it was before the fix: stats through JSON.parse → JSON.stringify.
    const del = await deleteRows(t.snapshot, new Map([[add.path, [3]]]));
    const damaged = del.actions.map(
      (x): Action =>
        'add' in x
          ? {
              add: {
                ...x.add,
                stats: JSON.stringify({ ...JSON.parse(x.add.stats as string), tightBounds: false }),
              },
            }
          : x,
    );
    await t.commit({ actions: damaged, operation: 'MERGE', readWholeTable: true });
    // Pinned versions: a Spark session may plan an unpinned path query on the snapshot it cached earlier.
    const query = (v: number) => `SELECT * FROM delta.\`${dir}\` VERSION AS OF ${v} WHERE counter = ${near}`;
    expect((await spark.sql(query(2))).rows, 'Spark skips the file by its rounded min').toEqual([]);

    const result = await repairStats(t);
    expect(result.repairs.map((r) => r.problems.map((p) => `${p.bound} ${p.found} → ${p.actual}`))).toEqual([
      [`min 617283945061728400 → ${near}`, `max 617283945061728400 → ${near + 3n}`],
    ]);
    const want = await ourRows(dir, (r) => r.counter === String(near));
    expect(want.map((r) => r.id)).toEqual(['0']);
    const full = await spark.read(dir);
    expect({ v: full.version, rows: full.rows.map((r) => r.id) }).toEqual({ v: 3, rows: ['0', '1', '2'] });
    expect(sortRows((await spark.sql(query(3))).rows)).toEqual(want);
    const rs = await readWithDeltaRs(dir, { where: `counter = ${near}` });
    expect(rs.version).toBe(3);
    expect(sortRows(rs.rows)).toEqual(want);
    expect(sortRows((await readWithDeltaRs(dir)).rows)).toEqual(await ourRows(dir));
  }, 300_000);
});
