/**
 * A randomized MongoDB change stream as the Debezium connector writes it (capture mode update_full, or
 * change_streams_with_pre_image), with what goes wrong in practice, and the collection it must leave behind (the
 * model).
 *
 * Per step one change of one document, in source order: inserts (also of deleted keys), full-document updates with
 * their update description, replacements, deletes (each followed by its Kafka tombstone), deletes of keys never seen
 * (the insert may be late), and updates whose lookup found the document already gone (`after` null: skipped by the
 * mirror, their delete follows). A key's events go to its partition. On top: exact duplicates (producer retries),
 * connector restarts that re-send the partition's last records, and late copies of a key's older events on another
 * partition (a repartitioned topic). None of those may move a row backwards, so the model is simply each document's
 * state after its newest change.
 */
import { type BsonDocument, encodeMongoEvent, encodeMongoKey, ObjectId } from '@delta-writer/bson-arrow';

export interface StreamRecord {
  partition: number;
  key: string;
  /** null: a Kafka tombstone. */
  value: string | null;
}

/** A live document as delta-rs reads its row back (the readers' JSON encoding), by canonical key. */
export interface ModelRow {
  n: number;
  name: string;
  tags: string[];
  nested: { a: number; b: string };
  note: string | null;
}

export interface MirrorStream {
  records: StreamRecord[];
  /** The collection after the stream: canonical key (`_cdc_key`) → row. */
  model: Map<string, ModelRow>;
  counts: Record<string, number>;
}

export interface StreamOptions {
  seed: number;
  steps: number;
  keys: number;
  partitions: number;
  /**
   * change_streams_with_pre_image instead of update_full: updates carry their update description and the document
   * before the change, never the document after it (replacements still do).
   */
  preImages?: boolean;
}

/** mulberry32: small, seedable, good enough to pick test cases. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const idOf = (k: number) => new ObjectId(`6600${k.toString(16).padStart(20, '0')}`);
export const canonicalKeyOf = (k: number) => JSON.stringify({ $oid: idOf(k).hex });

export function mirrorStream(o: StreamOptions): MirrorStream {
  const rnd = random(o.seed);
  const pick = (n: number) => Math.floor(rnd() * n);
  const state = new Map<number, ModelRow>();
  const history = new Map<number, StreamRecord[]>(); // every change event of a key, as sent
  const byPartition: StreamRecord[][] = Array.from({ length: o.partitions }, () => []);
  const records: StreamRecord[] = [];
  const counts: Record<string, number> = {};
  const count = (what: string) => {
    counts[what] = (counts[what] ?? 0) + 1;
  };
  const send = (r: StreamRecord) => {
    records.push(r);
    byPartition[r.partition]?.push(r);
  };
  let step = 0;

  const change = (
    k: number,
    op: 'c' | 'u' | 'd',
    row: ModelRow | null,
    patch?: ModelRow,
    before?: ModelRow,
  ): StreamRecord => {
    const preImage = o.preImages === true && patch !== undefined && before !== undefined;
    // MongoDB sequences: cluster time seconds, then the order within the second.
    const tsMs = 1_760_000_000_000 + Math.floor(step / 4) * 1000;
    const ord = (step % 4) + 1;
    step++;
    const value = encodeMongoEvent({
      op,
      after: row && !preImage ? documentOf(k, row) : null,
      before: preImage ? documentOf(k, before) : null,
      ...(patch && {
        patch: {
          set: new Map<string, unknown>([
            ['n', patch.n],
            ...(patch.note === null ? [] : [['note', patch.note] as const]),
          ]) as BsonDocument,
          // MongoDB lists only fields that were there.
          unset: patch.note === null && before?.note !== null ? ['note'] : [],
          truncatedArrays: [],
        },
      }),
      tsMs,
      source: { name: 'it', db: 'shop', collection: 'items', tsMs, ord },
    });
    const r = { partition: k % o.partitions, key: encodeMongoKey(idOf(k)), value };
    history.set(k, [...(history.get(k) ?? []), r]);
    return r;
  };

  while (step < o.steps) {
    const k = pick(o.keys);
    const current = state.get(k);
    const p = k % o.partitions;
    const dice = rnd();
    let sent: StreamRecord;
    if (!current) {
      if (dice < 0.07 && !history.has(k)) {
        sent = change(k, 'd', null);
        count('delete of an unknown key');
      } else {
        const row = newRow(k, rnd);
        state.set(k, row);
        sent = change(k, 'c', row);
        count(history.get(k)?.length === 1 ? 'insert' : 're-insert');
      }
    } else if (dice < 0.55) {
      const row = { ...current, n: current.n + 1, note: rnd() < 0.3 ? null : `note ${step}` };
      state.set(k, row);
      sent = change(k, 'u', row, row, current);
      count('update');
    } else if (dice < 0.68) {
      const row = newRow(k, rnd);
      row.n = current.n + 1;
      state.set(k, row);
      sent = change(k, 'u', row);
      count('replace');
    } else if (dice < 0.93) {
      state.delete(k);
      sent = change(k, 'd', null);
      count('delete');
    } else {
      // The lookup ran after a later delete: no document, only the description; the delete follows.
      send(change(k, 'u', null, { ...current, n: current.n + 1 }, current));
      state.delete(k);
      sent = change(k, 'd', null);
      count('update without document, then delete');
    }
    send(sent);
    if (sent.value !== null && JSON.parse(sent.value).op === 'd') send({ ...sent, value: null });

    if (rnd() < 0.04) {
      send({ ...sent });
      count('duplicate');
    }
    if (rnd() < 0.01) {
      const tail = byPartition[p]?.slice(-(5 + pick(30))) ?? [];
      for (const r of tail) send({ ...r });
      count('connector replay');
    }
    const past = history.get(k) ?? [];
    if (o.partitions > 1 && past.length > 1 && rnd() < 0.02) {
      send({ ...(past[pick(past.length - 1)] as StreamRecord), partition: (p + 1) % o.partitions });
      count('late event on another partition');
    }
  }
  const model = new Map([...state].map(([k, row]) => [canonicalKeyOf(k), row]));
  return { records, model, counts };
}

function newRow(k: number, rnd: () => number): ModelRow {
  return {
    n: 0,
    name: `item ${k} ${Math.floor(rnd() * 1000)}`,
    tags: Array.from({ length: Math.floor(rnd() * 3) }, (_, i) => `t${i}${Math.floor(rnd() * 9)}`),
    nested: { a: Math.floor(rnd() * 100_000), b: rnd() < 0.5 ? 'x' : 'y' },
    note: rnd() < 0.5 ? null : 'fresh',
  };
}

function documentOf(k: number, row: ModelRow): BsonDocument {
  const doc = new Map<string, unknown>([
    ['_id', idOf(k)],
    ['n', row.n],
    ['name', row.name],
    ['tags', row.tags],
    [
      'nested',
      new Map<string, unknown>([
        ['a', row.nested.a],
        ['b', row.nested.b],
      ]),
    ],
  ]);
  if (row.note !== null) doc.set('note', row.note);
  return doc as BsonDocument;
}
