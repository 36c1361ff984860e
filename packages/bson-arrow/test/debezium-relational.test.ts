import { describe, expect, it } from 'vitest';
import { Binary, Double, SqlDate, type SqlDecimal, SqlTime, SqlTimestamp } from '../src/bson/values.js';
import { Decoder, decodeRecord } from '../src/debezium/record.js';
import type { ChangeEvent, DecodeResult, KafkaRecord } from '../src/debezium/types.js';
import { fixture } from './helpers.js';

const rec = (value: string | null, key: string | null = null): KafkaRecord => ({
  topic: 'pg',
  partition: 1,
  offset: 7,
  key,
  value,
});

function change(r: DecodeResult): ChangeEvent {
  if (r.kind !== 'change') throw new Error(`expected a change, got ${JSON.stringify(r)}`);
  return r;
}
function col<T>(e: ChangeEvent, name: string): T {
  if (!e.after?.has(name)) throw new Error(`no column ${name}`);
  return e.after.get(name) as T;
}
const dec = (e: ChangeEvent, name: string) => col<SqlDecimal>(e, name).toString();

describe('PostgreSQL fixtures', () => {
  it('Decimal (base64 unscaled + scale): money 123456.78, sequence [null, lsn]', () => {
    const e = change(decodeRecord(rec(fixture('postgres-2.2.0-update-money-with-schema.json'))));
    expect(e.op).toBe('u');
    expect(e.connector).toBe('relational');
    expect(dec(e, 'money_test')).toBe('123456.78');
    expect(col<SqlDecimal>(e, 'money_test').precision).toBeNull();
    expect(e.before?.get('money_test')).toBeNull();
    expect(e.seq.parts).toEqual([34025872n, 34025872n]);
    expect(e.source.collection).toBe('inventory.customers');
    expect(e.source.txId).toBe('762');
  });

  it('Decimal and VariableScaleDecimal values of every width', () => {
    const e = change(decodeRecord(rec(fixture('postgres-2.2.0-update-decimal-with-schema.json'))));
    expect(dec(e, 'decimal_test')).toBe('123.45');
    expect(col<SqlDecimal>(e, 'decimal_test').variableScale).toBe(true);
    expect(dec(e, 'decimal_test_5')).toBe('123');
    expect(dec(e, 'decimal_test_5_2')).toBe('123.45');
    expect(dec(e, 'decimal_test_39')).toBe('58569102859845154622791691858438258688');
    expect(dec(e, 'decimal_test_39_2')).toBe('585691028598451546227916918584382586.22');
    expect(dec(e, 'decimal_test_39_6')).toBe('585691028598451546227916918584388.123456');
    expect(col<SqlDecimal>(e, 'decimal_test_39_6').precision).toBe(39);
    // declared in the schema but absent from the payload: absent, not null
    expect(e.after?.has('decimal_test_39_0')).toBe(false);
  });

  it('int16/int32/int64, bigint beyond 2^53 exact', () => {
    const e = change(decodeRecord(rec(fixture('postgres-2.2.0-update-numbers-with-schema.json'))));
    expect(e.after?.get('smallint_test')).toBe(1);
    expect(e.after?.get('int_test')).toBe(3);
    expect(e.after?.get('bigint_test')).toBe(2305843009213693952n);
    expect(e.after?.get('bigserial_test')).toBe(2305843009213693952n);
  });

  it('2.5.4 JSON array of snapshot records, free-text snapshot values', () => {
    const records = JSON.parse(
      fixture('postgres-2.5.4-snapshot-customers-array-with-schema.json'),
    ) as unknown[];
    const events = records.map((r) => change(decodeRecord(rec(JSON.stringify(r)))));
    expect(events.map((e) => e.source.snapshot)).toEqual([
      'first',
      'true',
      'true',
      'last_in_data_collection',
    ]);
    expect(events.map((e) => e.op)).toEqual(['r', 'r', 'r', 'r']);
    expect(events[0]?.after?.get('id')).toBe(1001);
  });

  it('schemaless: plain JSON, 1.0 stays a double; delete with before and after null', () => {
    const u = change(
      decodeRecord(
        rec(fixture('postgres-1.2.1-update-replica-identity-default-schemaless.json'), '{"id":106}'),
      ),
    );
    expect(u.after?.get('weight')).toEqual(new Double(1));
    expect(u.key).toEqual(new Map([['id', 106]]));
    expect(u.keyCanonical).toBe('{"id":{"$numberInt":"106"}}'); // keys keep their type
    expect(u.seq.parts).toEqual([34131104n, 34131104n]);
    const d = change(
      decodeRecord(
        rec(fixture('postgres-1.2.1-delete-replica-identity-default-schemaless.json'), '{"id":106}'),
      ),
    );
    expect(d.op).toBe('d');
    expect(d.after).toBeNull();
    expect(d.before).toBeNull();
    expect(d.keyCanonical).toBe(u.keyCanonical);
  });

  it('{"payload"} wrapper, non-default temporal settings (no schema: raw values kept)', () => {
    const e = change(
      decodeRecord(rec(fixture('postgres-1.9.7-read-temporal-nondefault-rw-payload-wrapper.json'))),
    );
    expect(e.after?.get('o_timestamp_6')).toBe(1321009871123456n);
    expect(e.after?.get('o_timestampz_6')).toBe('2011-11-11T03:11:11.123456Z');
    expect(e.after?.get('o_date')).toBe('1999-09-09');
    expect(e.source.snapshot).toBe('last');
  });

  it('other types schemaless: bytea base64 text, json text, point struct', () => {
    const e = change(
      decodeRecord(rec(fixture('postgres-1.9.7-read-other-types-nondefault-rw-payload-wrapper.json'))),
    );
    expect(e.after?.get('o_json')).toBe('{"k1": "v1", "k2": 11}');
    expect(e.after?.get('o_point')).toEqual(
      new Map<string, unknown>([
        ['x', new Double(1)],
        ['y', new Double(2)],
        ['wkb', 'AQEAAAAAAAAAAADwPwAAAAAAAABA'],
        ['srid', null],
      ]),
    );
  });

  it('docs example: snapshot given as boolean, ts_ns beyond 2^53 does not disturb decoding', () => {
    const e = change(decodeRecord(rec(fixture('postgres-docs-create-with-schema.json'))));
    expect(e.op).toBe('c');
    expect(e.source.snapshot).toBe('true');
    expect(e.seq.parts).toEqual([24023119n, 24023128n]);
    expect(e.after?.get('first_name')).toBe('Anne');
  });
});

