/**
 * Exactly-once planning for one group commit, as pure functions.
 *
 * The table's `txn` actions record, per (consumer group, topic, partition), the last Kafka offset whose records are
 * in the table. A manifest's range [first, last] against that committed offset c is:
 *   - a duplicate when last ≤ c (already in the table: acknowledge, add nothing);
 *   - the next range when first = c + 1 (or the partition was never committed): it goes into the commit;
 *   - a gap when first > c + 1 (records in between would be lost): refused unless the ingestor acknowledged it;
 *   - an overlap when first ≤ c < last (partly committed, files cannot be split): refused.
 * A manifest is decided as a whole (its ranges were written into the same files). Manifests of one batch are
 * decided in arrival order against the state the earlier ones leave behind, so a batch can carry consecutive ranges
 * of one partition, and a retry of a manifest that is in the same batch is a duplicate of it.
 */
import { type SourcePartition, txnAppId } from './txn-app-id.js';

export interface SourceRange extends SourcePartition {
  readonly firstOffset: number;
  readonly lastOffset: number;
  readonly gapAcknowledged: boolean;
}

export interface ManifestRanges {
  readonly sourceRanges: readonly SourceRange[];
  /** The manifest's data files: their rows are the offsets it accounts for. */
  readonly files?: readonly { readonly recordCount: number }[];
}

export interface PlanOptions {
  /**
   * Most offsets one manifest may advance its partitions beyond the rows of its files (an acknowledged gap plus
   * records that left no row). Unbounded when undefined.
   */
  readonly maxOffsetGap?: number;
}

/** Committed last offset per txn appId. */
export type CommittedOffsets = ReadonlyMap<string, number>;

/** `too-far`: the manifest moves offsets further than its files and the gap bound account for. */
export type RangeProblem = 'gap' | 'overlap' | 'too-far';

export type Decision =
  | { readonly kind: 'commit'; readonly acknowledgedGaps: readonly SourceRange[] }
  | { readonly kind: 'duplicate' }
  | { readonly kind: 'refuse'; readonly problem: RangeProblem; readonly message: string }
  | { readonly kind: 'invalid'; readonly message: string }
  /** Refused by the admission hook (e.g. schema): carries the hook's value. */
  | { readonly kind: 'rejected'; readonly reason: unknown };

export interface BatchPlan<M> {
  /** One decision per manifest, in input order. */
  readonly decisions: readonly Decision[];
  /** The manifests whose files go into the commit, in order. */
  readonly commit: readonly M[];
  /** The txn actions of the commit: one per appId the committed manifests touch, version = its new last offset. */
  readonly txns: readonly { readonly appId: string; readonly version: number }[];
  /** Committed offsets once the commit succeeds (unchanged entries included). */
  readonly after: CommittedOffsets;
}

/** A manifest's ranges on their own: offsets that JS holds exactly, last ≥ first, each partition at most once. */
export function validateRanges(ranges: readonly SourceRange[]): string | undefined {
  if (ranges.length === 0)
    return 'source_ranges is empty: a manifest covers at least one topic-partition range';
  const seen = new Set<string>();
  for (const r of ranges) {
    const where = `${r.topic}[${r.partition}] of group '${r.consumerGroup}'`;
    if (!r.topic) return 'source_ranges: topic is empty';
    if (!Number.isInteger(r.partition) || r.partition < 0) return `source_ranges: bad partition in ${where}`;
    for (const o of [r.firstOffset, r.lastOffset]) {
      if (!Number.isSafeInteger(o) || o < 0) return `source_ranges: offset ${o} out of range in ${where}`;
    }
    if (r.lastOffset < r.firstOffset) {
      return `source_ranges: last_offset ${r.lastOffset} < first_offset ${r.firstOffset} in ${where}`;
    }
    const key = txnAppId(r);
    if (seen.has(key)) return `source_ranges: ${where} appears twice`;
    seen.add(key);
  }
  return undefined;
}

type RangeClass = 'new' | 'next' | 'acknowledged-gap' | 'duplicate' | RangeProblem;

export function classifyRange(range: SourceRange, committed: number | undefined): RangeClass {
  if (committed === undefined) return 'new';
  if (range.lastOffset <= committed) return 'duplicate';
  if (range.firstOffset === committed + 1) return 'next';
  if (range.firstOffset > committed + 1) return range.gapAcknowledged ? 'acknowledged-gap' : 'gap';
  return 'overlap';
}

/**
 * Offsets the manifest moves its partitions forward by that its files' rows do not account for: per range, from the
 * committed offset (or, for a partition never committed, from its first offset) to its last, minus the rows. Rows
 * can stand for at most one offset each, so this is a lower bound of the records that left no row plus the gap.
 */
