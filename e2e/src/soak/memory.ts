/**
 * Whether a process's memory is flat over a soak: resident set samples after a warm-up (heaps, caches and pools
 * grow to their working size first), compared as the median of the first and of the last stretch, and as the
 * least-squares slope over everything after the warm-up. Pure, so the verdict's rule is tested on its own.
 *
 * The floor — the lowest sample of each stretch — is reported beside it. A collected runtime's resident set swings
 * between what it keeps (the floor: live data and pools, right after its collector gave memory back) and that plus
 * the garbage of the moment; a leak raises the floor, a busier last stretch only the median. The verdict stays the
 * median rule; the floor says which of the two a "not flat" is.
 */

export interface Sample {
  /** ms since the soak started. */
  t: number;
  bytes: number;
}

export interface MemoryVerdict {
  samples: number;
  /** Median over the first `stretchMs` after the warm-up, and over the last `stretchMs`. */
  startBytes: number;
  endBytes: number;
  maxBytes: number;
  /** Least-squares slope after the warm-up, in bytes per hour. */
  slopePerHour: number;
  /** The lowest sample over the first and over the last `stretchMs` after the warm-up. */
  floorStartBytes: number;
  floorEndBytes: number;
  /** Whether the floor grew by no more than the tolerance. */
  floorFlat: boolean;
  flat: boolean;
  why: string;
}

export interface FlatnessRule {
  warmupMs: number;
  stretchMs: number;
  /** Growth allowed over the measured span: the larger of these. */
  toleranceBytes: number;
  toleranceShare: number;
}

export const DEFAULT_RULE: FlatnessRule = {
  warmupMs: 5 * 60_000,
  stretchMs: 5 * 60_000,
  toleranceBytes: 16 * 2 ** 20,
  toleranceShare: 0.05,
};

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : (s[Math.floor((s.length - 1) / 2)] as number);
};

const mib = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;

export function memoryVerdict(all: readonly Sample[], rule: FlatnessRule = DEFAULT_RULE): MemoryVerdict {
  const after = all.filter((s) => s.t >= rule.warmupMs);
  const maxBytes = Math.max(0, ...all.map((s) => s.bytes));
  if (after.length < 3) {
    return {
      samples: after.length,
      startBytes: Number.NaN,
      endBytes: Number.NaN,
      maxBytes,
      slopePerHour: Number.NaN,
      floorStartBytes: Number.NaN,
      floorEndBytes: Number.NaN,
      floorFlat: false,
      flat: false,
      why: `too few samples after the warm-up (${after.length})`,
    };
  }
  const first = (after[0] as Sample).t;
  const last = (after.at(-1) as Sample).t;
  const firstStretch = after.filter((s) => s.t <= first + rule.stretchMs).map((s) => s.bytes);
  const lastStretch = after.filter((s) => s.t >= last - rule.stretchMs).map((s) => s.bytes);
  const startBytes = median(firstStretch);
  const endBytes = median(lastStretch);
  const floorStartBytes = Math.min(...firstStretch);
  const floorEndBytes = Math.min(...lastStretch);
  const n = after.length;
  const mt = after.reduce((a, s) => a + s.t, 0) / n;
  const mb = after.reduce((a, s) => a + s.bytes, 0) / n;
  const cov = after.reduce((a, s) => a + (s.t - mt) * (s.bytes - mb), 0);
  const vt = after.reduce((a, s) => a + (s.t - mt) ** 2, 0);
  const slopePerMs = vt === 0 ? 0 : cov / vt;
  const slopePerHour = slopePerMs * 3_600_000;
  const tolerance = Math.max(rule.toleranceBytes, rule.toleranceShare * startBytes);
  const grewEnds = endBytes - startBytes;
  const grewTrend = slopePerMs * (last - first);
  const flat = grewEnds <= tolerance && grewTrend <= tolerance;
  const floorFlat = floorEndBytes - floorStartBytes <= tolerance;
  const why = flat
    ? `${mib(startBytes)} → ${mib(endBytes)}, trend ${mib(grewTrend)} over ${((last - first) / 60_000).toFixed(0)} min (within ${mib(tolerance)})`
    : `grew ${mib(grewEnds)} (${mib(startBytes)} → ${mib(endBytes)}), trend ${mib(grewTrend)} over ${((last - first) / 60_000).toFixed(0)} min: more than ${mib(tolerance)}`;
  return {
    samples: n,
    startBytes,
    endBytes,
    maxBytes,
    slopePerHour,
    floorStartBytes,
    floorEndBytes,
    floorFlat,
    flat,
    why,
  };
}
