/**
 * No number of the Delta log passes through a double. Random tables whose columns hold the edges of their types —
 * the whole int64 range (±2^63, 2^53 ± 1), decimal(38,6) at ±(10^38 − 1), timestamps of years 1 and 9999, dates
 * at the same edges, a long partition column, a txn version and a commitInfo field beyond 2^53 — go through every
 * path that rewrites an `add` or reads the log back: log replay, deletion-vector rewrites (twice), a checkpoint,
 * and a compaction the way the committer does it (scan the live rows, write one file, remove the old ones). The
 * stats text must come out byte for byte as it went in (only `tightBounds` set by a DV rewrite), partition values
 * and txn versions exactly, and the stats must equal the true bounds of the rows (computed here, independently).
 */
import * as A from 'apache-arrow';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AddFile } from '../src/actions.js';
import { decimal, field, struct } from '../src/schema/types.js';
import { Snapshot } from '../src/snapshot.js';
import { DeltaTable } from '../src/table.js';
import { JsonNumber, parseJson, sameDecimal } from '../src/util/json.js';
import { writeDataFile } from '../src/write/data-file.js';
import { deleteRows } from '../src/write/deletion-vector.js';
import { useTempStorage } from './helpers/tmp.js';

const temp = useTempStorage();

const I64_MIN = -(2n ** 63n);
const I64_MAX = 2n ** 63n - 1n;
const DEC_MAX = 10n ** 38n - 1n;
/** 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999999Z in µs. */
const TS_MIN = -62_135_596_800_000_000n;
const TS_MAX = 253_402_300_799_999_999n;
const DAY_MIN = -719_162;
const DAY_MAX = 2_932_896;

const long = fc.oneof(
  fc.constantFrom(I64_MIN, I64_MAX, 2n ** 53n + 1n, -(2n ** 53n) - 1n, 2n ** 53n, 617283945061728395n, 0n),
  fc.bigInt(I64_MIN, I64_MAX),
);
const unscaled = fc.oneof(fc.constantFrom(DEC_MAX, -DEC_MAX, 0n, 1n, -1n), fc.bigInt(-DEC_MAX, DEC_MAX));
const micros = fc.oneof(fc.constantFrom(TS_MIN, TS_MAX, 0n, -1n), fc.bigInt(TS_MIN, TS_MAX));
const days = fc.oneof(fc.constantFrom(DAY_MIN, DAY_MAX), fc.integer({ min: DAY_MIN, max: DAY_MAX }));
const dbl = fc.oneof(
  fc.constantFrom(Number.MAX_VALUE, -Number.MAX_VALUE, Number.MIN_VALUE, 0.1, 2 ** 53 + 2),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);
const nullable = <T>(a: fc.Arbitrary<T>) => fc.option(a, { freq: 6, nil: null });

interface Row {
  l: bigint | null;
  d: bigint | null;
  ts: bigint | null;
  dt: number | null;
  x: number | null;
}
const row: fc.Arbitrary<Row> = fc.record({
  l: nullable(long),
  d: nullable(unscaled),
  ts: nullable(micros),
  dt: nullable(days),
  x: nullable(dbl),
});
const file = fc.record({ p: long, rows: fc.array(row, { minLength: 2, maxLength: 6 }) });

const SCHEMA = struct(
  field('id', 'long'),
  field('l', 'long'),
  field('d', decimal(38, 6)),
  field('ts', 'timestamp'),
  field('dt', 'date'),
  field('x', 'double'),
  field('p', 'long'),
);

function validity(values: unknown[]): Uint8Array {
  const bits = new Uint8Array(Math.ceil(values.length / 8));
  values.forEach((v, i) => {
    if (v !== null) bits[i >> 3] = (bits[i >> 3] as number) | (1 << (i & 7));
  });
  return bits;
}

function column(type: A.DataType, values: (bigint | number | null)[]): A.Data {
  const n = values.length;
  const nullCount = values.filter((v) => v === null).length;
  const nullBitmap = validity(values);
  if (A.DataType.isDecimal(type)) {
    const words = new Uint32Array(n * 4);
    values.forEach((v, i) => {
      let x = BigInt.asUintN(128, (v as bigint | null) ?? 0n);
      for (let k = 0; k < 4; k++) {
        words[i * 4 + k] = Number(x & 0xffffffffn);
        x >>= 32n;
      }
    });
    return A.makeData({ type, length: n, nullCount, nullBitmap, data: words });
  }
  if (A.DataType.isDate(type)) {
    const data = Int32Array.from(values, (v) => (v as number | null) ?? 0);
    return A.makeData({ type, length: n, nullCount, nullBitmap, data });
  }
  if (A.DataType.isFloat(type)) {
    const data = Float64Array.from(values, (v) => (v as number | null) ?? 0);
    return A.makeData({ type, length: n, nullCount, nullBitmap, data });
  }
  const data = BigInt64Array.from(values, (v) => (v as bigint | null) ?? 0n);
  return A.makeData({ type, length: n, nullCount, nullBitmap, data } as never);
}

