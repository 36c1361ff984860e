/**
 * Applying a MongoDB change-stream update description (`updatedFields`, `removedFields`, `truncatedArrays`) to a
 * stored document, or refusing when the result could be wrong. Documents are `Map`s (BSON key order matters) and
 * arrays are JS arrays, as in bson-arrow's value model; other values are opaque. Pure: the base is never mutated,
 * only the maps and arrays on the changed paths are copied.
 *
 * A dotted path is resolved against the base: a numeric part indexes an array, any part names a field of a
 * document. It is refused when it is ambiguous or unsafe:
 * - the base has a field whose name contains a dot on the path (MongoDB ≥ 5 allows such names, and the update
 *   description does not say whether `a.b` means field `a.b` or field `b` of `a`);
 * - the path crosses a value that is neither a document nor an array, or a missing parent (`$set` would create
 *   documents, but the update description alone cannot tell which parts were array indexes);
 * - an array index leaves a gap (MongoDB pads with nulls; the description lists the padding, so a gap means
 *   something is missing).
 * Order: removals, then truncations, then sets, which is how the server applies a `$v:2` diff to arrays it shrinks.
 */

export type Doc = Map<string, unknown>;

export interface Patch {
  /** `updatedFields`: dotted path → new value. */
  readonly set: ReadonlyMap<string, unknown>;
  /** `removedFields`: dotted paths. */
  readonly unset: readonly string[];
  readonly truncatedArrays: readonly { readonly field: string; readonly size: number }[];
}

export type PatchResult =
  | { readonly ok: true; readonly doc: Doc }
  | { readonly ok: false; readonly reason: string };

class Refusal extends Error {}

const INDEX = /^(0|[1-9]\d*)$/;

type Container = Doc | unknown[];

function isContainer(v: unknown): v is Container {
  return v instanceof Map || Array.isArray(v);
}

function copy(c: Container): Container {
  return c instanceof Map ? new Map(c) : [...c];
}

function childOf(c: Container, part: string, path: string): unknown {
  if (c instanceof Map) {
    for (const k of c.keys()) {
      if (k.includes('.') && (k === part || k.startsWith(`${part}.`))) {
        throw new Refusal(`field name "${k}" contains a dot, so path "${path}" is ambiguous`);
      }
    }
    return c.get(part);
  }
  if (!INDEX.test(part)) throw new Refusal(`path "${path}" names field "${part}" of an array`);
  return c[Number(part)];
}

/** Copies the containers along `parts` (all but the last) and returns the copied root and the last parent. */
function descend(root: Doc, parts: readonly string[], path: string): { root: Doc; parent: Container } {
  const newRoot = new Map(root);
  let parent: Container = newRoot;
  for (const part of parts.slice(0, -1)) {
    const child = childOf(parent, part, path);
    if (!isContainer(child)) {
      throw new Refusal(
        child === undefined
          ? `path "${path}" goes through "${part}", which the stored document lacks`
          : `path "${path}" goes through "${part}", which is not a document or an array`,
      );
    }
    const copied = copy(child);
    setChild(parent, part, copied, path);
    parent = copied;
  }
  return { root: newRoot, parent };
}

function setChild(c: Container, part: string, value: unknown, path: string): void {
  if (c instanceof Map) {
    c.set(part, value);
    return;
  }
  const i = Number(part);
  if (i > c.length) throw new Refusal(`path "${path}" writes index ${i} of an array of length ${c.length}`);
  c[i] = value;
}

function partsOf(path: string): string[] {
  const parts = path.split('.');
  if (parts.some((p) => p === '')) throw new Refusal(`invalid path "${path}"`);
  return parts;
}

function unsetPath(doc: Doc, path: string): Doc {
  const parts = partsOf(path);
  const last = parts.at(-1) as string;
  const { root, parent } = descend(doc, parts, path);
  childOf(parent, last, path); // ambiguity check on the last part too
  // `$unset` of an array element leaves null in its place.
  if (parent instanceof Map) parent.delete(last);
  else if (Number(last) < parent.length) parent[Number(last)] = null;
  return root;
}

function truncatePath(doc: Doc, path: string, size: number): Doc {
  const parts = partsOf(path);
  const last = parts.at(-1) as string;
  const { root, parent } = descend(doc, parts, path);
  const arr = childOf(parent, last, path);
  if (!Array.isArray(arr)) throw new Refusal(`truncated field "${path}" is not an array`);
  if (!Number.isInteger(size) || size < 0 || size > arr.length) {
    throw new Refusal(`"${path}" truncated to ${size} but has ${arr.length} elements`);
  }
  setChild(parent, last, arr.slice(0, size), path);
  return root;
}

function setPath(doc: Doc, path: string, value: unknown): Doc {
  const parts = partsOf(path);
  const last = parts.at(-1) as string;
  const { root, parent } = descend(doc, parts, path);
  childOf(parent, last, path);
  setChild(parent, last, value, path);
  return root;
}

/** The document after the update, or why it cannot be computed safely from `base` and `patch`. */
export function applyPatch(base: Doc, patch: Patch): PatchResult {
  try {
    let doc = base;
    for (const path of patch.unset) doc = unsetPath(doc, path);
    for (const t of patch.truncatedArrays) doc = truncatePath(doc, t.field, t.size);
    // Sets in index order so appends of several elements (`a.3`, `a.4`) land without gaps.
    const sets = [...patch.set].sort(([a], [b]) => comparePaths(a, b));
    for (const [path, value] of sets) {
      if (path === '_id' || path.startsWith('_id.')) throw new Refusal('an update cannot change _id');
      doc = setPath(doc, path, value);
    }
    return { ok: true, doc };
  } catch (error) {
    if (error instanceof Refusal) return { ok: false, reason: error.message };
    throw error;
  }
}

/** Orders paths part by part, numeric parts by value, so `a.2` comes before `a.10`. */
function comparePaths(a: string, b: string): number {
  const pa = a.split('.');
  const pb = b.split('.');
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const x = pa[i] as string;
    const y = pb[i] as string;
    if (x === y) continue;
    if (INDEX.test(x) && INDEX.test(y)) return Number(x) - Number(y);
    return x < y ? -1 : 1;
  }
  return pa.length - pb.length;
}

/** Deep equality of documents as the patch functions see them (Maps in order, arrays, other values by `Object.is`). */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a instanceof Map && b instanceof Map) {
    if (a.size !== b.size) return false;
    const xs = [...a];
    const ys = [...b];
    return xs.every(([k, v], i) => ys[i]?.[0] === k && sameValue(v, ys[i]?.[1]));
  }
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((v, i) => sameValue(v, b[i]));
  if (a instanceof Map || b instanceof Map || Array.isArray(a) || Array.isArray(b)) return false;
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
    // Opaque values (BSON wrappers): equal when their own fields are.
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return (
      a.constructor === b.constructor &&
      ka.length === kb.length &&
      ka.every((k) => sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
    );
  }
  return Object.is(a, b);
}
