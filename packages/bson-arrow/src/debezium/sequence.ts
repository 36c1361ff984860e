import type { SourceSequence } from './types.js';

const WIDTH = 20; // 2^64 has 20 decimal digits

/** A sequence from non-negative parts; negative or missing parts sort first as 0. */
export function sequenceOf(parts: (bigint | number | null | undefined)[]): SourceSequence {
  const clean = parts.map((p) => {
    if (p === null || p === undefined) return 0n;
    const b = typeof p === 'bigint' ? p : BigInt(Math.trunc(p));
    return b < 0n ? 0n : b;
  });
  return { parts: clean, text: clean.map((p) => p.toString().padStart(WIDTH, '0')).join('.') };
}

export function compareSequence(a: SourceSequence, b: SourceSequence): number {
  const n = Math.max(a.parts.length, b.parts.length);
  for (let i = 0; i < n; i++) {
    const x = a.parts[i] ?? 0n;
    const y = b.parts[i] ?? 0n;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}
