/**
 * A simulated MongoDB collection and its Debezium change stream, for the mirror model tests: a seeded random
 * history of inserts, partial updates, replaces and deletes (grouped in transactions that share one source
 * sequence), the events Debezium emits for it in a given capture mode, and their delivery to Kafka partitions
 * with adjacent duplicates, connector restarts that replay a suffix, and an optional repartitioning.
 */
import type { Doc, EventOp, MirrorEvent, Patch } from '@delta-writer/proto/mirror';

/** mulberry32: small, fast, seedable. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const pick = (r: () => number, n: number): number => Math.floor(r() * n);

export interface SourceParams {
  readonly seed: number;
  readonly keys: number;
  readonly ops: number;
  /** Most operations in one transaction (they share a sequence). */
  readonly txnMax: number;
  /** `patches` = Debezium `change_streams`: updates carry only the update description. */
  readonly mode: 'update_full' | 'patches';
  /** update_full: the lookup happens up to this many operations after the change (0: right away). */
  readonly lookupLag: number;
}

export interface SourceChange {
  readonly key: string;
  readonly seq: string;
  readonly op: EventOp;
  /** The document right after this change (null: deleted). */
  readonly state: Doc | null;
  /** The document right before it (the pre-image). */
  readonly previous: Doc | null;
  readonly after: Doc | null;
  readonly patch: Patch | null;
}

function clone(d: Doc): Doc {
  const out: Doc = new Map();
  for (const [k, v] of d) out.set(k, v instanceof Map ? clone(v as Doc) : Array.isArray(v) ? [...v] : v);
  return out;
}

/** A random partial update of `doc`: the new document and MongoDB's update description of the change. */
function randomUpdate(r: () => number, doc: Doc): { next: Doc; patch: Patch } {
  const next = clone(doc);
  const set = new Map<string, unknown>();
  const unset: string[] = [];
  const truncatedArrays: { field: string; size: number }[] = [];
  const changes = 1 + pick(r, 3);
  const touched = new Set<string>();
  for (let i = 0; i < changes; i++) {
    const what = pick(r, 5);
    if (what === 0 && !touched.has('a')) {
      touched.add('a');
      next.set('a', pick(r, 1000));
      set.set('a', next.get('a'));
    } else if (what === 1 && !touched.has('b')) {
      touched.add('b');
      if (next.has('b')) {
        next.delete('b');
        unset.push('b');
      } else {
        next.set('b', `b${pick(r, 100)}`);
        set.set('b', next.get('b'));
      }
    } else if (what === 2 && !touched.has('arr')) {
      touched.add('arr');
      const arr = [...(next.get('arr') as number[])];
      if (arr.length > 0 && r() < 0.4) {
        const size = pick(r, arr.length);
        arr.length = size;
        truncatedArrays.push({ field: 'arr', size });
      }
      for (let n = pick(r, 3); n > 0; n--) {
        const v = pick(r, 50);
        set.set(`arr.${arr.length}`, v);
        arr.push(v);
      }
      next.set('arr', arr);
    } else if (!touched.has('sub')) {
      touched.add('sub');
      const sub = next.get('sub') as Doc;
      sub.set('x', pick(r, 100));
      set.set('sub.x', sub.get('x'));
    }
  }
  if (set.size === 0 && unset.length === 0 && truncatedArrays.length === 0) {
    next.set('a', pick(r, 1000));
    set.set('a', next.get('a'));
  }
  return { next, patch: { set, unset, truncatedArrays } };
}

function newDoc(r: () => number, key: string): Doc {
  const doc: Doc = new Map<string, unknown>([
    ['_id', key],
    ['a', pick(r, 1000)],
    ['arr', Array.from({ length: pick(r, 3) }, () => pick(r, 50))],
    ['sub', new Map([['x', pick(r, 100)]])],
  ]);
  if (r() < 0.5) doc.set('b', `b${pick(r, 100)}`);
  return doc;
}

