/**
 * Within-batch collapse: the change events of a batch, folded per document key into the key's final state, in
 * source order. Pure and generic over the document type, so the ingestor can run it on bson-arrow `ChangeEvent`s
 * (which satisfy {@link ChangeEventLike}) before it builds rows, and tests can run it on plain maps.
 *
 * Per key, events are ordered by version (source sequence, then Kafka offset within a partition; see version.ts),
 * exact duplicates (same version, same partition and offset) are dropped, and then:
 * - an event with a full document (`c`, `r`, replace, update with a looked-up `after`) sets the state;
 * - a delete sets the state to deleted;
 * - a partial update (patch only) depends on the table's `partialUpdates` setting, which follows Debezium's
 *   `capture.mode`:
 *   - `skip` for the `*_update_full*` modes: there an update without `after` means the lookup found the document
 *     deleted, and its delete event follows; the update is dropped (counted), the state is left as it was;
 *   - `apply` for `change_streams` and `change_streams_with_pre_image`: the update description is applied to the
 *     state when the batch holds the document (or the event carries its pre-image `before`); otherwise the key is
 *     *unresolved*: its base is the stored row, which only the table has.
 * Relational events with unavailable (unchanged TOAST) columns are partial updates too: the columns present are set
 * on top of the base, the unavailable ones keep the base's value.
 */

import { keyIdentity } from './key.js';
import { applyPatch, type Doc, type Patch } from './patch.js';
import { compactSeq, compareVersion, type RowVersion } from './version.js';

export type EventOp = 'c' | 'u' | 'd' | 'r';

export interface MirrorEvent {
  readonly key: string;
  readonly version: RowVersion;
  readonly op: EventOp;
  /** The full document after the change, or null (deletes, patch-only updates). */
  readonly after: Doc | null;
  /** A partial update to apply to the previous state (used when `after` is null). */
  readonly patch: Patch | null;
  /** The document before the change (MongoDB pre-images), a base for `patch` when the batch has none. */
  readonly before?: Doc | null;
  /**
   * A partial update that is applied even under `skip`: relational events with unchanged TOAST columns (the other
   * columns changed; skipping the event would lose that change).
   */
  readonly mustApply?: boolean;
}

export interface CollapseOptions {
  /** What a partial update does: `apply` it, or `skip` it (Debezium `*_update_full*` modes). */
  readonly partialUpdates: 'apply' | 'skip';
}

export type Collapsed =
  | {
      readonly kind: 'upsert';
      readonly key: string;
      readonly version: RowVersion;
      readonly doc: Doc;
      /**
       * Set when partial updates were applied to a full document of the batch: that document's version. The row is
       * right only if nothing newer than it is stored (the planner checks; see `BatchRow.from`).
       */
      readonly from?: RowVersion;
    }
  | { readonly kind: 'delete'; readonly key: string; readonly version: RowVersion }
  /**
   * The key's final state needs the stored row: `patches` apply, in order, on top of it. `reason` says why it could
   * not be resolved in the batch (no base, or the patch cannot be applied safely to the base the batch has).
   */
  | {
      readonly kind: 'unresolved';
      readonly key: string;
      readonly version: RowVersion;
      readonly patches: readonly Patch[];
      readonly reason: string;
    };

export interface CollapseResult {
  /** One entry per key, in order of the key's first event in the input. */
  readonly rows: readonly Collapsed[];
  /** Events dropped as exact duplicates (same key, version and Kafka position). */
  readonly duplicates: number;
  /** Events folded into a later one of the same key. */
  readonly folded: number;
  /** Partial updates dropped under `partialUpdates: 'skip'` (a high share means the capture mode is not update_full). */
  readonly skipped: number;
}

type State =
  | { kind: 'none' }
  | { kind: 'doc'; doc: Doc; from?: RowVersion }
  | { kind: 'deleted' }
  | { kind: 'chain'; patches: Patch[]; reason: string };

function chain(patches: Patch[], reason: string): State {
  return { kind: 'chain', patches, reason };
}

/** The state after applying the partial update `patch` of event `e`. */
function applyTo(state: State, e: MirrorEvent, patch: Patch, imageVersion: RowVersion | undefined): State {
  // A pre-image is exact whatever the batch holds, so it wins over the batch's document: that one may be a replay
  // older than the stored row (the committer would refuse the row as built on a stale base), or miss changes that
  // are in another batch.
  if (e.before) return onPreImage(e.before, patch);
  switch (state.kind) {
    case 'doc': {
      const applied = applyPatch(state.doc, patch);
      return applied.ok
        ? { kind: 'doc', doc: applied.doc, from: state.from ?? imageVersion }
        : chain([patch], `cannot apply the update safely: ${applied.reason}`);
    }
    case 'chain':
      return chain([...state.patches, patch], state.reason);
    case 'deleted':
      // Updates never follow a delete in source order (a re-insert is an insert): the history is incomplete.
      return chain([patch], 'a partial update follows a delete of the same key');
    case 'none':
      return chain([patch], 'the document it updates is not in the batch');
  }
}

