/**
 * What a table is — a changelog (appends) or a mirror (upserts, with a fixed treatment of partial updates) — and
 * which manifests it takes. A table keeps its mode for life, recorded in its properties when it is created. Pure.
 */
import { type CommitRequest, PartialUpdates, type Refusal, refuse, WriteMode } from '@delta-writer/proto';

export type TableMode = 'mirror' | 'changelog';

/** The table properties that record a table's mode and partial-update setting. */
export const MODE_PROPERTY = 'delta-writer.mode';
export const PARTIAL_UPDATES_PROPERTY = 'delta-writer.partialUpdates';

/** A table's mode and, for a mirror table, how it treats partial updates. */
export interface TableKind {
  readonly mode: TableMode;
  readonly partialUpdates?: string;
}

export function partialUpdatesName(p: PartialUpdates): 'skip' | 'apply' | undefined {
  return p === PartialUpdates.SKIP ? 'skip' : p === PartialUpdates.APPLY ? 'apply' : undefined;
}

/** The kind of table a manifest writes (or, for the first manifest of a new table, creates). */
export function kindOfManifest(manifest: CommitRequest): TableKind {
  const partial = manifest.mirror ? partialUpdatesName(manifest.mirror.partialUpdates) : undefined;
  return {
    mode: manifest.writeMode === WriteMode.UPSERT ? 'mirror' : 'changelog',
    ...(partial ? { partialUpdates: partial } : {}),
  };
}

/** A table keeps its mode for life: a changelog table takes appends only, a mirror table upserts only. */
export function modeRefusal(manifest: CommitRequest, kind: TableKind): Refusal | undefined {
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