describe('Connect semantic types', () => {
  const field = (f: string, type: string, name?: string, parameters?: Record<string, string>) => ({
    field: f,
    type,
    optional: true,
    ...(name ? { name } : {}),
    ...(parameters ? { parameters } : {}),
  });
  const envelope = (after: Record<string, unknown>, fields: object[]) =>
    JSON.stringify({
      schema: { type: 'struct', fields: [{ field: 'after', type: 'struct', fields }] },
      payload: {
        before: null,
        after,
        source: { connector: 'postgresql', lsn: 10, ts_ms: 5 },
        op: 'c',
        ts_ms: 6,
      },
    });

  it('time, date, timestamp variants, json, uuid, bytes, TOAST placeholder', () => {
    const value = envelope(
      {
        d: 10957,
        t: 3_723_004,
        mt: 3_723_004_005,
        nt: 3_723_004_005_006,
        ts: 1_700_000_000_123,
        mts: 1_700_000_000_123_456,
        nts: '__NTS__',
        zts: '2025-07-16T18:10:13.467000Z',
        inf: 'infinity',
        j: '{"a": 1}',
        u: '60f14fe2-f857-404a-b586-3b5375b3259f',
        b: 'ASNFZ4mrze8=',
        f: 'NaN',
        toast: '__debezium_unavailable_value',
        btoast: 'X19kZWJleml1bV91bmF2YWlsYWJsZV92YWx1ZQ==',
        arr: [1, 2],
      },
      [
        field('d', 'int32', 'io.debezium.time.Date'),
        field('t', 'int32', 'io.debezium.time.Time'),
        field('mt', 'int64', 'io.debezium.time.MicroTime'),
        field('nt', 'int64', 'io.debezium.time.NanoTime'),
        field('ts', 'int64', 'io.debezium.time.Timestamp'),
        field('mts', 'int64', 'io.debezium.time.MicroTimestamp'),
        field('nts', 'int64', 'io.debezium.time.NanoTimestamp'),
        field('zts', 'string', 'io.debezium.time.ZonedTimestamp'),
        field('inf', 'string', 'io.debezium.time.ZonedTimestamp'),
        field('j', 'string', 'io.debezium.data.Json'),
        field('u', 'string', 'io.debezium.data.Uuid'),
        field('b', 'bytes'),
        field('f', 'double'),
        field('toast', 'string'),
        field('btoast', 'bytes'),
        { field: 'arr', type: 'array', items: { type: 'int64' }, optional: true },
      ],
    );
    // 1700000000123456789 is not a JS number: put the exact literal into the JSON text.
    const e = change(new Decoder().decode(rec(value.replace('"__NTS__"', '1700000000123456789'))));
    const a = e.after as Map<string, unknown>;
    expect(a.get('d')).toEqual(new SqlDate(10957));
    expect((a.get('t') as SqlTime).toString()).toBe('01:02:03.004000');
    expect((a.get('mt') as SqlTime).toString()).toBe('01:02:03.004005');
    expect(a.get('nt')).toEqual(new SqlTime(3_723_004_005n));
    expect(a.get('ts')).toEqual(new SqlTimestamp(1_700_000_000_123_000n));
    expect(a.get('mts')).toEqual(new SqlTimestamp(1_700_000_000_123_456n));
    expect(a.get('nts')).toEqual(new SqlTimestamp(1_700_000_000_123_456n));
    expect(a.get('zts')).toEqual(new SqlTimestamp(1752689413467000n));
    expect(a.get('inf')).toBe('infinity');
    expect(a.get('j')).toBe('{"a": 1}');
    expect(a.get('b')).toEqual(new Binary(0, Buffer.from('0123456789abcdef', 'hex')));
    expect(a.get('f')).toBeNaN();
    expect(a.get('arr')).toEqual([1n, 2n]);
    expect(a.has('toast')).toBe(false);
    expect(a.has('btoast')).toBe(false);
    expect(e.unavailable).toEqual(['toast', 'btoast']);
  });
});