const TYPES = {
  id: new A.Int64(),
  l: new A.Int64(),
  d: new A.Decimal(6, 38, 128),
  ts: new A.TimestampMicrosecond('UTC'),
  dt: new A.DateDay(),
  x: new A.Float64(),
};

function arrowTable(rows: Row[], firstId: number): A.Table {
  const fields = Object.entries(TYPES).map(([name, type]) => new A.Field(name, type, true));
  const cols = [
    column(
      TYPES.id,
      rows.map((_, i) => BigInt(firstId + i)),
    ),
    column(
      TYPES.l,
      rows.map((r) => r.l),
    ),
    column(
      TYPES.d,
      rows.map((r) => r.d),
    ),
    column(
      TYPES.ts,
      rows.map((r) => r.ts),
    ),
    column(
      TYPES.dt,
      rows.map((r) => r.dt),
    ),
    column(
      TYPES.x,
      rows.map((r) => r.x),
    ),
  ];
  const schema = new A.Schema(fields);
  const data = A.makeData({ type: new A.Struct(fields), length: rows.length, nullCount: 0, children: cols });
  return new A.Table(schema, [new A.RecordBatch(schema, data)]);
}

// The expected bounds, computed from the rows with no help from the code under test.
const decimalText = (u: bigint) => {
  const digits = (u < 0n ? -u : u).toString().padStart(7, '0');
  return `${u < 0n ? '-' : ''}${digits.slice(0, -6)}.${digits.slice(-6)}`;
};
const floorMs = (us: bigint) => (us >= 0n ? us / 1000n : -((-us + 999n) / 1000n));
const isoMs = (us: bigint) => new Date(Number(floorMs(us))).toISOString();
const isoDay = (d: number) => new Date(d * 86_400_000).toISOString().slice(0, 10);

function expectBounds(stats: string, rows: Row[]): void {
  const s = parseJson(stats) as {
    numRecords: number;
    minValues: Record<string, unknown>;
    maxValues: Record<string, unknown>;
    nullCount: Record<string, number>;
  };
  expect(s.numRecords).toBe(rows.length);
  const bounds = <T>(values: (T | null)[], lt: (a: T, b: T) => boolean) => {
    const present = values.filter((v): v is T => v !== null);
    if (present.length === 0) return undefined;
    let [min, max] = [present[0] as T, present[0] as T];
    for (const v of present) {
      if (lt(v, min)) min = v;
      if (lt(max, v)) max = v;
    }
    return [min, max] as const;
  };
  const same = (name: string, got: unknown, want: string | undefined) => {
    if (want === undefined) return expect(got, name).toBeUndefined();
    if (!sameDecimal(String(got), want) && got !== want)
      throw new Error(`${name}: stats say ${got}, rows ${want}`);
  };
  const check = <T>(name: keyof Row, lt: (a: T, b: T) => boolean, show: (v: T) => string) => {
    const b = bounds(
      rows.map((r) => r[name] as T | null),
      lt,
    );
    same(`min ${name}`, s.minValues[name], b && show(b[0]));
    same(`max ${name}`, s.maxValues[name], b && show(b[1]));
    expect(s.nullCount[name], `nullCount ${name}`).toBe(rows.filter((r) => r[name] === null).length);
  };
  check<bigint>('l', (a, b) => a < b, String);
  check<bigint>('d', (a, b) => a < b, decimalText);
  check<bigint>('ts', (a, b) => a < b, isoMs);
  check<number>('dt', (a, b) => a < b, isoDay);
  check<number>(
    'x',
    (a, b) => a < b,
    (v) => String(v),
  );
  for (const k of ['l', 'd'] as const) {
    // long and decimal bounds are never doubles: digits a double cannot hold stay in the text
    for (const v of [s.minValues[k], s.maxValues[k]])
      if (v !== undefined)
        expect(typeof v === 'bigint' || typeof v === 'number' || v instanceof JsonNumber).toBe(true);
  }
}

const TIGHT = (stats: string) => `${stats.slice(0, -1)},"tightBounds":false}`;
const BIG_TXN = 2n ** 63n - 1n;