export function unaccountedOffsets(manifest: ManifestRanges, committed: CommittedOffsets): number {
  let advance = 0;
  for (const r of manifest.sourceRanges) {
    const c = committed.get(txnAppId(r));
    advance += c === undefined ? r.lastOffset - r.firstOffset + 1 : Math.max(0, r.lastOffset - c);
  }
  const rows = (manifest.files ?? []).reduce((n, f) => n + f.recordCount, 0);
  return Math.max(0, advance - rows);
}

/** Decides one manifest against the committed offsets (pure; does not consult the admission hook). */
export function decide(
  manifest: ManifestRanges,
  committed: CommittedOffsets,
  options: PlanOptions = {},
): Decision {
  const invalid = validateRanges(manifest.sourceRanges);
  if (invalid) return { kind: 'invalid', message: invalid };
  const classes = manifest.sourceRanges.map((r) => classifyRange(r, committed.get(txnAppId(r))));
  if (classes.every((c) => c === 'duplicate')) return { kind: 'duplicate' };
  if (classes.every((c) => c === 'new' || c === 'next' || c === 'acknowledged-gap')) {
    const unaccounted = unaccountedOffsets(manifest, committed);
    if (options.maxOffsetGap !== undefined && unaccounted > options.maxOffsetGap) {
      const ranges = manifest.sourceRanges
        .map(
          (r) =>
            `${r.topic}[${r.partition}] ${r.firstOffset}..${r.lastOffset} (committed ${committed.get(txnAppId(r)) ?? 'never'})`,
        )
        .join(', ');
      return {
        kind: 'refuse',
        problem: 'too-far',
        message: `the manifest moves offsets ${unaccounted} past what its ${(manifest.files ?? []).length} file(s) hold, more than COMMITTER_MAX_OFFSET_GAP (${options.maxOffsetGap}): ${ranges}. Nothing was committed; if records really are gone from Kafka, raise COMMITTER_MAX_OFFSET_GAP`,
      };
    }
    return {
      kind: 'commit',
      acknowledgedGaps: manifest.sourceRanges.filter((_, i) => classes[i] === 'acknowledged-gap'),
    };
  }
  // A gap alone is a gap; anything partly committed (an overlapping range, or duplicates mixed with new ranges) is an
  // overlap: the files hold records that are already in the table.
  const problem: RangeProblem = classes.some((c) => c === 'overlap' || c === 'duplicate') ? 'overlap' : 'gap';
  const details = manifest.sourceRanges
    .map((r, i) => ({ r, c: classes[i] }))
    .filter(({ c }) => c === 'gap' || c === 'overlap' || c === 'duplicate')
    .map(({ r, c }) => {
      const at = committed.get(txnAppId(r));
      return `${r.topic}[${r.partition}] range ${r.firstOffset}..${r.lastOffset} ${c === 'duplicate' ? 'already committed' : c === 'gap' ? 'skips ahead of' : 'overlaps'} committed offset ${at}`;
    });
  return { kind: 'refuse', problem, message: details.join('; ') };
}

/**
 * Plans a batch: folds the manifests in order over the committed offsets. `admit` is asked about each manifest that
 * would be committed (after the offset checks, so duplicates are acknowledged whatever their schema) and may reject
 * it; a rejected manifest does not advance the offsets, so a later manifest of the same partition becomes a gap.
 */
export function planBatch<M extends ManifestRanges>(
  committed: CommittedOffsets,
  manifests: readonly M[],
  admit: (manifest: M) => unknown = () => undefined,
  options: PlanOptions = {},
): BatchPlan<M> {
  const running = new Map(committed);
  const touched = new Set<string>();
  const decisions: Decision[] = [];
  const commit: M[] = [];
  for (const manifest of manifests) {
    let decision = decide(manifest, running, options);
    if (decision.kind === 'commit') {
      const reason = admit(manifest);
      if (reason !== undefined) decision = { kind: 'rejected', reason };
    }
    if (decision.kind === 'commit') {
      commit.push(manifest);
      for (const r of manifest.sourceRanges) {
        const appId = txnAppId(r);
        running.set(appId, r.lastOffset);
        touched.add(appId);
      }
    }
    decisions.push(decision);
  }
  const txns = [...touched].map((appId) => ({ appId, version: running.get(appId) as number }));
  return { decisions, commit, txns, after: running };
}

/** The committed offsets of a manifest's partitions in `offsets` (partitions never committed are left out). */
export function offsetsFor(
  ranges: readonly SourcePartition[],
  offsets: CommittedOffsets,
): (SourcePartition & { lastOffset: number })[] {
  return ranges.flatMap((r) => {
    const lastOffset = offsets.get(txnAppId(r));
    return lastOffset === undefined
      ? []
      : [{ consumerGroup: r.consumerGroup, topic: r.topic, partition: r.partition, lastOffset }];
  });
}
