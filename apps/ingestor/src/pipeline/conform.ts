/**
 * A SCHEMA_INCOMPATIBLE refusal often only means the files were built without the table's current schema: another
 * batch created or evolved the table after this one was built (two ingestors starting on a new table, a field that
 * is sometimes an integer and sometimes a double). Those batches are built again against the schema the committer
 * has now; a refusal of files already built against it means the records really cannot go in.
 */
import type { CommitterClient } from '@delta-writer/proto';
import type { DeadLetterSink } from './dead-letter.js';
import { type FlushDeps, prepareBatch } from './flush.js';
import type { ReadyBatch } from './manifest.js';
import type { SchemaCache } from './schema-cache.js';
import { readTableState } from './table-state.js';

export interface ConformDeps {
  consumerGroup: string;
  committer: Pick<CommitterClient, 'getTableState'>;
  schemas: SchemaCache;
  flush: FlushDeps;
}

/** The group built again against the table's current schema, or undefined when it already was. */
export async function conformToTable(
  group: readonly ReadyBatch[],
  deps: ConformDeps,
  signal: AbortSignal,
): Promise<ReadyBatch[] | undefined> {
  const route = group[0]?.target.route;
  if (!route) return undefined;
  const state = await readTableState(deps.committer, route, deps.consumerGroup, signal);
  if (!state.exists) return undefined;
  const current = state.deltaSchemaJson;
  deps.schemas.set(route.tableUri, current, state.statsConfiguration);
  const stale = (r: ReadyBatch) => r.files.length > 0 && r.builtAgainst !== current;
  if (!group.some(stale)) return undefined;
  const flush: FlushDeps = {
    ...deps.flush,
    tableSchema: (uri) => (uri === route.tableUri ? current : deps.flush.tableSchema?.(uri)),
    deadLetters: ALREADY_SENT,
  };
  return Promise.all(
    group.map(async (r) => {
      if (!stale(r)) return r;
      const targets = r.batch.targets.filter((t) => t.target.key === r.target.key);
      const [again] = await prepareBatch({ ...r.batch, rejected: [], targets }, flush, signal);
      // The original batch object: the owner tracks batches by identity.
      return again ? { ...again, batch: r.batch, range: r.range } : r;
    }),
  );
}

/** The first build dead-lettered the records that cannot become rows; building again finds the same ones. */
const ALREADY_SENT: DeadLetterSink = { send: async () => {} };
