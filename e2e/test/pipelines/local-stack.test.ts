/**
 * Pipelines 1 and 2 on the local stack, read by one Spark session (it takes a minute to start on two busy cores):
 * PostgreSQL through the real Debezium connector, and MongoDB-shaped events from the generator. Each runs a whole
 * deployment — committer leader and standby, ingestors writing mirror and changelog tables — and checks every table
 * with delta-rs, Spark and the Delta log itself (src/pipelines/*.ts say what exactly).
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

// One run per pipeline checks both tables the ingestors write (DELTA_WRITE_MODE=both): the changelog and the mirror
// are two views of the same events, and a failure names the table (`mirror: …`, `replay: …`).
describe('PostgreSQL → Debezium → Kafka → ingestors → committer → Delta', () => {
  it('holds every change exactly once in source order, and both the replayed changelog and the mirror table equal SELECT * FROM the source table', async () => {
    expect(await postgresPipeline(env, readers, session)).toEqual([]);
  });
});

describe('MongoDB-shaped Debezium events → Kafka → ingestors → committer → Delta', () => {
  // The change_streams collection (no document, no pre-image in its updates) gets no mirror table: see
  // ingestorGroups in src/pipelines/mongo.ts for why it is written append-only.
  it('holds every event exactly once, and both the replayed changelog and the mirror tables equal the generator model of each collection', async () => {
    expect(await mongoPipeline(endpointsOf(env), readers, session)).toEqual([]);
  });
});
