/**
 * Worker-side: the change events of a batch as mirror-table rows. Events are collapsed per document key in version
 * order (`collapseEvents`, shared with the committer's model tests), so a file holds at most one row per key — its
 * final state in the batch — and the row block (`MirrorRows`) says what each row is. The rows are handed to the
 * same BatchBuilder as changelog rows, as change events whose `after` is the key's final document (deletes: only the
 * key), with the CDC columns of the newest event.
 *
 * A key whose final state needs a row the batch does not have (a partial update without its document or pre-image)
 * makes the batch unsafe: it is never written, and the partition stops with a message naming the Debezium setting to
 * change. Resolving such updates against the table's stored row is not built (docs/mirror-tables.md §6).
 */
import type { ChangeEvent } from '@delta-writer/bson-arrow';
import {
  type Collapsed,
  collapseEvents,
  type MirrorEvent,
  type MirrorRow,
  mirrorEventOf,
} from '@delta-writer/proto/mirror';

export type PartialUpdatesMode = 'skip' | 'apply';

export interface MirrorBatch {
  /** One event per row, in row order: what the BatchBuilder writes. */
  readonly events: ChangeEvent[];
  /** What each row is, in the same order. */
  readonly rows: MirrorRow[];
  readonly duplicates: number;
  readonly folded: number;
  readonly skipped: number;
  /** Set when the batch cannot be mirrored safely: the first key and why, and what to change. */
  readonly unsafe?: string;
}

const CAPTURE_MODE_ADVICE =
  'partial updates are applied only when the batch holds the document they change or the event carries its pre-image: set the Debezium MongoDB connector capture.mode to change_streams_update_full (or change_streams_update_full_with_pre_image), or enable pre-images (change_streams_with_pre_image)';
const TOAST_ADVICE =
  'PostgreSQL sent unchanged TOAST columns as unavailable and the old row is not in the event: set REPLICA IDENTITY FULL on the source table';

/** Collapses the events into mirror rows (see the module comment). */
export function mirrorBatch(events: readonly ChangeEvent[], partialUpdates: PartialUpdatesMode): MirrorBatch {
  const mapped: MirrorEvent[] = [];
  const byOffset = new Map<number, ChangeEvent>();
  for (const e of events) {
    const m = mirrorEventOf(e);
    if (typeof m === 'string') {
      const what = `offset ${e.record.offset} (${e.source.collection ?? e.record.topic})`;
      return empty(`the event at ${what} cannot go into a mirror table: ${m}`);
    }
    mapped.push(m);
    byOffset.set(m.version.offset, e);
  }
  const collapsed = collapseEvents(mapped, { partialUpdates });
  const unresolved = collapsed.rows.find((r) => r.kind === 'unresolved');
  if (unresolved?.kind === 'unresolved') {
    const toast = mapped.some((m) => m.key === unresolved.key && m.mustApply);
    return {
      ...empty(
        `cannot mirror key ${unresolved.key} (seq ${unresolved.version.seq}): ${unresolved.reason}; ${toast ? TOAST_ADVICE : CAPTURE_MODE_ADVICE}`,
      ),
      duplicates: collapsed.duplicates,
      folded: collapsed.folded,
      skipped: collapsed.skipped,
    };
  }
  const rows: MirrorRow[] = [];
  const out: ChangeEvent[] = [];
  for (const r of collapsed.rows) {
    const source = byOffset.get(r.version.offset) as ChangeEvent;
    out.push(rowEvent(source, r));
    rows.push({
      key: r.key,
      version: r.version,
      op: r.kind === 'delete' ? 'delete' : 'upsert',
      ...(r.kind === 'upsert' && r.from ? { from: r.from } : {}),
    });
  }
  return {
    events: out,
    rows,
    duplicates: collapsed.duplicates,
    folded: collapsed.folded,
    skipped: collapsed.skipped,
  };
}

function empty(unsafe: string): MirrorBatch {
  return { events: [], rows: [], duplicates: 0, folded: 0, skipped: 0, unsafe };
}

/** The event a mirror row is written from: the key's final state with the CDC columns of its newest event. */
function rowEvent(source: ChangeEvent, row: Collapsed): ChangeEvent {
  if (row.kind === 'delete') {
    // The row of a delete holds only the key (BatchBuilder writes `key` when there is no document).
    return { ...source, op: 'd', after: null, before: null, patch: null, unavailable: [] };
  }
  const doc = row.kind === 'upsert' ? row.doc : null;
  return {
    ...source,
    op: source.op === 'd' ? 'u' : source.op,
    after: doc as ChangeEvent['after'],
    before: null,
    patch: null,
    unavailable: [],
  };
}
