import { describe, expect, it } from 'vitest';
import { encodeMongoEvent, encodeMongoKey } from '../src/debezium/encoder.js';
import { decodeRecord } from '../src/debezium/record.js';
import type { ChangeEvent, KafkaRecord } from '../src/debezium/types.js';
import { parseExtendedJson } from '../src/ejson/parse.js';
import { fixture } from './helpers.js';

const rec = (value: string, key: string | null = null): KafkaRecord => ({
  topic: 't',
  partition: 0,
  offset: 0,
  key,
  value,
});

function decoded(value: string, key: string | null = null): ChangeEvent {
  const r = decodeRecord(rec(value, key));
  if (r.kind !== 'change') throw new Error(JSON.stringify(r));
  return r;
}

describe('Debezium MongoDB encoder reproduces the real connector output', () => {
  it('2.1.4 snapshot record, with and without schema, byte for byte', () => {
    for (const [file, schemas] of [
      ['mongodb-2.1.4-read-snapshot-last-with-schema.json', true],
      ['mongodb-2.1.4-read-snapshot-last-schemaless.json', false],
    ] as const) {
      const text = fixture(file).trim();
      const e = decoded(text);
      const out = encodeMongoEvent(
        {
          op: e.op as 'r',
          after: e.after,
          tsMs: e.tsMs as number,
          source: {
            name: 'dbserver1',
            db: 'inventory',
            collection: 'customers',
            tsMs: 1681879044000,
            ord: 1,
            snapshot: 'last',
            version: '2.1.4.Final',
          },
        },
        { generation: '2.1', schemas, topic: 'dbserver1.inventory.customers' },
      );
      expect(out).toBe(text);
    }
  });

  it('2.7.0 legacy `after` strings are the Java driver text, byte for byte', () => {
    for (const file of [
      'mongodb-2.7.0-create-schemaless.json',
      'mongodb-2.7.0-create-legacy-log.json',
      'mongodb-2.7.0-update-with-preimage-schemaless.json',
    ]) {
      const original = parseExtendedJson(fixture(file), { extended: false }) as Map<string, unknown>;
      const e = decoded(fixture(file));
      const out = parseExtendedJson(
        encodeMongoEvent({
          op: e.op as 'c',
          after: e.after,
          before: e.before,
          tsMs: e.tsMs as number,
          source: { name: 'n', db: 'd', collection: 'c', tsMs: e.sourceTsMs as number, ord: 1 },
        }),
        { extended: false },
      ) as Map<string, unknown>;
      expect(out.get('after')).toBe(original.get('after'));
      expect(out.get('before')).toBe(original.get('before'));
    }
  });

  it('keys: ObjectId and string _id as the connector writes them', () => {
    const oid = decoded(fixture('mongodb-2.7.0-create-schemaless.json')).after?.get('_id');
    expect(encodeMongoKey(oid as never)).toBe('{"id":"{\\"$oid\\": \\"67ab25755c0d5ac87eb8c632\\"}"}');
    expect(JSON.parse(encodeMongoKey('67ab25755c0d5ac87eb8c632'))).toEqual(
      JSON.parse(fixture('mongodb-2.7.0-key-string-id-schemaless.json')),
    );
    const withSchema = JSON.parse(encodeMongoKey(1234n, { schemas: true, topic: 'a.b.c' }));
    expect(withSchema.payload).toEqual({ id: '1234' });
    expect(withSchema.schema.name).toBe('a.b.c.Key');
  });

  it('legacy updatedFields use v2 relaxed with ISO dates, like the captured pipeline', () => {
    const e = decoded(fixture('mongodb-2.7.0-create-legacy-log.json'));
    const value = encodeMongoEvent({
      op: 'u',
      patch: {
        set: new Map([['updatedAt', parseExtendedJson('{"$date": 1746034410610}')]]),
        unset: [],
        truncatedArrays: [],
      },
      tsMs: 1,
      source: { name: 'n', db: 'd', collection: 'c', tsMs: 1, ord: 1 },
    });
    const ud = (parseExtendedJson(value, { extended: false }) as Map<string, Map<string, unknown>>).get(
      'updateDescription',
    );
    expect(ud?.get('updatedFields')).toBe('{"updatedAt": {"$date": "2025-04-30T17:33:30.61Z"}}');
    expect(e.op).toBe('c');
  });
});
