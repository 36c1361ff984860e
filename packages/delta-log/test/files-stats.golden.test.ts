/**
 * Golden test of `@delta-writer/delta-log/files` statistics: the stats computed from Spark-written Parquet files
 * equal the stats Spark put into the Delta log (compared by meaning: Spark writes timestamps in its session time zone
 * and floats in their shortest form). The columns are chosen by the table's schema and configuration, as a writer of
 * that table would.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { readParquet } from 'parquet-wasm';
import { describe, expect, it } from 'vitest';
import { arrowLeafStatistics, parseSchema, type StructType, statsJson } from '../src/files/index.js';
import { goldenDir } from './helpers/golden.js';

const tables = [
  'basic-decimal-table',
  'basic-with-inserts-updates',
  'data-reader-timestamp_ntz',
  'data-skipping-basic-stats-all-types',
  'data-skipping-change-stats-collected-across-versions',
  'data-skipping-partition-and-data-column',
  'kernel-timestamp-pst',
  'kernel-timestamp-timestamp_micros',
  'kernel-timestamp-timestamp_millis',
  'parquet-all-types',
  'parquet-decimal-type',
  'parquet-decimal-dictionaries',
];

interface Add {
  path: string;
  stats?: string;
  partitionValues: Record<string, string>;
  /** The table's configuration and schema when the file was added. */
  configuration: Record<string, string>;
  schema: StructType;
}

interface Action {
  add?: Omit<Add, 'configuration' | 'schema'>;
  metaData?: { configuration: Record<string, string>; schemaString: string };
}

function addsWithStats(tableDir: string): Add[] {
  const log = join(tableDir, '_delta_log');
  let configuration: Record<string, string> = {};
  let schema: StructType = { type: 'struct', fields: [] };
  const adds: Add[] = [];
  const actions = readdirSync(log)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .flatMap((f) => readFileSync(join(log, f), 'utf8').split('\n'))
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Action);
  for (const action of actions) {
    if (action.metaData) {
      configuration = action.metaData.configuration ?? {};
      schema = parseSchema(action.metaData.schemaString);
    }
    if (action.add?.stats && existsSync(join(tableDir, decodeURIComponent(action.add.path)))) {
      adds.push({ ...action.add, configuration, schema });
    }
  }
  return adds;
}

/** Same meaning: equal numbers (float32 after rounding), equal strings, equal instants. */
function sameBound(ours: unknown, spark: unknown): boolean {
  if (typeof spark === 'number' && typeof ours === 'number')
    return ours === spark || Math.fround(ours) === Math.fround(spark);
  if (typeof spark === 'string' && typeof ours === 'string') {
    if (ours === spark) return true;
    const instant = (s: string) => Date.parse(/[zZ]|[+-]\d\d:\d\d$/.test(s) ? s : `${s}Z`);
    return /^\d{4}-\d\d-\d\dT/.test(spark) && instant(ours) === instant(spark);
  }
  if (typeof spark === 'object' && spark !== null && typeof ours === 'object' && ours !== null) {
    const keys = Object.keys(spark);
    return (
      keys.length === Object.keys(ours).length &&
      keys.every((k) =>
        sameBound((ours as Record<string, unknown>)[k], (spark as Record<string, unknown>)[k]),
      )
    );
  }
  return false;
}

describe('Delta stats against Spark-written golden tables', () => {
  it.each(tables)('%s', (name) => {
    const dir = join(goldenDir(name), 'delta');
    const adds = addsWithStats(dir);
    expect(adds.length).toBeGreaterThan(0);
    for (const add of adds) {
      const file = readFileSync(join(dir, decodeURIComponent(add.path)));
      const table = tableFromIPC(readParquet(file).intoIPCStream());
      const options = { exclude: Object.keys(add.partitionValues), configuration: add.configuration };
      const ours = JSON.parse(statsJson(add.schema, table.numRows, arrowLeafStatistics(table), options));
      const spark = JSON.parse(add.stats as string);
      expect(ours.numRecords, add.path).toBe(spark.numRecords);
      expect(ours.nullCount ?? {}, add.path).toEqual(spark.nullCount ?? {});
      for (const bound of ['minValues', 'maxValues'] as const) {
        const [o, sp] = [ours[bound] ?? {}, spark[bound] ?? {}];
        expect(
          sameBound(o, sp),
          `${add.path} ${bound}: ours ${JSON.stringify(o)} vs Spark ${JSON.stringify(sp)}`,
        ).toBe(true);
      }
    }
  });
});
