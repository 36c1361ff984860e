import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stackEnv, uniqueName } from '../../src/stack.js';

// PostgreSQL → Debezium 3.6 (Kafka Connect standalone) → Kafka, all real: a connector registered over
// Connect's REST API streams a snapshot row and then an INSERT, an UPDATE and a DELETE of a table, and
// each arrives in Kafka as a Debezium envelope in Connect's JSON-with-schema form.
const env = stackEnv();
const name = uniqueName('dw');
const table = `orders_${name}`;
const topicPrefix = name.replaceAll('_', '-');
const topic = `${topicPrefix}.public.${table}`;
const db = new pg.Client(env.pg);
const kafka = new Kafka({ clientId: 'stack-tests', brokers: env.kafkaBrokers, logLevel: logLevel.NOTHING });
const admin = kafka.admin();
const consumer = kafka.consumer({ groupId: `${name}-reader` });

interface Change {
  key: { payload: { id: number } } | null;
  value: { schema: { name: string }; payload: Envelope } | null;
}
interface Envelope {
  op: 'r' | 'c' | 'u' | 'd';
  before: Row | null;
  after: Row | null;
  source: { connector: string; version: string; schema: string; table: string; db: string; lsn: number };
}
type Row = { id: number; item: string; qty: number };

async function connect(method: string, path: string, body?: unknown): Promise<Response> {
  const res = await fetch(`${env.connectUrl}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status >= 400 && res.status !== 404)
    throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res;
}

/** Polls until `check` returns a value; bounded so a stuck pipeline fails with what it last saw. */
async function eventually<T>(what: string, check: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const deadline = Date.now() + 90_000;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

const changes: Change[] = [];

beforeAll(async () => {
  await db.connect();
  await admin.connect();
  await db.query(`create table ${table} (id int primary key, item text not null, qty int not null)`);
  await db.query(`alter table ${table} replica identity full`); // full 'before' images on UPDATE and DELETE
  await db.query(`insert into ${table} values (1, 'apple', 3)`);
});

afterAll(async () => {
  await consumer.disconnect();
  await connect('DELETE', `/connectors/${name}`).catch(() => undefined);
  // the slot stays active until the task has stopped; a slot left behind would hold WAL forever
  await eventually('the replication slot to be dropped', async () => {
    const r = await db.query('select active from pg_replication_slots where slot_name = $1', [name]);
    if (r.rowCount === 0) return true;
    if (!r.rows[0].active) await db.query('select pg_drop_replication_slot($1)', [name]);
    return undefined;
  }).catch(() => undefined);
  await db.query(`drop publication if exists ${name}`);
  await db.query(`drop table if exists ${table}`);
  await db.end();
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await admin.disconnect();
});

describe('Debezium PostgreSQL connector on the local stack', () => {
  it('streams INSERT, UPDATE and DELETE into Kafka as Debezium envelopes', async () => {
    await connect('PUT', `/connectors/${name}/config`, {
      'connector.class': 'io.debezium.connector.postgresql.PostgresConnector',
      'tasks.max': '1',
      'plugin.name': 'pgoutput',
      'database.hostname': env.pg.host,
      'database.port': String(env.pg.port),
      'database.user': env.pg.user,
      'database.password': env.pg.password,
      'database.dbname': env.pg.database,
      'topic.prefix': topicPrefix,
      'table.include.list': `public.${table}`,
      'slot.name': name,
      'publication.name': name,
      'publication.autocreate.mode': 'filtered',
      'snapshot.mode': 'initial',
      // the broker does not auto-create topics: Connect creates Debezium's, with these settings
      'topic.creation.default.replication.factor': '1',
      'topic.creation.default.partitions': '1',
    });
    await eventually('the connector task to run', async () => {
      const status = (await (await connect('GET', `/connectors/${name}/status`)).json()) as {
        tasks?: { state: string; trace?: string }[];
      };
      const task = status.tasks?.[0];
      if (task?.state === 'FAILED') throw new Error(task.trace);
      return task?.state === 'RUNNING' ? true : undefined;
    });

    // the snapshot row creates the topic; read it, and everything after it
    await eventually('the topic', async () =>
      (await admin.listTopics()).includes(topic) ? true : undefined,
    );
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        changes.push({
          key: message.key ? JSON.parse(message.key.toString()) : null,
          value: message.value ? JSON.parse(message.value.toString()) : null,
        });
      },
    });
    await eventually('the snapshot row', () => (changes.length >= 1 ? true : undefined));

    await db.query(`insert into ${table} values (2, 'pear', 1)`);
    await db.query(`update ${table} set qty = 5 where id = 1`);
    await db.query(`delete from ${table} where id = 2`);
    await eventually('the delete tombstone', () => (changes.length >= 5 ? true : undefined));

    const envelopes = changes.map((c) => c.value?.payload ?? null);
    expect(changes.map((c) => c.key?.payload.id)).toEqual([1, 2, 1, 2, 2]);
    expect(envelopes.map((e) => e?.op ?? 'tombstone')).toEqual(['r', 'c', 'u', 'd', 'tombstone']);
    const [snapshot, insert, update, del] = envelopes;
    expect(snapshot).toMatchObject({ before: null, after: { id: 1, item: 'apple', qty: 3 } });
    expect(insert).toMatchObject({ before: null, after: { id: 2, item: 'pear', qty: 1 } });
    expect(update).toMatchObject({ before: { id: 1, qty: 3 }, after: { id: 1, item: 'apple', qty: 5 } });
    expect(del).toMatchObject({ before: { id: 2, item: 'pear', qty: 1 }, after: null });
    for (const change of changes.slice(0, 4)) {
      expect(change.value?.schema.name).toBe(`${topic}.Envelope`);
      expect(change.value?.payload.source).toMatchObject({
        connector: 'postgresql',
        version: '3.6.1.Final',
        db: env.pg.database,
        schema: 'public',
        table,
      });
    }
    // streamed changes carry increasing log positions
    const lsns = envelopes.slice(1, 4).map((e) => e?.source.lsn ?? 0);
    expect([...lsns].sort((a, b) => a - b)).toEqual(lsns);
  }, 180_000);
});
