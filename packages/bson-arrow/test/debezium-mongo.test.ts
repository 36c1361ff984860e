import { describe, expect, it } from 'vitest';
import { DateTime, Double, ObjectId } from '../src/bson/values.js';
import { Decoder, decodeRecord } from '../src/debezium/record.js';
import { compareSequence } from '../src/debezium/sequence.js';
import type { ChangeEvent, DecodeResult, KafkaRecord } from '../src/debezium/types.js';
import { fixture } from './helpers.js';

const rec = (value: string | null, key: string | null = null, topic = 't'): KafkaRecord => ({
  topic,
  partition: 0,
  offset: '42',
  timestamp: '1700000000000',
  key: key === null ? null : Buffer.from(key),
  value: value === null ? null : Buffer.from(value),
});

function change(r: DecodeResult): ChangeEvent {
  if (r.kind !== 'change') throw new Error(`expected a change, got ${JSON.stringify(r)}`);
  return r;
}

const OID = new ObjectId('67ab25755c0d5ac87eb8c632');
const createdDoc = new Map<string, unknown>([
  ['_id', OID],
  ['created_at', 1736207571013n],
  ['created_by', 'peter'],
  ['tags', ['pending']],
  ['updated_at', new DateTime(1739455297970n)],
]);

describe('MongoDB fixtures', () => {
  it('2.7.0 create (schemaless): after decodes to the README values, key is the parsed ObjectId', () => {
    const e = change(
      decodeRecord(
        rec(
          fixture('mongodb-2.7.0-create-schemaless.json'),
          fixture('mongodb-2.7.0-key-objectid-schemaless.json'),
        ),
      ),
    );
    expect(e.op).toBe('c');
    expect(e.connector).toBe('mongodb');
    expect(e.after).toEqual(createdDoc);
    expect(e.before).toBeNull();
    expect(e.patch).toBeNull();
    expect(e.key).toEqual(new Map([['_id', OID]]));
    expect(e.keyCanonical).toBe('{"$oid":"67ab25755c0d5ac87eb8c632"}');
    expect(e.tsMs).toBe(1739321992890);
    expect(e.sourceTsMs).toBe(1739321992000);
    expect(e.seq.parts).toEqual([1739321992000n, 28n]);
    expect(e.source).toMatchObject({ db: 'bigdata_test', collection: 'sync_test_table', snapshot: 'false' });
    expect(e.record).toEqual({ topic: 't', partition: 0, offset: 42n, timestampMs: 1700000000000 });
  });

  it('the key is compared by value: string _id key ≠ ObjectId key with the same hex', () => {
    const a = change(
      decodeRecord(
        rec(
          fixture('mongodb-2.7.0-delete-no-preimage-schemaless.json'),
          fixture('mongodb-2.7.0-key-string-id-schemaless.json'),
        ),
      ),
    );
    expect(a.key?.get('_id')).toBe('67ab25755c0d5ac87eb8c632');
    expect(a.keyCanonical).toBe('"67ab25755c0d5ac87eb8c632"');
    expect(a.after).toBeNull();
    expect(a.before).toBeNull();
    expect(a.op).toBe('d');
  });

  it('StringConverter keys parse to the same _id', () => {
    const e = change(
      decodeRecord(
        rec(
          fixture('mongodb-2.7.0-create-legacy-log.json'),
          fixture('mongodb-2.7.0-key-stringconverter.txt'),
        ),
      ),
    );
    expect(e.key?.get('_id')).toEqual(new ObjectId('68121c1692da88b533465769'));
    // doubles written as 15.5 / 9.9 stay doubles, ints stay Int32
    const [first] = (e.after?.get('products') ?? []) as Map<string, unknown>[];
    const product = first?.get('product') as Map<string, unknown> | undefined;
    expect(product?.get('unitValue')).toBe(15.5);
    expect(first?.get('quantity')).toBe(3);
    expect(e.after?.get('totalAmount')).toBe(25.4);
  });

  it('2.0.1 snapshot with schema: $numberLong _id, source.rs ignored, snapshot "true"', () => {
    const e = change(decodeRecord(rec(fixture('mongodb-2.0.1-read-snapshot-with-schema.json'))));
    expect(e.op).toBe('r');
    expect(e.after?.get('_id')).toBe(1001n);
    expect(e.keyCanonical).toBe('{"$numberLong":"1001"}');
    expect(e.source.snapshot).toBe('true');
    expect(e.after?.get('email')).toBe('sally.thomas@acme.com');
  });

  it('keys keep their BSON type in the canonical key: int32, int64, double, ObjectId, string', () => {
    const keyed = (id: string) => {
      const value = JSON.stringify({
        after: `{"_id": ${id}, "x": 1}`,
        source: { connector: 'mongodb', ts_ms: 1, ord: 1 },
        op: 'c',
      });
      return change(decodeRecord({ topic: 't', partition: 0, offset: 0, key: JSON.stringify({ id }), value }))
        .keyCanonical;
    };
    expect(keyed('77')).toBe('{"$numberInt":"77"}');
    expect(keyed('2147483657')).toBe('{"$numberLong":"2147483657"}');
    expect(keyed('77.0')).toBe('{"$numberDouble":"77.0"}');
    expect(keyed('{"$oid": "596e275826f08b2730779e1f"}')).toBe('{"$oid":"596e275826f08b2730779e1f"}');
    expect(keyed('"77"')).toBe('"77"');
    expect(keyed('{"a": 1, "b": {"$numberLong": "2"}}')).toBe(
      '{"a":{"$numberInt":"1"},"b":{"$numberLong":"2"}}',
    );
  });

  it('2.1.4 with and without schema decode to the same event', () => {
    const a = change(decodeRecord(rec(fixture('mongodb-2.1.4-read-snapshot-last-with-schema.json'))));
    const b = change(decodeRecord(rec(fixture('mongodb-2.1.4-read-snapshot-last-schemaless.json'))));
    expect(a).toEqual(b);
    expect(a.source.snapshot).toBe('last');
    expect(a.after?.get('first_name')).toBe('Anne');
  });

  it('2.4.2 delete in a {schema:null,payload} wrapper with its key', () => {
    const e = change(
      decodeRecord(
        rec(
          fixture('mongodb-2.4.2-delete-value-rw-wrapper.json'),
          fixture('mongodb-2.4.2-delete-key-rw-wrapper.json'),
        ),
      ),
    );
    expect(e.op).toBe('d');
    expect(e.key?.get('_id')).toEqual(new ObjectId('65bc9fb6c485f419a7a877fe'));
    expect(e.seq.parts).toEqual([1706968217000n, 2n]);
  });

  it('orders the events of one transaction by total_order; events without the block keep two parts', () => {
    const base = JSON.parse(fixture('mongodb-2.7.0-update-replace-no-preimage-schemaless.json')) as Record<
      string,
      unknown
    >;
    const payload = (base.payload ?? base) as Record<string, unknown>;
    const withOrder = (n: number) =>
      JSON.stringify({ ...payload, transaction: { id: 'lsid:1', total_order: n, data_collection_order: n } });
    for (const decoder of [new Decoder(), new Decoder({ fastPath: false })]) {
      const first = change(decoder.decode(rec(withOrder(1))));
      const second = change(decoder.decode(rec(withOrder(2))));
      const plain = change(decoder.decode(rec(JSON.stringify(payload))));
      expect(second.seq.parts.slice(0, 2)).toEqual(plain.seq.parts);
      expect(second.seq.parts[2]).toBe(2n);
      expect(compareSequence(first.seq, second.seq)).toBe(-1);
      expect(plain.seq.parts).toHaveLength(2);
    }
  });

  it('updates: replace without pre-image, and with pre-image', () => {
    const r = change(decodeRecord(rec(fixture('mongodb-2.7.0-update-replace-no-preimage-schemaless.json'))));
    expect(r.op).toBe('u');
    expect(r.after?.get('tags')).toEqual(['succeed']);
    expect(r.before).toBeNull();
    expect(r.key?.get('_id')).toEqual(OID); // from the document when no Kafka key is given
    const p = change(decodeRecord(rec(fixture('mongodb-2.7.0-update-with-preimage-schemaless.json'))));
    expect(p.before).toEqual(createdDoc);
    expect(p.after?.get('updated_at')).toEqual(new DateTime(1739455397970n));
  });

  it('delete with pre-image keeps before', () => {
    const e = change(decodeRecord(rec(fixture('mongodb-2.7.0-delete-with-preimage-schemaless.json'))));
    expect(e.before).toEqual(createdDoc);
    expect(e.after).toBeNull();
  });

  it('a tombstone after a delete carries the parsed key', () => {
    const d = new Decoder();
    d.decode(
      rec(
        fixture('mongodb-2.7.0-delete-no-preimage-schemaless.json'),
        fixture('mongodb-2.7.0-key-objectid-schemaless.json'),
      ),
    );
    const t = d.decode(rec(null, fixture('mongodb-2.7.0-key-objectid-schemaless.json')));
    expect(t).toMatchObject({ kind: 'tombstone', keyCanonical: '{"$oid":"67ab25755c0d5ac87eb8c632"}' });
    // without context the key shape is recognised too
    expect(decodeRecord(rec(null, fixture('mongodb-2.7.0-key-objectid-schemaless.json'))).kind).toBe(
      'tombstone',
    );
  });

  it('partial update: updateDescription becomes a patch (v2 relaxed dates, dotted paths, truncation)', () => {
    const value = JSON.stringify({
      before: null,
      after: null,
      updateDescription: {
        removedFields: ['old', 'a.b'],
        updatedFields: '{"updatedAt": {"$date": "2025-04-30T17:33:30.61Z"}, "n": 456, "x.2": 5.0}',
        truncatedArrays: [{ field: 'arr', size: 2 }],
      },
      source: { connector: 'mongodb', ts_ms: 1745953508000, ord: 3, db: 'd', collection: 'c' },
      op: 'u',
      ts_ms: 1745953508263,
    });
    const e = change(decodeRecord(rec(value, '{"id":"{\\"$oid\\": \\"6811137d0c9f202a34d861e0\\"}"}')));
    expect(e.after).toBeNull();
    expect(e.patch?.set).toEqual(
      new Map<string, unknown>([
        ['updatedAt', new DateTime(1746034410610n)],
        ['n', 456],
        ['x.2', new Double(5)],
      ]),
    );
    expect(e.patch?.unset).toEqual(['old', 'a.b']);
    expect(e.patch?.truncatedArrays).toEqual([{ field: 'arr', size: 2 }]);
  });

  it('v1 strict NaN / Infinity tokens and int64 beyond 2^53 survive', () => {
    const after =
      '{"_id": 1,"nan": NaN,"inf": -Infinity,"big": {"$numberLong": "9007199254740993"},"d": 5.0,"i": 5}';
    const value = JSON.stringify({
      after,
      source: { connector: 'mongodb', ts_ms: 1, ord: 1 },
      op: 'c',
      ts_ms: 2,
    });
    const e = change(decodeRecord(rec(value)));
    expect(e.after?.get('nan')).toBeNaN();
    expect(e.after?.get('inf')).toBe(Number.NEGATIVE_INFINITY);
    expect(e.after?.get('big')).toBe(9007199254740993n);
    expect(e.after?.get('d')).toEqual(new Double(5));
    expect(e.after?.get('i')).toBe(5);
  });
});

