/**
 * Kafka records of random MongoDB change events for the decoder properties: every serialization dialect, with and
 * without the JsonConverter schema wrapper, creates, updates (with a patch), replaces and deletes, with and without a
 * key, and sometimes a corrupted document text inside an otherwise valid envelope.
 */
import fc from 'fast-check';
import { encodeMongoEvent, encodeMongoKey } from '../src/debezium/encoder.js';
import type { KafkaRecord } from '../src/debezium/types.js';
import { mongoDocument } from './arbitraries.js';

const dialect = fc.constantFrom('legacy', 'strict', 'extended', 'relaxed') as fc.Arbitrary<
  'legacy' | 'strict' | 'extended' | 'relaxed'
>;

/** A Kafka record of a random MongoDB change event, sometimes corrupted or without a key. */
export const mongoRecord: fc.Arbitrary<KafkaRecord> = fc
  .record({
    doc: mongoDocument,
    set: fc.option(mongoDocument, { nil: null }),
    serialization: dialect,
    schemas: fc.boolean(),
    op: fc.constantFrom('c', 'u', 'r', 'd'),
    withKey: fc.boolean(),
    edit: fc.option(fc.tuple(fc.nat(), fc.constantFrom('"', '}', '1.0', 'NaN', '\\', ' ')), { freq: 8 }),
  })
  .map(({ doc, set, serialization, schemas, op, withKey, edit }) => {
    let value = encodeMongoEvent(
      {
        op: op as 'c',
        after: op === 'd' ? null : doc,
        before: op === 'd' || (op === 'u' && set === null) ? doc : null,
        patch: op === 'u' && set ? { set, unset: ['x.y'], truncatedArrays: [{ field: 'a', size: 1 }] } : null,
        tsMs: 1_700_000_000_000,
        source: { name: 'n', db: 'd', collection: 'c', tsMs: 1_700_000_000_000, ord: 3 },
      },
      { serialization, schemas },
    );
    if (edit) {
      // Corrupt the document text inside the envelope (still a valid envelope).
      const envelope = JSON.parse(value) as { payload?: { after?: string }; after?: string };
      const p = (envelope.payload ?? envelope) as { after?: string | null };
      if (typeof p.after === 'string') {
        const at = edit[0] % (p.after.length + 1);
        p.after = p.after.slice(0, at) + edit[1] + p.after.slice(at);
        value = JSON.stringify(envelope);
      }
    }
    const key = withKey ? encodeMongoKey(doc.get('_id') ?? null, { schemas }) : null;
    return { topic: 'n.d.c', partition: 1, offset: 5, key, value };
  });
