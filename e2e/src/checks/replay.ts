/**
 * Replays a MongoDB changelog table into the collection it describes: rows in source order (`_cdc_seq`, then Kafka
 * position), inserts and snapshot reads set the document, replaces and full-document updates set it, partial updates
 * apply their `_cdc_patch` to the pre-image the row holds or else to the replayed document, deletes remove it. The
 * result must equal the generator's model: what a mirror of the collection would hold.
 */
import { type BsonValue, parseExtendedJson } from '@delta-writer/bson-arrow';
import type { DeltaField } from './delta-log.js';
import { type Plain, plainBson, rowDocument } from './documents.js';

type Row = Record<string, unknown>;
type PlainDoc = { [key: string]: Plain };

export function replayChangelog(rows: readonly Row[], fields: DeltaField[]): Map<string, PlainDoc> {
  const ordered = [...rows].sort(
    (a, b) =>
      compare(String(a._cdc_seq), String(b._cdc_seq)) ||
      Number(a._kafka_partition) - Number(b._kafka_partition) ||
      compare(String(a._kafka_offset).padStart(20, '0'), String(b._kafka_offset).padStart(20, '0')),
  );
  const state = new Map<string, PlainDoc>();
  for (const row of ordered) {
    const key = String(row._cdc_key);
    const doc = rowDocument(row, fields);
    switch (row._cdc_op) {
      case 'd':
        state.delete(key);
        break;
      case 'u': {
        if (row._cdc_patch === null || row._cdc_patch === undefined) {
          state.set(key, doc); // a replace: the whole new document
          break;
        }
        // the row holds after (update_full), before (pre-images) or only the key (change_streams)
        const base = Object.keys(doc).some((k) => k !== '_id') ? doc : (state.get(key) ?? doc);
        state.set(
          key,
          applyPlainPatch(base, parseExtendedJson(String(row._cdc_patch)) as Map<string, BsonValue>),
        );
        break;
      }
      default:
        state.set(key, doc);
    }
  }
  return state;
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The same patch semantics as the generator's (truncate, set, unset), on documents in comparable form. */
function applyPlainPatch(doc: PlainDoc, patch: Map<string, BsonValue>): PlainDoc {
  const out = structuredClone(doc);
  for (const t of (patch.get('truncatedArrays') as Map<string, BsonValue>[] | null) ?? []) {
    const target = resolve(out, String(t.get('field')));
    if (Array.isArray(target)) target.length = Math.min(target.length, Number(t.get('size')));
  }
  for (const [path, value] of (patch.get('set') as Map<string, BsonValue> | null) ?? new Map()) {
    setPath(out, path.split('.'), plainBson(value) ?? null);
  }
  for (const path of (patch.get('unset') as string[] | null) ?? []) unsetPath(out, path.split('.'));
  return (normalize(out) as PlainDoc | undefined) ?? {};
}

function resolve(doc: PlainDoc, path: string): Plain | undefined {
  let at: Plain | undefined = doc;
  for (const s of path.split('.')) {
    if (Array.isArray(at)) at = at[Number(s)];
    else if (at && typeof at === 'object') at = at[s];
    else return undefined;
  }
  return at;
}

function setPath(container: PlainDoc | Plain[], segments: string[], value: Plain): void {
  const [head, ...rest] = segments as [string, ...string[]];
  if (Array.isArray(container)) {
    const i = Number(head);
    while (container.length < i) container.push(null);
    container[i] = rest.length === 0 ? value : child(container[i], rest, value);
  } else {
    container[head] = rest.length === 0 ? value : child(container[head], rest, value);
  }
}

function child(existing: Plain | undefined, rest: string[], value: Plain): Plain {
  const next = existing !== null && typeof existing === 'object' ? existing : {};
  setPath(next, rest, value);
  return next;
}

function unsetPath(container: Plain | undefined, segments: string[]): void {
  const [head, ...rest] = segments as [string, ...string[]];
  if (Array.isArray(container)) {
    const i = Number(head);
    if (i >= container.length) return;
    if (rest.length === 0) container[i] = null;
    else unsetPath(container[i], rest);
  } else if (container !== null && typeof container === 'object') {
    if (rest.length === 0) delete container[head];
    else unsetPath(container[head], rest);
  }
}

/** Nulls and emptied documents dropped, keys sorted: the form {@link plainDoc} gives the model. */
function normalize(v: Plain): Plain | undefined {
  if (v === null) return undefined;
  if (Array.isArray(v)) return v.map((x) => normalize(x) ?? null);
  if (typeof v !== 'object') return v;
  const out: PlainDoc = {};
  for (const key of Object.keys(v).sort()) {
    const x = normalize(v[key] as Plain);
    if (x !== undefined) out[key] = x;
  }
  return Object.keys(out).length === 0 ? undefined : out;
}