/** The source history and the collection it ends with. */
export function generateSource(p: SourceParams): { changes: SourceChange[]; final: Map<string, Doc> } {
  const r = rng(p.seed);
  const state = new Map<string, Doc>();
  const changes: SourceChange[] = [];
  // per key: (change index, state after) to answer update_full lookups "some time later"
  const timeline = new Map<string, { at: number; doc: Doc | null }[]>();
  let txn = 1;
  while (changes.length < p.ops) {
    const size = 1 + pick(r, p.txnMax);
    const txnSeq = `${1_700_000_000 + txn}.${pick(r, 3)}`;
    txn++;
    for (let i = 0; i < size && changes.length < p.ops; i++) {
      // Partial updates need the order inside a transaction (Debezium provide.transaction.metadata: total_order).
      const seq = p.mode === 'patches' ? `${txnSeq}.${i}` : txnSeq;
      const key = `k${pick(r, p.keys)}`;
      const doc = state.get(key);
      let change: Omit<SourceChange, 'after'> & { after: Doc | null };
      if (!doc) {
        const d = newDoc(r, key);
        change = { key, seq, op: 'c', state: d, previous: null, after: d, patch: null };
      } else {
        const what = r();
        if (what < 0.15) change = { key, seq, op: 'd', state: null, previous: doc, after: null, patch: null };
        else if (what < 0.3) {
          const d = newDoc(r, key);
          change = { key, seq, op: 'u', state: d, previous: doc, after: d, patch: null }; // replace
        } else {
          const { next, patch } = randomUpdate(r, doc);
          change = { key, seq, op: 'u', state: next, previous: doc, after: null, patch };
        }
      }
      if (change.state) state.set(key, change.state);
      else state.delete(key);
      const t = timeline.get(key) ?? [];
      t.push({ at: changes.length, doc: change.state });
      timeline.set(key, t);
      changes.push(change);
    }
  }
  if (p.mode === 'update_full') {
    // Debezium looks the document up when it processes the change: it may already reflect later changes, or be
    // gone (then `after` is null and only the update description is left).
    changes.forEach((c, i) => {
      if (c.op !== 'u' || c.patch === null) return;
      const at = i + pick(r, p.lookupLag + 1);
      const t = timeline.get(c.key) ?? [];
      let seen: Doc | null = c.state;
      for (const s of t) if (s.at <= at && s.at >= i) seen = s.doc;
      changes[i] = { ...c, after: seen };
    });
  }
  return { changes, final: state };
}

export interface KafkaParams {
  readonly seed: number;
  readonly partitions: number;
  /** Records sent before the topic gets twice the partitions (keys move to new partitions). */
  readonly repartitionAt?: number;
  readonly duplicateRate: number;
  /** Connector restarts: each re-emits every change from up to `replayWindow` changes back. */
  readonly replays: number;
  readonly replayWindow: number;
  /** Share of partial updates that carry their pre-image (`change_streams_with_pre_image`). */
  readonly preImages: number;
}

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** Each partition's records, in offset order, as MirrorEvents (their versions carry partition and offset). */
export function deliver(changes: readonly SourceChange[], p: KafkaParams): MirrorEvent[][] {
  const r = rng(p.seed ^ 0x9e3779b9);
  const total = p.repartitionAt === undefined ? p.partitions : p.partitions * 2;
  const logs: MirrorEvent[][] = Array.from({ length: total }, () => []);
  const preImage = new Set(changes.filter(() => r() < p.preImages));
  const restarts = new Set(Array.from({ length: p.replays }, () => pick(r, changes.length)));
  let emitted = 0;
  const send = (c: SourceChange) => {
    // The producer picks the partition when it sends: after the repartitioning, replays go to the new ones too.
    const n = p.repartitionAt !== undefined && emitted++ >= p.repartitionAt ? total : p.partitions;
    const partition = hash(c.key) % n;
    const log = logs[partition] as MirrorEvent[];
    log.push({
      key: c.key,
      version: { seq: c.seq, partition, offset: log.length },
      op: c.op,
      after: c.after,
      patch: c.after ? null : c.patch,
      ...(c.op === 'u' && !c.after && preImage.has(c) ? { before: c.previous } : {}),
    });
  };
  let i = 0;
  while (i < changes.length) {
    const c = changes[i] as SourceChange;
    send(c);
    if (r() < p.duplicateRate) send(c); // a producer retry: the same record again, right after
    if (restarts.has(i)) {
      restarts.delete(i);
      // The connector restarts from an older resume point and emits everything after it again.
      i = Math.max(0, i - pick(r, p.replayWindow));
      continue;
    }
    i++;
  }
  return logs;
}
