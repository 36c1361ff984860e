/**
 * What exact numbers cost when the log is read and written: `parseActions` / `serializeActions` (parseJson with
 * its source-text reviver, stringifyJson with JSON.rawJSON) against the plain `JSON.parse` / `JSON.stringify` they
 * replaced, on the same commit lines in the same process, rounds alternating. Two workloads: a mirror commit's
 * `add` lines whose stats string holds longs at ±2^63 and 20-digit `_cdc_seq` bounds (the scan for long numbers
 * hops over strings, so these take the plain parse too), and lines with small numbers only. The reviver path is
 * for lines with a long number outside strings (another writer's `txn.version` beyond 2^53): rare.
 * Run: `./dw pnpm --filter @delta-writer/delta-log bench:json`.
 */
import { parseActions, serializeActions, validateAction } from '../src/actions.js';

const LINES = Number(process.env.BENCH_LINES ?? 20_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9);

function addLine(i: number, big: boolean): string {
  const min = big ? '-9223372036854775808' : String(-i);
  const max = big ? '9223372036854775807' : String(i * 7);
  // Our tables' `_cdc_seq` bounds are 20-digit strings (inside the stats string, like the longs).
  const seq = big ? `"_cdc_seq":"00000001760000000000.00000000000",` : '';
  const stats = `{"numRecords":2000,"minValues":{"_id":"000000000000000000000000","counter":${min},"price":0.5,${seq}"_kafka_offset":${i * 2000}},"maxValues":{"_id":"ffffffffffffffffffffffff","counter":${max},"price":99.99,${seq}"_kafka_offset":${i * 2000 + 1999}},"nullCount":{"_id":0,"counter":0,"price":12,"_kafka_offset":0},"tightBounds":false}`;
  return JSON.stringify({
    add: {
      path: `part-00000-${i.toString(16).padStart(8, '0')}-c000.zstd.parquet`,
      partitionValues: {},
      size: 1_234_567 + i,
      modificationTime: 1_760_000_000_000 + i,
      dataChange: true,
      stats,
      deletionVector: {
        storageType: 'u',
        pathOrInlineDv: 'ab^-aqEH.-t@S}K{vb[*k^',
        offset: 1,
        sizeInBytes: 36,
        cardinality: 3,
      },
    },
  });
}

function time(f: () => unknown): number {
  const t0 = process.hrtime.bigint();
  f();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

for (const big of [true, false]) {
  const text = `${Array.from({ length: LINES }, (_, i) => addLine(i, big)).join('\n')}\n`;
  // what parseActions did before: JSON.parse per line, then the same validation
  const plain = () =>
    text
      .split('\n')
      .filter(Boolean)
      .map((l, i) => validateAction(JSON.parse(l), { file: 'bench.json', line: i + 1 }));
  const ours = () => parseActions(text, 'bench.json');
  const actions = ours();
  const plainWrite = () =>
    actions.map((a) => JSON.stringify(a, (_k, v) => (typeof v === 'bigint' ? Number(v) : v))).join('\n');
  const oursWrite = () => serializeActions(actions);
  for (let i = 0; i < 3; i++) for (const f of [plain, ours, plainWrite, oursWrite]) f();
  const best = { plain: Infinity, ours: Infinity, plainWrite: Infinity, oursWrite: Infinity };
  for (let r = 0; r < ROUNDS; r++) {
    const order = r % 2 === 0 ? ([plain, ours] as const) : ([ours, plain] as const);
    for (const f of order) {
      const ms = time(f);
      if (f === plain) best.plain = Math.min(best.plain, ms);
      else best.ours = Math.min(best.ours, ms);
    }
    best.plainWrite = Math.min(best.plainWrite, time(plainWrite));
    best.oursWrite = Math.min(best.oursWrite, time(oursWrite));
  }
  const rate = (ms: number) => `${Math.round((LINES / ms) * 1000).toLocaleString('en')} lines/s`;
  console.log(
    `${LINES} add lines, ${big ? 'stats with longs at ±2^63 and _cdc_seq bounds' : 'small numbers only'}, best of ${ROUNDS}`,
  );
  console.log(
    `  read   JSON.parse + validate ${rate(best.plain)}   parseActions ${rate(best.ours)}   ratio ${(best.plain / best.ours).toFixed(2)}`,
  );
  console.log(
    `  write  JSON.stringify ${rate(best.plainWrite)}   serializeActions ${rate(best.oursWrite)}   ratio ${(best.plainWrite / best.oursWrite).toFixed(2)}`,
  );
}
