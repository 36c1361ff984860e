/**
 * The workload, decoded by the same decoder the ingestor uses: every record decodes to the change the generator
 * meant (operation, source position, key, documents, patch), capture modes carry exactly the parts the connector
 * documents, and the decoded stream replays into the generator's model of each collection.
 */
import { type BsonDocument, Decoder } from '@delta-writer/bson-arrow';
import { describe, expect, it } from 'vitest';
import { patchDocument } from '../../src/checks/changelog.js';
import { plainBson, plainDoc } from '../../src/checks/documents.js';
import type { Change, SourceRecord } from '../../src/generator/changes.js';
import { customers } from '../../src/generator/documents.js';
import { applyPatch } from '../../src/generator/patch.js';
import { standardCollections, Workload } from '../../src/generator/workload.js';

const plain = (v: unknown) => JSON.stringify(plainBson(v as never) ?? null);

function generate(seed: number) {
  const collections = [
    ...standardCollections(3),
    // the fifth dialect: Debezium 3.7's `strict` mode (v1 strict in updatedFields too)
    {
      db: 'shop',
      collection: 'accounts',
      kind: customers,
      partitions: 2,
      dialect: {
        serialization: 'strict',
        schemas: true,
        generation: '2.7',
        capture: 'change_streams',
      } as const,
    },
  ];
  const workload = new Workload({ prefix: 'gen', collections, seed, plannedEvents: 1500, lateLookups: 0.2 });
  const batches = [workload.snapshot(10), workload.step(500), workload.step(500), workload.step(500)];
  const byTopic = new Map<string, SourceRecord[]>();
  for (const b of batches) for (const [t, rs] of b) byTopic.set(t, [...(byTopic.get(t) ?? []), ...rs]);
  return { workload, byTopic };
}

describe('the MongoDB workload generator', () => {
  it.each([1, 2, 3])('writes records the decoder reads back as the intended changes (seed %i)', (seed) => {
    const { workload, byTopic } = generate(seed);
    const decoder = new Decoder();
    for (const [topic, records] of byTopic) {
      const replayed = new Map<string, BsonDocument>();
      records.forEach((r, offset) => {
        const d = decoder.decode({ topic, partition: r.partition, offset, key: r.key, value: r.value });
        if (r.tombstoneOf) {
          expect(d).toMatchObject({ kind: 'tombstone', keyCanonical: r.tombstoneOf.keyCanonical });
          return;
        }
        const c = r.change as Change;
        if (d.kind !== 'change') throw new Error(`${topic}@${offset}: ${JSON.stringify(d)}`);
        expect({ op: d.op, seq: d.seq.parts, key: d.keyCanonical }).toEqual({
          op: c.op,
          seq: [...c.seq],
          key: c.keyCanonical,
        });
        expect(plain(d.after)).toBe(plain(c.after));
        expect(plain(d.before)).toBe(plain(c.before));
        expect(plain(d.patch && patchDocument(d.patch))).toBe(plain(c.patch && patchDocument(c.patch)));
        // replay as a consumer of the topic would
        const key = d.keyCanonical as string;
        if (d.op === 'd') replayed.delete(key);
        else if (d.patch) {
          // the pre-image when sent, else what the replay holds (a late lookup's `after` may be ahead of the patch)
          replayed.set(key, applyPatch((d.before ?? replayed.get(key)) as BsonDocument, d.patch));
        } else replayed.set(key, d.after as BsonDocument);
      });
      const model = workload.models.get(topic)?.documents ?? new Map();
      expect(new Set(replayed.keys())).toEqual(new Set(model.keys()));
      for (const [key, doc] of model) expect(plainDoc(replayed.get(key))).toEqual(plainDoc(doc));
    }
  });

  it('shapes updates and deletes as each capture mode does (docs/debezium-formats.md §2.3)', () => {
    const { byTopic } = generate(7);
    const shapes = new Map<string, Set<string>>();
    for (const records of byTopic.values()) {
      for (const r of records) {
        const c = r.change;
        if (!c || c.kind === 'insert' || c.kind === 'snapshot') continue;
        const capture =
          standardCollections().find((p) => p.collection === c.collection)?.dialect.capture ??
          'change_streams';
        const shape = `${c.kind}: after=${c.after ? 'doc' : 'null'} before=${c.before ? 'doc' : 'null'} patch=${c.patch ? 'set' : 'null'}`;
        shapes.set(capture, (shapes.get(capture) ?? new Set()).add(shape));
      }
    }
    const sorted = Object.fromEntries([...shapes].map(([k, v]) => [k, [...v].sort()]));
    expect(sorted).toEqual({
      change_streams: [
        'delete: after=null before=null patch=null',
        'replace: after=doc before=null patch=null',
        'update: after=null before=null patch=set',
      ],
      // update_full: a late lookup of a deleted document has no `after`
      change_streams_update_full: [
        'delete: after=null before=null patch=null',
        'replace: after=doc before=null patch=null',
        'update: after=doc before=null patch=set',
        'update: after=null before=null patch=set',
      ],
      change_streams_update_full_with_pre_image: [
        'delete: after=null before=doc patch=null',
        'replace: after=doc before=doc patch=null',
        'update: after=doc before=doc patch=set',
        'update: after=null before=doc patch=set',
      ],
      change_streams_with_pre_image: [
        'delete: after=null before=doc patch=null',
        'replace: after=doc before=doc patch=null',
        'update: after=null before=doc patch=set',
      ],
    });
  });
});
