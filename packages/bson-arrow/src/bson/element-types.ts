/**
 * The element type a source declares for an array, where the array itself cannot say it: an empty relational
 * array (`int[]` `{}` in PostgreSQL) has no element to type a column by, but its Kafka Connect schema names one.
 * The relational decoder records it here; the batch builder types a new list column by it, so such a column is
 * `list<int>` from its first row instead of waiting in the overflow column for a non-empty array.
 */
import type { BsonValue } from './values.js';

export type DeclaredElement = 'int32' | 'int64' | 'double' | 'bool' | 'string';

const declared = new WeakMap<BsonValue[], DeclaredElement>();

export function declareElementType(array: BsonValue[], type: DeclaredElement): BsonValue[] {
  declared.set(array, type);
  return array;
}

export function declaredElementType(array: BsonValue[]): DeclaredElement | undefined {
  return declared.get(array);
}
