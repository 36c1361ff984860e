import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Action, dvUniqueId, EMPTY_SCHEMA, parseActions, serializeActions } from '../src/actions.js';
import { InvalidTableError } from '../src/errors.js';

const str = fc.string({ maxLength: 12 });
const partitionValues = fc.dictionary(str, fc.option(str, { nil: null }), { maxKeys: 3 });
const add = fc.record({
  path: str.filter((s) => s.length > 0),
  partitionValues,
  size: fc.nat(),
  modificationTime: fc.nat(),
  dataChange: fc.boolean(),
});
const action: fc.Arbitrary<Action> = fc.oneof(
  add.map((a) => ({ add: a })),
  fc
    .record({ path: str.filter((s) => s.length > 0), dataChange: fc.boolean(), deletionTimestamp: fc.nat() })
    .map((r) => ({ remove: r })),
  fc.record({ appId: str, version: fc.nat(), lastUpdated: fc.nat() }).map((t) => ({ txn: t })),
  fc
    .record({
      minReaderVersion: fc.integer({ min: 1, max: 3 }),
      minWriterVersion: fc.integer({ min: 1, max: 7 }),
    })
    .map((p) => ({ protocol: p })),
  fc.record({ domain: str, configuration: str, removed: fc.boolean() }).map((d) => ({ domainMetadata: d })),
);

describe('actions', () => {
  it('round-trips any commit through serialize/parse', () => {
    fc.assert(
      fc.property(fc.array(action, { maxLength: 8 }), (actions) => {
        expect(parseActions(serializeActions(actions), 'x.json')).toEqual(actions);
      }),
    );
  });

  it('ignores unknown actions and blank lines, keeps unknown fields', () => {
    const text = '{"futureAction":{"x":1}}\n\n{"txn":{"appId":"a","version":3,"extra":true}}\n';
    expect(parseActions(text, 'x.json')).toEqual([{ txn: { appId: 'a', version: 3, extra: true } }]);
  });

  it('names the file and line of an invalid action', () => {
    expect(() => parseActions('{"txn":{"appId":"a"}}', '00000000000000000007.json')).toThrow(
      /00000000000000000007\.json:1: txn\.version must be a number/,
    );
    expect(() => parseActions('{"add":', 'c.json')).toThrow(InvalidTableError);
  });

  it('reads a metaData without a schema as the empty schema, as Spark does', () => {
    const [a] = parseActions('{"metaData":{"id":"x","format":{"provider":"parquet"}}}', 'c.json');
    expect(a).toMatchObject({
      metaData: { schemaString: EMPTY_SCHEMA, partitionColumns: [], configuration: {} },
    });
  });

  it('builds deletion vector unique ids as the protocol defines them', () => {
    expect(dvUniqueId(undefined)).toBe('');
    expect(
      dvUniqueId({
        storageType: 'u',
        pathOrInlineDv: 'ab^-aqEH.-t@S}K{vb[*k^',
        sizeInBytes: 1,
        cardinality: 1,
      }),
    ).toBe('uab^-aqEH.-t@S}K{vb[*k^');
    expect(
      dvUniqueId({ storageType: 'u', pathOrInlineDv: 'x', offset: 4, sizeInBytes: 1, cardinality: 1 }),
    ).toBe('ux@4');
  });
});
