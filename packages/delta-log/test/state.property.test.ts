/**
 * Property: the layered, persistent table state (a checkpoint's columns at the bottom, load-time replay in
 * plain Maps, later commits in a persistent trie) reconciles exactly like a plain forward replay into Maps,
 * and applying a commit to a copy never changes the state it was copied from. A state that does not track
 * tombstones (`tombstones: false`) has the same live files and txns.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Action, AddFile, DeletionVectorDescriptor, RemoveFile, Txn } from '../src/actions.js';
import { CheckpointFiles, CheckpointTombstones } from '../src/checkpoint/columns.js';
import { checkpointContentsFromParquet } from '../src/checkpoint/read.js';
import { encodeCheckpoint } from '../src/checkpoint/write.js';
import { canonicalPath, fileKey } from '../src/log/keys.js';
import { StateBuilder, type TableState } from '../src/log/replay.js';

// Paths that collide once canonicalized ('c%20d' ≡ 'c d', 'file:/x/y' ≡ '/x/y'), and a few DVs per path.
const PATHS = ['a', 'b', 'c%20d', 'c d', 'file:/x/y', '/x/y'];
// Inline vectors, and 'u…' ones in a file of their own (their tombstones are kept even when the path is re-added).
const DVS = [undefined, 'dv1', 'dv2', 'u1', 'u2'];

const dv = (id: string | undefined): DeletionVectorDescriptor | undefined =>
  id
    ? { storageType: id.startsWith('u') ? 'u' : 'i', pathOrInlineDv: id, sizeInBytes: 4, cardinality: 1 }
    : undefined;

const action = fc.oneof(
  fc.record({
    kind: fc.constant('add' as const),
    path: fc.constantFrom(...PATHS),
    dv: fc.constantFrom(...DVS),
    size: fc.nat(1000),
  }),
  fc.record({
    kind: fc.constant('remove' as const),
    path: fc.constantFrom(...PATHS),
    dv: fc.constantFrom(...DVS),
    size: fc.nat(1000),
  }),
  fc.record({
    kind: fc.constant('txn' as const),
    path: fc.constantFrom('app1', 'app2'),
    dv: fc.constant(undefined),
    size: fc.nat(1000),
  }),
);
type Gen = { kind: 'add' | 'remove' | 'txn'; path: string; dv: string | undefined; size: number };

function toAction(g: Gen): Action {
  const d = dv(g.dv);
  if (g.kind === 'txn') return { txn: { appId: g.path, version: g.size } };
  if (g.kind === 'add')
    return {
      add: {
        path: g.path,
        partitionValues: {},
        size: g.size,
        modificationTime: 1,
        dataChange: true,
        ...(d ? { deletionVector: d } : {}),
      },
    };
  return { remove: { path: g.path, dataChange: true, size: g.size, ...(d ? { deletionVector: d } : {}) } };
}

/**
 * The reference: forward replay into plain Maps, removes before adds within a commit; a remove leaves no tombstone
 * when the same commit adds its path again and the vector it ended was none or inline (nothing on storage to keep).
 */
class Model {
  files = new Map<string, AddFile>();
  tombstones = new Map<string, RemoveFile>();
  txns = new Map<string, Txn>();
  apply(actions: readonly Action[]): void {
    const adds: AddFile[] = [];
    const addedPaths = new Set<string>();
    for (const a of actions) if ('add' in a) addedPaths.add(canonicalPath(a.add.path));
    for (const a of actions) {
      if ('add' in a) adds.push(a.add);
      else if ('remove' in a) {
        const key = fileKey(a.remove.path, a.remove.deletionVector);
        this.files.delete(key);
        const ownFile = a.remove.deletionVector?.storageType === 'u';
        if (ownFile || !addedPaths.has(canonicalPath(a.remove.path))) this.tombstones.set(key, a.remove);
      } else if ('txn' in a) this.txns.set(a.txn.appId, a.txn);
    }
    const hasTombstones = this.tombstones.size > 0;
    for (const add of adds) {
      const key = fileKey(add.path, add.deletionVector);
      this.files.set(key, add);
      if (hasTombstones) this.tombstones.delete(key);
    }
  }
  copy(): Model {
    const m = new Model();
    m.files = new Map(this.files);
    m.tombstones = new Map(this.tombstones);
    m.txns = new Map(this.txns);
    return m;
  }
}

