/**
 * MongoDB's `updateDescription` applied to a document: the change stream's description of an update, in the
 * order MongoDB itself defines (arrays truncated first, then `updatedFields` set, then `removedFields` removed).
 * Paths are dotted; a numeric segment indexes an array. Used by the generator to know each update's post-image
 * and by the checks to replay a changelog of partial updates.
 */
import type { BsonDocument, BsonValue, MongoPatch } from '@delta-writer/bson-arrow';

export function applyPatch(doc: BsonDocument, patch: MongoPatch): BsonDocument {
  const out = cloneDocument(doc);
  for (const { field, size } of patch.truncatedArrays) {
    const target = resolve(out, field);
    if (Array.isArray(target)) target.length = Math.min(target.length, size);
  }
  for (const [path, value] of patch.set) setPath(out, path.split('.'), clone(value));
  for (const path of patch.unset) unsetPath(out, path.split('.'));
  return out;
}

export function clone(v: BsonValue): BsonValue {
  if (v instanceof Map) return cloneDocument(v);
  if (Array.isArray(v)) return v.map(clone);
  return v; // every other BSON value is immutable
}

export function cloneDocument(doc: BsonDocument): BsonDocument {
  const out: BsonDocument = new Map();
  for (const [k, v] of doc) out.set(k, clone(v));
  return out;
}

function resolve(doc: BsonDocument, path: string): BsonValue | undefined {
  let at: BsonValue | undefined = doc;
  for (const segment of path.split('.')) {
    if (at instanceof Map) at = at.get(segment);
    else if (Array.isArray(at)) at = at[Number(segment)];
    else return undefined;
  }
  return at;
}

function setPath(container: BsonDocument | BsonValue[], segments: string[], value: BsonValue): void {
  const [head, ...rest] = segments as [string, ...string[]];
  if (Array.isArray(container)) {
    const index = Number(head);
    while (container.length < index) container.push(null); // MongoDB pads with nulls
    if (rest.length === 0) container[index] = value;
    else container[index] = child(container[index], rest, value);
    return;
  }
  container.set(head, rest.length === 0 ? value : child(container.get(head), rest, value));
}

/** A missing path is created as embedded documents, as `$set` does (a numeric segment makes a field, not an index). */
function child(existing: BsonValue | undefined, rest: string[], value: BsonValue): BsonValue {
  const next = existing instanceof Map || Array.isArray(existing) ? existing : new Map<string, BsonValue>();
  setPath(next, rest, value);
  return next;
}

function unsetPath(container: BsonValue | undefined, segments: string[]): void {
  const [head, ...rest] = segments as [string, ...string[]];
  if (container instanceof Map) {
    if (rest.length === 0) container.delete(head);
    else unsetPath(container.get(head), rest);
  } else if (Array.isArray(container)) {
    const index = Number(head);
    if (index >= container.length) return;
    if (rest.length === 0)
      container[index] = null; // $unset of an element leaves a null in its place
    else unsetPath(container[index], rest);
  }
}
