/**
 * The connector interface: each record is decoded by the connector its `source.connector` names, a connector without
 * a file of its own decodes as the generic relational one, and each connector's position (`_cdc_seq`) is its own.
 * The MySQL events here are written for this test from the MySQL connector's documented `source` fields (`file`,
 * `pos`, `row`, `server_id`, `gtid`); the repository has no captured MySQL record yet.
 */
import { tableToIPC } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import {
  CONNECTORS,
  connectorNamed,
  connectorOfKey,
  relational,
} from '../src/debezium/connectors/registry.js';
import { Decoder } from '../src/debezium/record.js';
import type { ChangeEvent, DecodeResult, KafkaRecord } from '../src/debezium/types.js';
import { decodeBatch, type RecordSlab } from '../src/fast/batch.js';
import { fixture, testdataDir } from './helpers.js';

const rec = (topic: string, value: string | null, key: string | null = null): KafkaRecord => ({
  topic,
  partition: 0,
  offset: 1,
  key,
  value,
});

function change(r: DecodeResult): ChangeEvent {
  if (r.kind !== 'change') throw new Error(`expected a change, got ${JSON.stringify(r)}`);
  return r;
}

/** A MySQL connector event (schemaless JsonConverter), with `source.connector` replaceable. */
function mysqlEvent(connector = 'mysql', source: Record<string, unknown> = {}): string {
  return JSON.stringify({
    before: null,
    after: { id: 1004, first_name: 'Anne', email: 'annek@noanswer.org' },
    source: {
      version: '2.7.0.Final',
      connector,
      name: 'mysql-server-1',
      ts_ms: 1_700_000_000_000,
      snapshot: 'false',
      db: 'inventory',
      table: 'customers',
      server_id: 223344,
      gtid: null,
      file: 'mysql-bin.000003',
      pos: 154,
      row: 2,
      thread: 7,
      ...source,
    },
    op: 'c',
    ts_ms: 1_700_000_000_500,
  });
}

describe('the connector registry', () => {
  it('has one implementation per source.connector name, mongodb, postgresql and mysql among them', () => {
    const names = CONNECTORS.map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual(expect.arrayContaining(['mongodb', 'postgresql', 'mysql']));
    for (const c of CONNECTORS) expect(connectorNamed(c.name)).toBe(c);
  });

  it('decodes any other connector as the generic relational one', () => {
    for (const name of ['sqlserver', 'oracle', 'db2', 'mariadb', undefined, null])
      expect(connectorNamed(name)).toBe(relational);
  });

  it('tells a MongoDB key from a relational one without an event to go by', () => {
    expect(connectorOfKey('{"id":"{\\"$oid\\": \\"67ab25755c0d5ac87eb8c632\\"}"}').name).toBe('mongodb');
    expect(connectorOfKey('Struct{id={"$oid": "67ab25755c0d5ac87eb8c632"}}').name).toBe('mongodb');
    expect(connectorOfKey('{"id":1004}')).toBe(relational);
  });
});

