/**
 * Commits one group-commit batch of one table: load the snapshot, plan offsets (and schema), write one Delta commit,
 * answer every manifest. On a concurrent commit (a second leader, or anything else writing the table) it re-plans on
 * the new snapshot, where ranges the other writer committed turn into duplicates: that is what keeps even two
 * leaders from committing a range twice.
 */

import type { CommitOutcome } from '@delta-writer/proto';
import {
  type CommitRequest,
  type CommittedOffset,
  type Refusal,
  refuse,
  WriteMode,
} from '@delta-writer/proto';
import { partialUpdatesName } from '../mirror/manifest-rows.js';
import { MirrorRefusalError } from '../mirror/writer.js';
import { type Decision, offsetsFor, planBatch } from '../plan/offsets.js';
import {
  CommitConflictError,
  type TableCommitter,
  TableLocationError,
  type TableMode,
  type TableSnapshot,
} from './table-committer.js';

export interface BatchResult {
  readonly outcomes: readonly CommitOutcome[];
  /** The Delta version written, or undefined when nothing was committed. */
  readonly committedVersion?: number;
  readonly conflicts: number;
  readonly acknowledgedGaps: number;
}

export interface BatchOptions {
  readonly committer: TableCommitter;
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
  // Mirror manifests whose rows cannot go in as they are (answered with these refusals; the rest is planned again).
  const mirrorRefusals = new Map<CommitRequest, Refusal>();
  for (;;) {
    options.signal.throwIfAborted();
    const snapshot = await options.committer.load(table, { fresh });
    const schema = options.committer.schemaAdmission(snapshot);
    const partitioning = partitionColumnsOf(snapshot, manifests);
    const kind = tableKindOf(snapshot, manifests);
    const plan = planBatch(
      snapshot.txnVersions,
      manifests,
      (m) =>
        mirrorRefusals.get(m) ?? modeRefusal(m, kind) ?? partitionRefusal(m, partitioning) ?? schema.admit(m),
      options.maxOffsetGap !== undefined ? { maxOffsetGap: options.maxOffsetGap } : {},
    );
    if (
      !fresh &&
      plan.decisions.some(
        (d, i) =>
          d.kind === 'refuse' ||
          (d.kind === 'rejected' && !mirrorRefusals.has(manifests[i] as CommitRequest)),
      )
    ) {
      fresh = true;
      continue;
    }
    let version = snapshot.version;
    if (plan.commit.length > 0) {
      try {
        version = await options.committer.commit(
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
      } catch (error) {
        if (error instanceof MirrorRefusalError) {
          for (const [m, refusal] of error.refusals) mirrorRefusals.set(m, refusal);
          fresh = true;
          continue;
        }
        if (error instanceof TableLocationError) {
          const refused = refuse.invalidRequest(`table.table_uri: ${error.message}`);
          return {
            outcomes: manifests.map(() => ({ $case: 'refusal', value: refused })),
            conflicts,
            acknowledgedGaps: 0,
          };
        }
        if (!(error instanceof CommitConflictError)) throw error;
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
function tableKindOf(
  snapshot: TableSnapshot,
  manifests: readonly CommitRequest[],
): { mode: TableMode; partialUpdates?: string } {
  if (snapshot.mode) {
    return {
      mode: snapshot.mode,
      ...(snapshot.partialUpdates !== undefined ? { partialUpdates: snapshot.partialUpdates } : {}),
    };
  }
  const first = manifests[0] as CommitRequest;
  const partial = first.mirror ? partialUpdatesName(first.mirror.partialUpdates) : undefined;
  return {
    mode: first.writeMode === WriteMode.UPSERT ? 'mirror' : 'changelog',
    ...(partial ? { partialUpdates: partial } : {}),
  };
}

/** A table keeps its mode for life: a changelog table takes appends only, a mirror table upserts only. */
function modeRefusal(
  manifest: CommitRequest,
  kind: { mode: TableMode; partialUpdates?: string },
): Refusal | undefined {
  const wants: TableMode = manifest.writeMode === WriteMode.UPSERT ? 'mirror' : 'changelog';
  if (wants !== kind.mode) {
    return refuse.invalidRequest(
      `the table is a ${kind.mode} table; write_mode ${WriteMode[manifest.writeMode]} would make it a ${wants} table (a table's mode never changes: write the ${wants} to another table, e.g. DELTA_WRITE_MODE=both writes <table> and <table>_changelog)`,
    );
  }
  const partial = manifest.mirror ? partialUpdatesName(manifest.mirror.partialUpdates) : undefined;
  if (kind.mode === 'mirror' && kind.partialUpdates !== undefined && partial !== kind.partialUpdates) {
    return refuse.invalidRequest(
      `the mirror table treats partial updates as '${kind.partialUpdates}' but the manifest as '${partial}': set DELTA_MIRROR_PARTIAL_UPDATES=${kind.partialUpdates} on every ingestor, or change the table property delta-writer.partialUpdates`,
    );
  }
  return undefined;
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
