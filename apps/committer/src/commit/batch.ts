/**
 * Commits one group-commit batch of one table: load the snapshot, plan offsets (and schema), write one Delta commit,
 * answer every manifest. On a concurrent commit (a second leader, or anything else writing the table) it re-plans on
 * the new snapshot, where ranges the other writer committed turn into duplicates: that is what keeps even two
 * leaders from committing a range twice. Every attempt's outcome comes back from {@link Tables.commit} as a value,
 * so the loop below reads top to bottom: plan, attempt, and on anything but a commit plan again.
 */
import {
  type CommitOutcome,
  type CommitRequest,
  type CommittedOffset,
  type Refusal,
  refuse,
} from '@delta-writer/proto';
import { type Decision, offsetsFor, planBatch } from '../plan/offsets.js';
import { kindOfManifest, modeRefusal, type TableKind } from './table-mode.js';
import type { TableSnapshot, Tables } from './tables.js';

export interface BatchResult {
  readonly outcomes: readonly CommitOutcome[];
  /** The Delta version written, or undefined when nothing was committed. */
  readonly committedVersion?: number;
  readonly conflicts: number;
  readonly acknowledgedGaps: number;
}

export interface BatchOptions {
  readonly tables: Tables;
  readonly term: number;
  readonly signal: AbortSignal;
  /** Re-plans after a conflict at most this often, then answers RETRY_LATER. */
  readonly maxConflictRetries?: number;
  /** COMMITTER_MAX_OFFSET_GAP: most offsets a manifest may advance beyond its files' rows. */
  readonly maxOffsetGap?: number;
}

export async function commitBatch(
  manifests: readonly CommitRequest[],
  options: BatchOptions,
): Promise<BatchResult> {
  const table = manifests[0]?.table;
  if (!table) throw new Error('commitBatch: empty batch or manifest without table');
  const maxRetries = options.maxConflictRetries ?? 5;
  let conflicts = 0;
  // The first plan may use a cached snapshot; a refusal is only ever given on a fresh one.
  let fresh = false;
  // Manifests an attempt refused (mirror rows that cannot go in as they are): answered with these, the rest re-planned.
  const attemptRefusals = new Map<CommitRequest, Refusal>();
  for (;;) {
    options.signal.throwIfAborted();
    const snapshot = await options.tables.load(table, { fresh });
    const schema = options.tables.schemaAdmission(snapshot);
    const partitioning = partitionColumnsOf(snapshot, manifests);
    const kind = tableKindOf(snapshot, manifests);
    const plan = planBatch(
      snapshot.txnVersions,
      manifests,
      (m) =>
        attemptRefusals.get(m) ??
        modeRefusal(m, kind) ??
        partitionRefusal(m, partitioning) ??
        schema.admit(m),
      options.maxOffsetGap !== undefined ? { maxOffsetGap: options.maxOffsetGap } : {},
    );
    if (
      !fresh &&
      plan.decisions.some(
        (d, i) =>
          d.kind === 'refuse' ||
          (d.kind === 'rejected' && !attemptRefusals.has(manifests[i] as CommitRequest)),
      )
    ) {
      fresh = true;
      continue;
    }
    let version = snapshot.version;
    if (plan.commit.length > 0) {
      const attempt = await options.tables.commit(
        {
          table,
          snapshot,
          manifests: plan.commit,
          txns: plan.txns,
          schemaJson: schema.schemaJson,
          schemaChanged: schema.changed,
          partitionColumns: partitioning,
          term: options.term,
        },
        options.signal,
      );
      if (attempt.kind === 'misplaced') {
        const refused = refuse.invalidRequest(`table.table_uri: ${attempt.problem}`);
        return {
          outcomes: manifests.map(() => ({ $case: 'refusal', value: refused })),
          conflicts,
          acknowledgedGaps: 0,
        };
      }
      if (attempt.kind === 'refused') {
        for (const [m, refusal] of attempt.refusals) attemptRefusals.set(m, refusal);
        fresh = true;
        continue;
      }
      if (attempt.kind === 'conflict') {
        conflicts++;
        fresh = true;
        if (conflicts > maxRetries) {
          const busy = refuse.retryLater(
            `table ${table.tableUri} kept changing under ${conflicts} commits`,
            500,
          );
          return {
            outcomes: manifests.map(() => ({ $case: 'refusal', value: busy })),
            conflicts,
            acknowledgedGaps: 0,
          };
        }
        continue;
      }
      version = attempt.version;
    }
    return {
      outcomes: plan.decisions.map((d, i) =>
        outcome(
          d,
          manifests[i] as CommitRequest,
          version,
          plan.commit.length > 0 ? plan.after : snapshot.txnVersions,
        ),
      ),
      ...(plan.commit.length > 0 ? { committedVersion: version } : {}),
      conflicts,
      acknowledgedGaps: plan.decisions.reduce(
        (n, d) => n + (d.kind === 'commit' ? d.acknowledgedGaps.length : 0),
        0,
      ),
    };
  }
}

function outcome(
  decision: Decision,
  manifest: CommitRequest,
  version: number,
  offsets: ReadonlyMap<string, number>,
): CommitOutcome {
  const committedOffsets: CommittedOffset[] = offsetsFor(manifest.sourceRanges, offsets);
  switch (decision.kind) {
    case 'commit':
    case 'duplicate':
      return {
        $case: 'ack',
        value: { tableVersion: version, duplicate: decision.kind === 'duplicate', committedOffsets },
      };
    case 'refuse':
      return {
        $case: 'refusal',
        value:
          decision.problem === 'gap'
            ? refuse.offsetGap(decision.message, committedOffsets)
            : decision.problem === 'too-far'
              ? refuse.invalidRequest(decision.message)
              : refuse.offsetOverlap(decision.message, committedOffsets),
      };
    case 'invalid':
      return { $case: 'refusal', value: refuse.invalidRequest(decision.message) };
    case 'rejected':
      return { $case: 'refusal', value: decision.reason as Refusal };
  }
}

/** What the table is (or, for a table the batch creates, what its first manifest makes it). */
function tableKindOf(snapshot: TableSnapshot, manifests: readonly CommitRequest[]): TableKind {
  if (!snapshot.mode) return kindOfManifest(manifests[0] as CommitRequest);
  return {
    mode: snapshot.mode,
    ...(snapshot.partialUpdates !== undefined ? { partialUpdates: snapshot.partialUpdates } : {}),
  };
}

/** The table's partition columns, or for a table the batch creates, those of its first manifest. */
function partitionColumnsOf(snapshot: TableSnapshot, manifests: readonly CommitRequest[]): readonly string[] {
  return snapshot.exists ? snapshot.partitionColumns : (manifests[0]?.partitionColumns ?? []);
}

function partitionRefusal(manifest: CommitRequest, columns: readonly string[]): Refusal | undefined {
  const same =
    manifest.partitionColumns.length === columns.length &&
    manifest.partitionColumns.every((c, i) => c === columns[i]);
  return same
    ? undefined
    : refuse.partitioningMismatch(
        `the table is partitioned by [${columns.join(', ')}], the manifest by [${manifest.partitionColumns.join(', ')}]`,
      );
}