const header: Action[] = [
  {
    protocol: {
      minReaderVersion: 3,
      minWriterVersion: 7,
      readerFeatures: ['deletionVectors'],
      writerFeatures: ['deletionVectors'],
    },
  },
  {
    metaData: {
      id: 't',
      format: { provider: 'parquet', options: {} },
      schemaString: '{"type":"struct","fields":[]}',
      partitionColumns: [],
      configuration: {},
    },
  },
];

function expectSame(state: TableState, model: Model): void {
  const summary = (m: Iterable<[string, { size?: number | undefined }]>) =>
    [...m].map(([k, v]) => `${k}=${v.size}`).sort();
  expect(state.files.size).toBe(model.files.size);
  expect(summary(state.files)).toEqual(summary(model.files));
  expect([...state.files.keys()].sort()).toEqual([...model.files.keys()].sort());
  for (const k of model.files.keys()) expect(state.files.get(k)?.size).toBe(model.files.get(k)?.size);
  if (state.tombstones !== null) {
    expect(state.tombstones.size).toBe(model.tombstones.size);
    expect(summary(state.tombstones)).toEqual(summary(model.tombstones));
  }
  expect([...state.txns].map(([k, t]) => `${k}=${t.version}`).sort()).toEqual(
    [...model.txns].map(([k, t]) => `${k}=${t.version}`).sort(),
  );
  for (const p of PATHS) {
    const live = [...model.files.entries()].filter(([, f]) => canonicalPath(f.path) === canonicalPath(p));
    const found = state.files.byPathOf(p);
    if (live.length === 0) expect(found).toBeUndefined();
    else expect(live.map(([k]) => k)).toContain(fileKey(found?.path ?? '', found?.deletionVector));
  }
}

describe('layered table state', () => {
  it('reconciles like a forward replay into Maps, and copies are independent', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(action, { maxLength: 12 }),
        fc.array(fc.array(action, { maxLength: 6 }), { maxLength: 8 }),
        fc.nat(8),
        async (checkpointed, commits, atLoad) => {
          // The checkpoint: the model's state after one commit, encoded as Spark-schema Parquet.
          const model = new Model();
          model.apply(checkpointed.map(toAction));
          const cpActions: Action[] = [
            ...header,
            ...[...model.txns.values()].map((txn) => ({ txn })),
            ...[...model.files.values()].map((add) => ({ add })),
            ...[...model.tombstones.values()].map((remove) => ({ remove })),
          ];
          const contents = checkpointContentsFromParquet(
            (await encodeCheckpoint(cpActions, false)).bytes,
            'cp.parquet',
          );
          const files = new CheckpointFiles(contents.adds);
          const base = { files, tombstones: new CheckpointTombstones(contents.removes, files) };
          const builders = [new StateBuilder(base), new StateBuilder(base, { tombstones: false })];
          for (const b of builders) b.apply(contents.actions, 1);
          // Some commits replayed at load time, the rest applied one by one to copies.
          const split = Math.min(atLoad, commits.length);
          commits.slice(0, split).forEach((c, i) => {
            for (const b of builders) b.apply(c.map(toAction), 2 + i);
            model.apply(c.map(toAction));
          });
          let states = builders.map((b) => b.finish());
          expect(states.map((s) => s.tombstones === null)).toEqual([false, true]);
          const history: Array<[TableState, Model]> = states.map((s) => [s, model.copy()]);
          commits.slice(split).forEach((c, i) => {
            const next = states.map((s) => s.clone());
            for (const n of next) n.apply(c.map(toAction), 2 + split + i);
            model.apply(c.map(toAction));
            for (const n of next) history.push([n, model.copy()]);
            states = next;
          });
          expect(states[1]?.tombstones).toBeNull();
          for (const [s, m] of history) expectSame(s, m);
        },
      ),
      { numRuns: 300 },
    );
  });
});