function onPreImage(before: Doc, patch: Patch): State {
  const applied = applyPatch(before, patch);
  return applied.ok
    ? { kind: 'doc', doc: applied.doc }
    : chain([patch], `cannot apply the update to its pre-image: ${applied.reason}`);
}

function sameVersion(a: MirrorEvent, b: MirrorEvent): boolean {
  const [x, y] = [a.version, b.version];
  return x.seq === y.seq && x.partition === y.partition && x.offset === y.offset;
}

export function collapseEvents(events: readonly MirrorEvent[], options: CollapseOptions): CollapseResult {
  const byKey = new Map<string, { e: MirrorEvent; i: number }[]>();
  events.forEach((e, i) => {
    const list = byKey.get(e.key);
    if (list) list.push({ e, i });
    else byKey.set(e.key, [{ e, i }]);
  });
  const rows: Collapsed[] = [];
  let duplicates = 0;
  let folded = 0;
  let skipped = 0;
  for (const [key, list] of byKey) {
    // Stable: equal versions keep input (= Kafka) order.
    list.sort((a, b) => compareVersion(a.e.version, b.e.version) || a.i - b.i);
    let state: State = { kind: 'none' };
    let last: MirrorEvent | undefined;
    let applied: MirrorEvent | undefined;
    /** Version of the batch's newest full document so far (the base of partial updates that follow it). */
    let image: RowVersion | undefined;
    for (const { e } of list) {
      if (last && sameVersion(last, e)) {
        duplicates++;
        continue;
      }
      if (last) folded++;
      last = e;
      if (e.op === 'd') state = { kind: 'deleted' };
      else if (e.after) {
        state = { kind: 'doc', doc: e.after };
        image = e.version;
      } else if (!e.patch) state = chain([], `${e.op} event without a document or an update description`);
      else if (options.partialUpdates === 'skip' && !e.mustApply) {
        skipped++;
        continue;
      } else {
        state = applyTo(state, e, e.patch, image);
        // Built on an exact pre-image, the document no longer depends on the batch's older one.
        if (e.before) image = undefined;
      }
      applied = e;
    }
    if (!applied) continue;
    const version = applied.version;
    switch (state.kind) {
      case 'doc':
        rows.push({
          kind: 'upsert',
          key,
          version,
          doc: state.doc,
          ...(state.from ? { from: state.from } : {}),
        });
        break;
      case 'deleted':
        rows.push({ kind: 'delete', key, version });
        break;
      case 'chain':
        rows.push({ kind: 'unresolved', key, version, patches: state.patches, reason: state.reason });
        break;
      case 'none':
        break;
    }
  }
  return { rows, duplicates, folded, skipped };
}

/** The fields of a bson-arrow `ChangeEvent` that the collapse reads (structurally; no dependency on the package). */
export interface ChangeEventLike {
  readonly op: string;
  readonly keyCanonical: string | null;
  readonly seq: { readonly text: string };
  readonly after: Doc | null;
  readonly patch: Patch | null;
  readonly before: Doc | null;
  readonly unavailable: readonly string[];
  readonly record: { readonly partition: number; readonly offset: bigint };
}

/**
 * A decoded change event as a {@link MirrorEvent}, or a reason it cannot feed a mirror table (no key, or an op
 * without row semantics such as a truncate).
 */
export function mirrorEventOf(e: ChangeEventLike): MirrorEvent | string {
  if (e.keyCanonical === null)
    return 'the event has no document key (a table without a primary key cannot be mirrored)';
  if (e.op !== 'c' && e.op !== 'u' && e.op !== 'd' && e.op !== 'r')
    return `op "${e.op}" cannot be applied to a mirror table`;
  const key = keyIdentity(e.keyCanonical);
  const version = {
    seq: compactSeq(e.seq.text),
    partition: e.record.partition,
    offset: Number(e.record.offset),
  };
  if (e.op !== 'd' && e.after && e.unavailable.length > 0) {
    // Unchanged TOAST columns are absent from `after`: set what is there, keep the rest from the base.
    return {
      key,
      version,
      op: e.op,
      after: null,
      patch: { set: e.after, unset: [], truncatedArrays: [] },
      mustApply: true,
      // REPLICA IDENTITY FULL: the old row holds the unchanged columns, an exact base.
      ...(e.before ? { before: e.before } : {}),
    };
  }
  return {
    key,
    version,
    op: e.op,
    after: e.op === 'd' ? null : e.after,
    patch: e.patch,
    ...(e.op === 'u' && e.before ? { before: e.before } : {}),
  };
}