async function liveStats(storage: Parameters<typeof Snapshot.load>[0]): Promise<Map<string, AddFile>> {
  const snap = await Snapshot.load(storage);
  return new Map(snap.files().map((a) => [a.path, a]));
}

describe('log content keeps its numbers exactly', () => {
  it('stats, partition values, txn versions and commitInfo through replay, DV rewrites, checkpoints, compaction', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(file, { minLength: 1, maxLength: 3 }), async (files) => {
        const { storage } = temp();
        const t = await DeltaTable.create(storage, '', {
          schema: SCHEMA,
          partitionColumns: ['p'],
          configuration: { 'delta.enableDeletionVectors': 'true' },
        });
        let id = 0;
        const written: { add: AddFile; rows: Row[]; ids: number[] }[] = [];
        for (const f of files) {
          const ids = f.rows.map(() => id++);
          const add = await writeDataFile(t.snapshot, arrowTable(f.rows, ids[0] as number), {
            partitionValues: { p: f.p },
          });
          expect(add.partitionValues.p).toBe(String(f.p));
          expectBounds(add.stats as string, f.rows);
          written.push({ add, rows: f.rows, ids });
        }
        await t.commit({
          actions: written.map((w) => ({ add: w.add })),
          operation: 'WRITE',
          txns: [{ appId: 'edge', version: BIG_TXN }],
          commitInfo: { highWaterMark: BIG_TXN },
        });

        // log replay: every add exactly as written
        let live = await liveStats(storage);
        for (const w of written) {
          expect(live.get(w.add.path)?.stats).toBe(w.add.stats);
          expect(live.get(w.add.path)?.partitionValues).toEqual(w.add.partitionValues);
        }
        expect((await Snapshot.load(storage)).txnVersion('edge')).toBe(BIG_TXN);
        const [latest] = await t.history(1);
        expect(latest?.commitInfo?.highWaterMark).toBe(BIG_TXN);

        // deletion vectors, twice: only tightBounds changes, in the text
        for (const round of [0, 1]) {
          const del = await deleteRows(t.snapshot, new Map(written.map((w) => [w.add.path, [round]])));
          await t.commit({ actions: del.actions, operation: 'DELETE', readWholeTable: true });
          live = await liveStats(storage);
          for (const w of written) expect(live.get(w.add.path)?.stats).toBe(TIGHT(w.add.stats as string));
        }

        // a checkpoint, read back
        await t.checkpoint();
        const fromCheckpoint = await Snapshot.load(storage);
        expect(fromCheckpoint.txnVersion('edge')).toBe(BIG_TXN);
        for (const w of written) {
          const add = fromCheckpoint.liveFile(w.add.path);
          expect(add?.stats).toBe(TIGHT(w.add.stats as string));
          expect(add?.partitionValues).toEqual(w.add.partitionValues);
        }

        // compaction as the committer does it: the live rows of each file, one new file, the old one removed
        const snap = await t.update();
        const scan = snap.scan();
        const actions = [];
        const expected = new Map<string, Row[]>();
        for (const w of written) {
          const old = snap.liveFile(w.add.path) as AddFile;
          const [sf] = scan.filesOf([old]);
          const batches = await scan.readFile(sf as NonNullable<typeof sf>);
          const table = new A.Table(scan.arrowSchema, batches);
          const add = await writeDataFile(snap, table, {
            partitionValues: { p: BigInt(w.add.partitionValues.p as string) },
          });
          const liveRows = w.rows.slice(2);
          expected.set(add.path, liveRows);
          if (liveRows.length > 0) expectBounds(add.stats as string, liveRows);
          const remove = { path: old.path, dataChange: false, deletionVector: old.deletionVector };
          actions.push({ remove }, { add: { ...add, dataChange: false } });
        }
        await t.commit({ actions, operation: 'OPTIMIZE', readWholeTable: true });
        live = await liveStats(storage);
        expect([...live.keys()].sort()).toEqual([...expected.keys()].sort());

        // and the rows read back are the rows written (the columns and the partition column, exactly)
        const rows = (await (await Snapshot.load(storage)).scan().toTable()).toArray().map((r) => r.toJSON());
        const want = written.flatMap((w) =>
          w.rows.slice(2).map((r, i) => ({
            id: BigInt(w.ids[i + 2] as number),
            l: r.l,
            p: BigInt(w.add.partitionValues.p as string),
          })),
        );
        const got = rows.map((r) => ({
          id: r.id as bigint,
          l: (r.l ?? null) as bigint | null,
          p: r.p as bigint,
        }));
        expect(got.sort((a, b) => (a.id < b.id ? -1 : 1))).toEqual(want);
      }),
      { numRuns: 25 },
    );
  }, 120_000);
});
