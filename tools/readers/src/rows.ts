import type { EncodedRow, EncodedValue } from './types.js';

/**
 * Canonical text of an encoded value: JSON with object keys sorted. Two values are equal in the DW
 * encoding exactly when their canonical texts are equal.
 */
export function canonicalJson(value: EncodedValue): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k] ?? null)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * Delta tables have no row order: sort both sides with this before comparing rows from different readers.
 * (The Python scripts already sort, with their own formatting of the same key; re-sorting in TypeScript
 * makes the order independent of how each language prints numbers.)
 */
export function sortRows<T extends EncodedRow>(rows: readonly T[]): T[] {
  return rows
    .map((row) => ({ row, key: canonicalJson(row) }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map(({ row }) => row);
}
