import type { SourceSequence } from './types.js';

const WIDTH = 20; // 2^64 has 20 decimal digits

/** A sequence from non-negative parts; negative or missing parts sort first as 0. */
export function sequenceOf(parts: (bigint | number | null | undefined)[]): SourceSequence {
  const clean: bigint[] = new Array(parts.length);
  let text = '';
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i];
    let digits: string;
    if (typeof p === 'number' && p >= 0 && p <= Number.MAX_SAFE_INTEGER) {
      // A safe integer's decimal digits are the same from the number as from its BigInt.
      const n = Math.trunc(p);
      clean[i] = BigInt(n);
      digits = String(n);
    } else {
      const b = p === null || p === undefined ? 0n : typeof p === 'bigint' ? p : BigInt(Math.trunc(p));
      clean[i] = b < 0n ? 0n : b;
      digits = (clean[i] as bigint).toString();
    }
    text += (i === 0 ? '' : '.') + digits.padStart(WIDTH, '0');
  }
  return { parts: clean, text };
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
