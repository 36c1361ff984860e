import { Table, tableFromIPC, tableToIPC, Utf8, vectorFromArray } from 'apache-arrow';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeMirrorRows,
  encodeMirrorRows,
  type MirrorRow,
  MirrorRowsError,
} from '../../src/mirror/index.js';

const version = fc.record({
  seq: fc
    .array(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), { minLength: 1, maxLength: 3 })
    .map((p) => p.join('.')),
  partition: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  offset: fc.maxSafeInteger().map((n) => Math.abs(n)),
});
const row: fc.Arbitrary<MirrorRow> = fc.record(
  {
    key: fc.string({ unit: 'grapheme', maxLength: 30 }),
    version,
    op: fc.constantFrom('upsert' as const, 'delete' as const),
    base: version,
    from: version,
  },
  { requiredKeys: ['key', 'version', 'op'] },
);

describe('mirror row block', () => {
  it('round-trips any rows, absent base/from included', () => {
    fc.assert(
      fc.property(fc.array(row, { maxLength: 40 }), (rows) => {
        expect(decodeMirrorRows(encodeMirrorRows(rows))).toEqual(rows);
      }),
    );
  });

  it('has the documented columns (a reader in another language can decode it)', () => {
    const table = tableFromIPC(
      encodeMirrorRows([
        { key: '{"$oid":"a"}', version: { seq: '1.2', partition: 3, offset: 4 }, op: 'delete' },
      ]),
    );
    expect(table.schema.fields.map((f) => `${f.name}:${f.type}`)).toEqual([
      'key:Utf8',
      'seq:Utf8',
      'op:Utf8',
      'kafka_partition:Int32',
      'kafka_offset:Int64',
      'base_seq:Utf8',
      'base_partition:Int32',
      'base_offset:Int64',
      'from_seq:Utf8',
      'from_partition:Int32',
      'from_offset:Int64',
    ]);
    expect(table.get(0)?.toJSON()).toMatchObject({
      key: '{"$oid":"a"}',
      seq: '1.2',
      op: 'd',
      base_seq: null,
    });
  });

  it('refuses malformed blocks with a message naming the problem', () => {
    expect(() => decodeMirrorRows(new Uint8Array([1, 2, 3]))).toThrow(MirrorRowsError);
    const missing = tableToIPC(new Table({ key: vectorFromArray(['k'], new Utf8()) }), 'stream');
    expect(() => decodeMirrorRows(missing)).toThrow(/no column seq/);
    const good = encodeMirrorRows([
      { key: 'k', version: { seq: '1', partition: 0, offset: 0 }, op: 'upsert' },
    ]);
    const t = tableFromIPC(good);
    const badSeq = tableToIPC(
      new Table({
        ...Object.fromEntries(t.schema.fields.map((f) => [f.name, t.getChild(f.name)])),
        seq: vectorFromArray(['x1'], new Utf8()),
      }),
      'stream',
    );
    expect(() => decodeMirrorRows(badSeq)).toThrow(/row 0: seq "x1"/);
  });
});
