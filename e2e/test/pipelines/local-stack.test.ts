/**
 * Pipelines 1 and 2 on the local stack, read by one Spark session (it takes a minute to start on two busy cores):
 * PostgreSQL through the real Debezium connector, and MongoDB-shaped events from the generator. Each runs a whole
 * deployment — committer leader and standby, two ingestors — and checks every table with delta-rs, Spark and the
 * Delta log itself (src/pipelines/*.ts say what exactly).
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Readers } from '../../src/checks/readers.js';
import { endpointsOf } from '../../src/harness/s3.js';
import { mongoPipeline } from '../../src/pipelines/mongo.js';
import { postgresPipeline } from '../../src/pipelines/postgres.js';
import { stackEnv } from '../../src/stack.js';

const env = stackEnv();
const readers = new Readers(endpointsOf(env));
const session = inject('e2eSession');

beforeAll(() => readers.startSpark());
afterAll(() => readers.close());

describe('PostgreSQL → Debezium → Kafka → ingestors → committer → Delta', () => {
  it('holds every change exactly once, in source order, and replays into SELECT * FROM the source table', async () => {
    expect(await postgresPipeline(env, readers, session)).toEqual([]);
  });

  // The mirror table must equal SELECT * FROM the source table. Not yet: mirror tables (DELTA_WRITE_MODE=upsert)
  // are issue 7, still in design (docs/mirror-tables.md), and the ingestor refuses the mode until then. The
  // changelog replay above already makes the comparison the mirror table will get (checks/relational.ts).
  // Mirror tables run end to end in apps/ingestor/test/integration/mirror.test.ts (Kafka → ingestor → committer →
  // delta-rs); here they wait for the harness to start ingestors with DELTA_WRITE_MODE=both (issue 7).
  it.todo('mirror table equals SELECT * FROM the source table');
});

describe('MongoDB-shaped Debezium events → Kafka → ingestors → committer → Delta', () => {
  it('holds every event exactly once, and the changelog replays into each collection of the model', async () => {
    expect(await mongoPipeline(endpointsOf(env), readers, session)).toEqual([]);
  });

  // The mirror tables must equal the generator's model of each collection. Not yet, for the same reason (issue 7);
  // checks/verify.ts has the slot (MIRROR TABLE CHECK) next to the replay that compares with the same model.
  // See above: the harness does not start ingestors in DELTA_WRITE_MODE=both yet (issue 7).
  it.todo('mirror tables equal the generator model of each collection');
});
