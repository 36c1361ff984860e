import type { Data } from 'apache-arrow';
import type { BsonValue } from '../bson/values.js';
import { ROW } from './row.js';

/** Smallest and largest non-null value of a column, in the natural JS form of its Delta type (see `stats.ts`). */
export interface Bounds {
  min: number | bigint | string;
  max: number | bigint | string;
}

/**
 * Column builders that write Arrow buffers directly: typed arrays for fixed-width values, UTF-8 encoded
 * straight into one growing value buffer for strings. No per-row objects, no generic builder dispatch.
 *
 * Each builder also keeps what the file's Delta statistics need — its null count and the bounds of its values — as
 * it appends, and can drop the slots of a row that turned out not to be one (`truncate`): the bounds a builder had
 * before its first value of the row (`ROW.id`) are kept aside until the next row touches it.
 */
export abstract class ColumnBuilder {
  length = 0;
  nullCount = 0;
  protected validity = new Uint8Array(64);
  /** The row (`ROW.id`) whose values the bounds include last; `saveBounds` runs when a new row starts. */
  protected stamp = -1;

  append(v: BsonValue | undefined): void {
    if (v === null || v === undefined) this.appendNull();
    else {
      this.setValid();
      this.write(v);
    }
  }

  appendNull(): void {
    this.ensureValidity();
    this.nullCount++;
    this.length++;
    this.writeNull();
  }

  private ensureValidity(): void {
    if (this.length >> 3 >= this.validity.length) {
      const next = new Uint8Array(this.validity.length * 2);
      next.set(this.validity);
      this.validity = next;
    }
  }

  /** Marks the next slot valid (`length` grows by one); the caller writes its value at `length - 1`. */
  protected setValid(): void {
    this.ensureValidity();
    const i = this.length >> 3;
    this.validity[i] = (this.validity[i] as number) | (1 << (this.length & 7));
    this.length++;
  }

  bitmap(): Uint8Array | undefined {
    return this.nullCount === 0 ? undefined : this.validity.subarray(0, (this.length + 7) >> 3);
  }

  /** Bounds of the values so far, or undefined (no value, or a type without Delta min/max). */
  bounds(): Bounds | undefined {
    return undefined;
  }

  /**
   * Drops the slots from `n` on: the values of a row being rolled back. Bounds go back to what they were before the
   * current row when this row changed them.
   */
  truncate(n: number): void {
    if (n >= this.length) return;
    for (let i = n; i < this.length; i++) {
      const byte = i >> 3;
      const bit = 1 << (i & 7);
      if (((this.validity[byte] as number) & bit) === 0) this.nullCount--;
      else this.validity[byte] = (this.validity[byte] as number) & ~bit;
    }
    const old = this.length;
    this.length = n;
    this.truncateValues(n, old);
    if (this.stamp === ROW.id) {
      this.restoreBounds();
      this.stamp = -1;
    }
  }

  /** Before the first bound update of a row: remember the bounds (`restoreBounds` puts them back). */
  protected touch(): void {
    if (this.stamp !== ROW.id) {
      this.stamp = ROW.id;
      this.saveBounds();
    }
  }

  protected saveBounds(): void {}
  protected restoreBounds(): void {}
  /** Drops the values of slots `[n, old)` where a later null slot would not overwrite them. */
  protected truncateValues(_n: number, _old: number): void {}

  /** Writes a non-null value at index `length - 1`. */
  protected abstract write(v: BsonValue): void;
  protected abstract writeNull(): void;
  abstract finish(): Data;
}

export function grow<T extends Int32Array | Float64Array | BigInt64Array | Uint32Array>(
  a: T,
  need: number,
): T {
  if (need <= a.length) return a;
  const C = a.constructor as new (n: number) => T;
  const next = new C(Math.max(need, a.length * 2));
  next.set(a as never);
  return next;
}