describe('each record by the connector its source names', () => {
  it('every Debezium fixture decodes with the row model of its connector', () => {
    const files = testdataDir('debezium').filter((f) => /^(mongodb|postgres)-.*\.json$/.test(f));
    expect(files.length).toBeGreaterThan(10);
    for (const file of files) {
      const values: unknown[] = [JSON.parse(fixture(file))].flat();
      if (file.includes('-key-')) continue;
      for (const value of values) {
        const r = new Decoder().decode(rec('t', JSON.stringify(value)));
        if (r.kind !== 'change') continue;
        expect(r.connector, file).toBe(file.startsWith('mongodb') ? 'mongodb' : 'relational');
        expect(r.source.connector, file).toBe(file.startsWith('mongodb') ? 'mongodb' : 'postgresql');
      }
    }
  });

  it('MySQL: relational rows, ordered by binlog file number, position and row', () => {
    const e = change(new Decoder().decode(rec('my', mysqlEvent(), '{"id":1004}')));
    expect(e.connector).toBe('relational');
    expect(e.source).toMatchObject({ connector: 'mysql', db: 'inventory', collection: 'customers' });
    expect(e.after?.get('first_name')).toBe('Anne');
    expect(e.key).toEqual(new Map([['id', 1004]]));
    expect(e.seq.parts).toEqual([3n, 154n, 2n]);
    const later = change(new Decoder().decode(rec('my', mysqlEvent('mysql', { pos: 9000, row: 0 }))));
    expect(later.seq.text > e.seq.text).toBe(true);
    const nextFile = change(
      new Decoder().decode(rec('my', mysqlEvent('mysql', { file: 'mysql-bin.000004', pos: 4 }))),
    );
    expect(nextFile.seq.text > later.seq.text).toBe(true);
  });

  it("a connector's position is its own: a MySQL source block without a binlog file is ordered by its time", () => {
    const e = change(new Decoder().decode(rec('my', mysqlEvent('mysql', { file: undefined, lsn: 77 }))));
    // The PostgreSQL reader would take `lsn`; the MySQL connector does not.
    expect(e.seq.parts).toEqual([1_700_000_000_000n]);
  });

  it('an unknown relational connector keeps the position readers of the known ones', () => {
    const e = change(new Decoder().decode(rec('maria', mysqlEvent('mariadb'))));
    expect(e.source.connector).toBe('mariadb');
    expect(e.seq.parts).toEqual([3n, 154n, 2n]);
    const pg = change(new Decoder().decode(rec('ss', mysqlEvent('sqlserver', { file: undefined, lsn: 77 }))));
    expect(pg.seq.parts).toEqual([77n, 77n]);
  });

  it("learns a topic's connector from its events, for the keys of its tombstones", () => {
    const decoder = new Decoder();
    decoder.decode(rec('my', mysqlEvent(), '{"id":1004}'));
    expect(decoder.connectorOf('my')?.name).toBe('mysql');
    const t = decoder.decode(rec('my', null, '{"id":1004}'));
    expect(t).toMatchObject({ kind: 'tombstone', keyCanonical: '{"id":{"$numberInt":"1004"}}' });
    const mongo = new Decoder({ connector: 'mongodb' });
    expect(mongo.decode(rec('m', null, '{"id":"\\"k1\\""}'))).toMatchObject({
      kind: 'tombstone',
      keyCanonical: '"k1"',
    });
  });
});

describe('the one pass goes by the connector', () => {
  const slabOf = (topic: string, values: string[]): RecordSlab => {
    const parts = values.map((v) => Buffer.from(v, 'utf8'));
    const bytes = Buffer.concat(parts);
    const bounds = new Int32Array(values.length * 4);
    let at = 0;
    parts.forEach((p, i) => {
      bounds.set([-1, -1, at, at + p.length], i * 4);
      at += p.length;
    });
    return {
      topic,
      partition: 0,
      count: values.length,
      bytes,
      bounds,
      offsets: BigInt64Array.from(values.map((_, i) => BigInt(i))),
      timestamps: new Float64Array(values.length),
    };
  };

  it('a topic whose connector has no one-pass writer is decoded the reference way, with the same rows', () => {
    const decoder = new Decoder();
    const slab = slabOf('my', [mysqlEvent(), mysqlEvent('mysql', { pos: 200 })]);
    const first = decodeBatch(slab, {}, decoder);
    expect(decoder.connectorOf('my')?.name).toBe('mysql');
    const again = decodeBatch(slab, {}, decoder);
    expect(again.fastRecords).toBe(0);
    expect(again.referenceRecords).toBe(2);
    expect(again.rows).toBe(2);
    expect(Buffer.from(tableToIPC(again.table)).equals(Buffer.from(tableToIPC(first.table)))).toBe(true);
  });
});
