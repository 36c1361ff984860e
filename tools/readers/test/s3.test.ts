import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readWithDeltaRs, type SparkSession, sortRows, startSpark, writeWithDeltaRs } from '../src/index.js';
import { ALL_TYPES, ALL_TYPES_ROWS } from './support/tables.js';

// The local stack's S3 server (./dw stack up; endpoints in .data/stack/env). Without it this file fails
// on purpose, with one line naming what is missing: S3 is never mocked.
const REQUIRED = ['DW_S3_ENDPOINT', 'DW_S3_BUCKET', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'] as const;

function requireStack(): string {
  const missing = REQUIRED.filter((name) => !process.env[name]);
  if (missing.length > 0) {
    throw new Error(
      `S3 round trip needs ${missing.join(', ')}: start the local stack (./dw stack up) and load .data/stack/env`,
    );
  }
  return `s3://${process.env.DW_S3_BUCKET}/test-readers/${randomUUID()}`;
}

let prefix: string;
let spark: SparkSession;

beforeAll(async () => {
  prefix = requireStack();
  spark = await startSpark();
});

afterAll(async () => {
  await spark?.close();
});

describe('tables on S3 (path-style, plain HTTP)', () => {
  const spec = { schema: ALL_TYPES, partitionBy: ['region'], rows: ALL_TYPES_ROWS };

  it('delta-rs writes, Spark and delta-rs read the same values', async () => {
    const uri = `${prefix}/by-delta-rs`;
    await writeWithDeltaRs(uri, { ...spec, steps: [{ op: 'checkpoint' }] });
    for (const read of [await spark.read(uri), await readWithDeltaRs(uri)]) {
      expect(read.partitionColumns).toEqual(['region']);
      expect(sortRows(read.rows)).toEqual(sortRows(ALL_TYPES_ROWS));
    }
  });

  it('Spark writes, delta-rs and Spark read the same values', async () => {
    const uri = `${prefix}/by-spark`;
    const written = await spark.write(uri, spec);
    expect(written.version).toBe(0);
    for (const read of [await readWithDeltaRs(uri), await spark.read(uri)]) {
      expect(read.version).toBe(0);
      expect(sortRows(read.rows)).toEqual(sortRows(ALL_TYPES_ROWS));
    }
  });
});
