/**
 * The PostgreSQL source of pipeline 1: a table in the stack's PostgreSQL, captured by the stack's Kafka Connect with
 * the Debezium PostgreSQL connector (registered over Connect's REST API, as deploy/local/README.md describes). Every
 * change is made by one statement whose RETURNING clause renders the row the way the table must hold it, so the
 * expected changelog comes from PostgreSQL itself.
 */
import pg from 'pg';
import type { StackEnv } from '../stack.js';
import { eventually } from './wait.js';

/** One row change as PostgreSQL made it, rendered in the readers' value encoding (null columns left out). */
export interface PgChange {
  op: 'r' | 'c' | 'u' | 'd';
  id: string;
  row: Record<string, unknown>;
}

/**
 * The columns as the readers encode Delta values: longs and decimals as text, timestamps as ISO µs UTC, arrays of
 * longs as arrays of text. `numeric` without a scale arrives from Debezium 3.6 (pgoutput, VariableScaleDecimal)
 * without trailing fractional zeros — '1.50' comes as scale 1, value 15 (seen in the topic) — so it is rendered
 * through `trim_scale`.
 */
const RENDER = `id::text as id, name, amount::text as amount, trim_scale(ratio)::text as ratio,
  to_char(at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as at, doc::text as doc, ref::text as ref,
  tags, case when scores is null then null else coalesce(
    (select array_agg(s::text order by o) from unnest(scores) with ordinality as u(s, o)), '{}') end as scores`;

export class PostgresSource {
  readonly db: pg.Client;
  private noteColumn = false;

  constructor(
    private readonly env: StackEnv,
    /** Names the connector, its slot and publication, the table, and the topic prefix. */
    readonly name: string,
  ) {
    this.db = new pg.Client(env.pg);
  }

  get table(): string {
    return `orders_${this.name.replaceAll('-', '_')}`;
  }

  get topicPrefix(): string {
    return this.name;
  }

  get topic(): string {
    return `${this.topicPrefix}.public.${this.table}`;
  }

  private get slot(): string {
    return this.name.replaceAll('-', '_');
  }

  async createTable(): Promise<void> {
    await this.db.connect();
    await this.db.query(`create table ${this.table} (
      id int primary key, name text not null, amount numeric(12,2), ratio numeric, at timestamptz,
      doc jsonb, ref uuid, tags text[], scores int[])`);
    await this.db.query(`alter table ${this.table} replica identity full`); // full 'before' on UPDATE and DELETE
  }

  async connector(method: string, path: string, body?: unknown): Promise<Response> {
    const res = await fetch(`${this.env.connectUrl}/connectors/${this.name}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (res.status >= 400 && res.status !== 404)
      throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return res;
  }

  /** Registers the connector (initial snapshot, then streaming) and waits until its task runs. */
  async startConnector(): Promise<void> {
    const { pg: p } = this.env;
    await this.connector('PUT', '/config', {
      'connector.class': 'io.debezium.connector.postgresql.PostgresConnector',
      'tasks.max': '1',
      'plugin.name': 'pgoutput',
      'database.hostname': p.host,
      'database.port': String(p.port),
      'database.user': p.user,
      'database.password': p.password,
      'database.dbname': p.database,
      'topic.prefix': this.topicPrefix,
      'table.include.list': `public.${this.table}`,
      'slot.name': this.slot,
      'publication.name': this.slot,
      'publication.autocreate.mode': 'filtered',
      'snapshot.mode': 'initial',
      'topic.creation.default.replication.factor': '1',
      'topic.creation.default.partitions': '1',
    });
    await eventually('the connector task to run', async () => {
      const status = (await (await this.connector('GET', '/status')).json()) as {
        tasks?: { state: string; trace?: string }[];
      };
      const task = status.tasks?.[0];
      if (task?.state === 'FAILED') throw new Error(task.trace);
      return task?.state === 'RUNNING' ? true : undefined;
    });
  }

  /** Rows as they are now, rendered (what the snapshot reads, what the table must replay into). */
  async select(): Promise<Map<string, Record<string, unknown>>> {
    const r = await this.db.query(`select ${this.render()} from ${this.table}`);
    return new Map(r.rows.map((row: Record<string, unknown>) => [String(row.id), clean(row)]));
  }

  async insert(id: number, values: Record<string, unknown>): Promise<PgChange> {
    const cols = Object.keys(values);
    const r = await this.db.query(
      `insert into ${this.table} (id, ${cols.join(', ')}) values ($1, ${cols.map((_, i) => `$${i + 2}`).join(', ')})
       returning ${this.render()}`,
      [id, ...Object.values(values)],
    );
    return { op: 'c', id: String(id), row: clean(r.rows[0]) };
  }

  async update(id: number, values: Record<string, unknown>): Promise<PgChange> {
    const cols = Object.keys(values);
    const r = await this.db.query(
      `update ${this.table} set ${cols.map((c, i) => `${c} = $${i + 2}`).join(', ')} where id = $1 returning ${this.render()}`,
      [id, ...Object.values(values)],
    );
    return { op: 'u', id: String(id), row: clean(r.rows[0]) };
  }

  /** A delete's event carries the whole old row (REPLICA IDENTITY FULL), which is the row the table holds for it. */
  async delete(id: number): Promise<PgChange> {
    const r = await this.db.query(`delete from ${this.table} where id = $1 returning ${this.render()}`, [id]);
    return { op: 'd', id: String(id), row: clean(r.rows[0]) };
  }

  /** ADD COLUMN while the connector streams: later events carry the new column. */
  async addNoteColumn(): Promise<void> {
    await this.db.query(`alter table ${this.table} add column note text`);
    this.noteColumn = true;
  }

  /** Deletes the connector, then its replication slot (a slot left behind holds WAL), publication and table. */
  async close(): Promise<void> {
    await this.connector('DELETE', '').catch(() => undefined);
    await eventually('the replication slot to be dropped', async () => {
      const r = await this.db.query('select active from pg_replication_slots where slot_name = $1', [
        this.slot,
      ]);
      if (r.rowCount === 0) return true;
      if (!r.rows[0].active) await this.db.query('select pg_drop_replication_slot($1)', [this.slot]);
      return undefined;
    }).catch(() => undefined);
    await this.db.query(`drop publication if exists ${this.slot}`).catch(() => undefined);
    await this.db.query(`drop table if exists ${this.table}`).catch(() => undefined);
    await this.db.end().catch(() => undefined);
  }

  private render(): string {
    return this.noteColumn ? `${RENDER}, note` : RENDER;
  }
}

function clean(row: Record<string, unknown> | undefined): Record<string, unknown> {
  if (!row) throw new Error('the statement changed no row');
  return Object.fromEntries(Object.entries(row).filter(([, v]) => v !== null));
}
