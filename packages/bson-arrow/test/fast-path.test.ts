import { tableToIPC } from 'apache-arrow';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BatchBuilder } from '../src/arrow/batch.js';
import type { BsonDocument } from '../src/bson/values.js';
import { encodeMongoEvent } from '../src/debezium/encoder.js';
import { Decoder } from '../src/debezium/record.js';
import type { ChangeEvent, DecodeResult, KafkaRecord } from '../src/debezium/types.js';
import { mongoRecord } from './records.js';

/**
 * The fast path (native envelope fields, token tapes read straight into columns, lazy `after`) must be
 * observably identical to the reference path (`fastPath: false`): same decode results, same batches.
 */

function decodeBoth(r: KafkaRecord): [DecodeResult, DecodeResult] {
  return [new Decoder().decode(r), new Decoder({ fastPath: false }).decode(r)];
}

describe('fast path ≡ reference path', () => {
  it('Decoder: the same result for random MongoDB records (every dialect, schemas, patches, corrupted documents)', () => {
    fc.assert(
      fc.property(mongoRecord, (r) => {
        const [fast, reference] = decodeBoth(r);
        expect(Object.keys(fast)).toEqual(Object.keys(reference));
        expect(fast).toEqual(reference);
        expect(JSON.stringify(fast, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v))).toBe(
          JSON.stringify(reference, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v)),
        );
      }),
      { numRuns: 600 },
    );
  });

  it('Decoder: envelope shapes the fast path hands over (inlined documents, odd fields, deep nesting)', () => {
    const base = JSON.parse(
      encodeMongoEvent({
        op: 'c',
        after: new Map([['_id', 1]]) as BsonDocument,
        tsMs: 1,
        source: { name: 'n', db: 'd', collection: 'c', tsMs: 1, ord: 1 },
      }),
    ) as Record<string, unknown>;
    const deep = (n: number): unknown => (n === 0 ? 1 : { x: deep(n - 1) });
    const variants: Record<string, unknown>[] = [
      { ...base, after: { _id: 1, a: [1, 2.5] } },
      { ...base, after: 5 },
      { ...base, after: '[1]' },
      { ...base, before: '{"_id": 2}', after: null },
      { ...base, after: '{"a": 1}' },
      { ...base, op: 't' },
      { ...base, op: 'x' },
      { ...base, source: { ...(base.source as object), txnNumber: { n: 1 }, lsid: 'l' } },
      { ...base, source: { ...(base.source as object), txnNumber: 7, lsid: 'l', ts_ms: -0, ord: 2.5 } },
      { ...base, ts_ms: -0 },
      { ...base, transaction: { id: 't1', total_order: 3, data_collection_order: 2 } },
      { ...base, transaction: { id: 't1', total_order: 2 ** 60 } },
      { ...base, transaction: { id: 't1', total_order: '3' } },
      { ...base, transaction: { id: 't1', total_order: Number.NaN } },
      { ...base, transaction: null },
      { ...base, extra: deep(120) },
      {
        ...base,
        updateDescription: {
          updatedFields: '{"a.b": 1}',
          removedFields: ['c', 3],
          truncatedArrays: [{ field: 'x', newSize: 2 }, 4],
        },
      },
      { ...base, updateDescription: [1], patch: '{"$set": {"a": 1}}' },
      { ...base, patch: '{"$unset": {"a": true}}' },
      { ...base, patch: '{"a": 1}' },
      { payload: base },
      { schema: null, payload: base },
      { schema: {}, payload: base, x: 1 },
    ];
    for (const v of variants) {
      for (const key of [
        null,
        '{"id": "1"}',
        '{"id": "{\\"$oid\\": \\"67ab25755c0d5ac87eb8c632\\"}"}',
        '{"id":"{\\"$oid\\":\\"67AB25755C0D5AC87EB8C632\\"}"}',
      ]) {
        const [fast, reference] = decodeBoth({
          topic: 't',
          partition: 0,
          offset: 1,
          key,
          value: JSON.stringify(v),
        });
        expect(fast).toEqual(reference);
      }
    }
  });

  it('BatchBuilder: byte-identical Arrow batches from fast and reference events, with and without a target schema', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(mongoRecord, fc.boolean()), { minLength: 1, maxLength: 10 }),
        fc.array(mongoRecord, { maxLength: 6 }),
        (records, earlier) => {
          // The reference build of some other events gives a table schema to conform to.
          const first = new BatchBuilder();
          for (const r of earlier) {
            const e = new Decoder({ fastPath: false }).decode(r);
            if (e.kind === 'change') first.append(e);
          }
          const target = earlier.length > 0 ? first.finish().schema : null;
          for (const targetSchema of [null, target]) {
            const fast = new BatchBuilder({ targetSchema });
            const reference = new BatchBuilder({ targetSchema });
            const mixed = new BatchBuilder({ targetSchema });
            for (const [r, fastInMixed] of records) {
              const [f, s] = decodeBoth(r);
              if (f.kind !== 'change' || s.kind !== 'change') continue;
              fast.append(f as ChangeEvent);
              reference.append(s as ChangeEvent);
              mixed.append((fastInMixed ? f : s) as ChangeEvent);
            }
            const a = fast.finish();
            const b = reference.finish();
            const c = mixed.finish();
            expect(a.resolutions).toEqual(b.resolutions);
            expect(c.resolutions).toEqual(b.resolutions);
            expect(Buffer.from(tableToIPC(a.table))).toEqual(Buffer.from(tableToIPC(b.table)));
            expect(Buffer.from(tableToIPC(c.table))).toEqual(Buffer.from(tableToIPC(b.table)));
          }
        },
      ),
      { numRuns: 120 },
    );
  }, 120_000);
});