describe('failures are values with stable reasons', () => {
  const cases: [string, string, string][] = [
    ['invalid_json', '{"op": "c", ', 'truncated JSON'],
    ['not_debezium', '{"hello": "world"}', 'no op'],
    ['unsupported_op', '{"op": "x", "source": {}}', 'unknown op'],
    [
      'invalid_extended_json',
      JSON.stringify({ after: '{"_id": {"$oid": "nothex"}}', source: { connector: 'mongodb' }, op: 'c' }),
      'bad $oid',
    ],
    [
      'nesting_too_deep',
      JSON.stringify({
        after: `${'{"a": '.repeat(150)}1${'}'.repeat(150)}`,
        source: { connector: 'mongodb' },
        op: 'c',
      }),
      'deep',
    ],
  ];
  for (const [reason, value, what] of cases) {
    it(`${reason}: ${what}`, () => {
      const r = decodeRecord(rec(value));
      expect(r).toMatchObject({ kind: 'failure', reason });
      if (r.kind === 'failure') expect(r.message.length).toBeGreaterThan(5);
    });
  }

  it('invalid_value: NaN or Infinity in an envelope number (only documents may hold them), on both paths', () => {
    const valid = fixture('mongodb-2.7.0-create-schemaless.json');
    const poisoned = [
      valid.replace(/"ts_ms":\s*\d+/, '"ts_ms": NaN'),
      valid.replace(/"ord":\s*\d+/, '"ord": Infinity'),
      valid.replace(/"ts_ms":\s*\d+/, '"ts_ms": -Infinity'),
    ];
    for (const value of poisoned) {
      expect(value).not.toBe(valid);
      for (const fastPath of [true, false]) {
        const r = new Decoder({ fastPath }).decode(rec(value));
        expect(r, `${fastPath} ${value.slice(0, 80)}`).toMatchObject({
          kind: 'failure',
          reason: 'invalid_value',
        });
      }
    }
  });

  it('invalid_value: a fraction in ts_ms or source.ts_ms (an Int64 column: BatchBuilder threw on it), on both paths', () => {
    const valid = fixture('mongodb-2.7.0-create-schemaless.json');
    const poisoned = [
      valid.replace(/"ts_ms":\s*(\d)(\d+)/, '"ts_ms": $1.$2'),
      valid.replace(/("source":\s*\{[^}]*"ts_ms":\s*)(\d+)/, '$1$2.5'),
    ];
    for (const value of poisoned) {
      expect(value).not.toBe(valid);
      for (const fastPath of [true, false]) {
        const r = new Decoder({ fastPath }).decode(rec(value));
        expect(r, `${fastPath} ${value.slice(0, 80)}`).toMatchObject({
          kind: 'failure',
          reason: 'invalid_value',
        });
      }
    }
  });

  it('too_large and too_many_fields honour configured limits', () => {
    const value = fixture('mongodb-2.7.0-create-schemaless.json');
    expect(decodeRecord(rec(value), { maxBytes: 100 })).toMatchObject({
      kind: 'failure',
      reason: 'too_large',
    });
    expect(decodeRecord(rec(value), { maxFields: 5 })).toMatchObject({
      kind: 'failure',
      reason: 'too_many_fields',
    });
  });

  it('heartbeats and transaction markers are ignored, not failures', () => {
    expect(decodeRecord(rec('{"ts_ms": 1}')).kind).toBe('ignored');
    expect(
      decodeRecord(rec('{"status":"BEGIN","id":"x:1","event_count":null,"data_collections":null}')).kind,
    ).toBe('ignored');
  });
});
