/**
 * A string-keyed map in three layers, so that a snapshot derived from another by one commit costs what the
 * commit changed, not what the table holds:
 *
 *   base  read-only rows of a checkpoint (columnar, materialized on demand), or nothing
 *   mid   a plain Map of what the commits replayed at load time changed; frozen once loading is done
 *   top   a persistent hash trie (immutable.js) of what commits applied afterwards changed: each new version
 *         shares all untouched nodes with the previous one
 *
 * A key deleted in an upper layer is shadowed by a GONE marker. `size` is tracked exactly on every change.
 */
import { Map as PersistentMap } from 'immutable';

const GONE = Symbol('gone');
type Slot<V> = V | typeof GONE;

/** The read-only bottom layer (e.g. a checkpoint's rows). Values must not be `undefined`. */
export interface BaseLayer<V> {
  readonly size: number;
  get(key: string): V | undefined;
  has(key: string): boolean;
  entries(): IterableIterator<[string, V]>;
  /** Keys alone, without materializing values. */
  keys(): IterableIterator<string>;
}

/** Changes to a map in progress; `done()` returns the resulting map. */
export interface MapEditor<V> {
  readonly size: number;
  get(key: string): V | undefined;
  set(key: string, value: V): void;
  delete(key: string): void;
  done(): LayeredMap<V>;
}

const EMPTY_MID: ReadonlyMap<string, unknown> = new Map<string, unknown>();

export class LayeredMap<V> implements ReadonlyMap<string, V> {
  private constructor(
    private readonly base: BaseLayer<V> | undefined,
    private readonly mid: ReadonlyMap<string, Slot<V>>,
    private readonly top: PersistentMap<string, Slot<V>>,
    readonly size: number,
  ) {}

  static empty<V>(): LayeredMap<V> {
    return new LayeredMap<V>(undefined, EMPTY_MID as ReadonlyMap<string, Slot<V>>, PersistentMap(), 0);
  }

  /**
   * An editor that writes into a plain Map (the mid layer) over `base`: the fast path for replaying many
   * commits at load time. The returned map owns that Map; the editor must not be used after `done()`.
   */
  static build<V>(base?: BaseLayer<V>): MapEditor<V> {
    const mid = new Map<string, Slot<V>>();
    let size = base?.size ?? 0;
    let finished = false;
    const present = (key: string): boolean => {
      const m = mid.get(key);
      return m !== undefined ? m !== GONE : (base?.has(key) ?? false);
    };
    const check = () => {
      if (finished) throw new Error('LayeredMap.build: editor used after done()');
    };
    return {
      get size() {
        return size;
      },
      get(key) {
        const m = mid.get(key);
        if (m !== undefined) return m === GONE ? undefined : m;
        return base?.get(key);
      },
      set(key, value) {
        check();
        if (!present(key)) size++;
        mid.set(key, value);
      },
      delete(key) {
        check();
        if (!present(key)) return;
        size--;
        if (base?.has(key)) mid.set(key, GONE);
        else mid.delete(key);
      },
      done() {
        finished = true;
        return new LayeredMap(base, mid, PersistentMap(), size);
      },
    };
  }

  /** An editor producing a new version; this map stays as it is. Each change costs O(log n). */
  edit(): MapEditor<V> {
    const top = this.top.asMutable();
    let size = this.size;
    const below = (key: string): boolean => {
      const m = this.mid.get(key);
      return m !== undefined ? m !== GONE : (this.base?.has(key) ?? false);
    };
    const present = (key: string): boolean => {
      const t = top.get(key);
      return t !== undefined ? t !== GONE : below(key);
    };
    return {
      get size() {
        return size;
      },
      get: (key) => {
        const t = top.get(key);
        if (t !== undefined) return t === GONE ? undefined : t;
        const m = this.mid.get(key);
        if (m !== undefined) return m === GONE ? undefined : m;
        return this.base?.get(key);
      },
      set(key, value) {
        if (!present(key)) size++;
        top.set(key, value);
      },
      delete(key) {
        if (!present(key)) return;
        size--;
        if (below(key)) top.set(key, GONE);
        else top.delete(key);
      },
      done: () => new LayeredMap(this.base, this.mid, top.asImmutable(), size),
    };
  }

  get(key: string): V | undefined {
    const t = this.top.get(key);
    if (t !== undefined) return t === GONE ? undefined : t;
    const m = this.mid.get(key);
    if (m !== undefined) return m === GONE ? undefined : m;
    return this.base?.get(key);
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  *entries(): MapIterator<[string, V]> {
    yield* this.upperEntries();
    if (!this.base) return;
    if (this.top.size === 0 && this.mid.size === 0) {
      yield* this.base.entries();
      return;
    }
    for (const [k, v] of this.base.entries()) if (!this.shadowed(k)) yield [k, v];
  }

  /** Live entries of the layers above the base (what changed since the checkpoint). */
  *upperEntries(): MapIterator<[string, V]> {
    for (const [k, v] of this.top) if (v !== GONE) yield [k, v];
    const topEmpty = this.top.size === 0;
    for (const [k, v] of this.mid) if (v !== GONE && (topEmpty || !this.top.has(k))) yield [k, v];
  }

  /** Keys of the base layer that no upper layer changed (their values are the base's). */
  *baseKeys(): MapIterator<string> {
    if (!this.base) return;
    const plain = this.top.size === 0 && this.mid.size === 0;
    for (const k of this.base.keys()) {
      if (plain || !this.shadowed(k)) yield k;
    }
  }

  private shadowed(key: string): boolean {
    return (this.top.size > 0 && this.top.has(key)) || (this.mid.size > 0 && this.mid.has(key));
  }

  *keys(): MapIterator<string> {
    for (const [k] of this.entries()) yield k;
  }

  *values(): MapIterator<V> {
    for (const [, v] of this.entries()) yield v;
  }

  [Symbol.iterator](): MapIterator<[string, V]> {
    return this.entries();
  }

  forEach(fn: (value: V, key: string, map: ReadonlyMap<string, V>) => void): void {
    for (const [k, v] of this.entries()) fn(v, k, this);
  }
}
