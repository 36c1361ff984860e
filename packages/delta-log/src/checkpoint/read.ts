/**
 * Reading checkpoints: classic and multi-part Parquet, and V2 checkpoints (JSON or Parquet, with file actions
 * optionally in `_delta_log/_sidecars/`). File actions from Parquet stay columnar (`ActionColumn`); everything
 * else becomes action objects. Stats written only as `stats_parsed` are turned back into JSON when a file is
 * materialized, so the rest of the library sees one shape.
 */
import type * as A from 'apache-arrow';
import {
  type Action,
  type AddFile,
  parseActions,
  type RemoveFile,
  type Sidecar,
  validateAction,
} from '../actions.js';
import { InvalidTableError } from '../errors.js';
import { joinPath, LOG_DIR, SIDECAR_DIR } from '../log/paths.js';
import type { CheckpointRef } from '../log/segment.js';
import { readParquet } from '../parquet.js';
import type { Storage } from '../storage/storage.js';
import { plainReader, validity } from '../util/arrow-plain.js';
import { ActionColumn } from './columns.js';

const OTHER_COLUMNS = [
  'protocol',
  'metaData',
  'txn',
  'domainMetadata',
  'checkpointMetadata',
  'sidecar',
] as const;

/** A checkpoint's content: file actions as columns, the rest (and any file actions from JSON) as objects. */
export interface CheckpointContents {
  adds: ActionColumn<AddFile>;
  removes: ActionColumn<RemoveFile>;
  actions: Action[];
}

function emptyContents(): CheckpointContents {
  return { adds: new ActionColumn('add'), removes: new ActionColumn('remove'), actions: [] };
}

/** Decodes one checkpoint (or sidecar) Parquet file into `into`; `filesOnly` keeps just add/remove. */
function decodeParquet(bytes: Uint8Array, file: string, into: CheckpointContents, filesOnly = false): void {
  let table: A.Table;
  try {
    // Few large batches: per-batch decoding overhead dominates for the narrow rows of a checkpoint.
    table = readParquet(bytes, { batchSize: 1 << 17 });
  } catch (err) {
    throw new InvalidTableError(`${file}: unreadable checkpoint parquet`, { cause: err });
  }
  for (const batch of table.batches) {
    // Other actions first: a row is one action, and file rows are the bulk.
    for (const kind of filesOnly ? [] : OTHER_COLUMNS) {
      const col = batch.getChild(kind)?.data[0];
      if (!col || col.nullCount === col.length) continue;
      const valid = validity(col);
      const read = plainReader(col);
      for (let i = 0; i < batch.numRows; i++) {
        if (!valid(i)) continue;
        const action = validateAction({ [kind]: read(i) }, { file, line: i + 1 });
        if (action) into.actions.push(action);
      }
    }
    const add = batch.getChild('add')?.data[0];
    if (add && add.nullCount < add.length) into.adds.push(add, file);
    const remove = batch.getChild('remove')?.data[0];
    if (remove && remove.nullCount < remove.length) into.removes.push(remove, file);
  }
}

/** Decodes one checkpoint (or sidecar) Parquet file, file actions kept columnar. */
export function checkpointContentsFromParquet(bytes: Uint8Array, file: string): CheckpointContents {
  const c = emptyContents();
  decodeParquet(bytes, file, c);
  return c;
}

/** Decodes the action rows of one checkpoint (or sidecar) Parquet file into action objects. */
export function checkpointActionsFromParquet(bytes: Uint8Array, file: string): Action[] {
  return materialize(checkpointContentsFromParquet(bytes, file));
}

function materialize(c: CheckpointContents): Action[] {
  const out = [...c.actions];
  for (const remove of c.removes.all()) out.push({ remove });
  for (const add of c.adds.all()) out.push({ add });
  return out;
}

/** A checkpoint's content, file actions kept columnar. Throws `InvalidTableError` if a part is unreadable. */
export async function readCheckpointContents(
  storage: Storage,
  tablePath: string,
  ref: CheckpointRef,
): Promise<CheckpointContents> {
  const out = emptyContents();
  const parts = await Promise.all(
    ref.files.map(async (f) => ({
      name: f.name,
      json: f.format === 'v2' && f.ext === 'json',
      bytes: await storage.get(joinPath(tablePath, LOG_DIR, f.name)),
    })),
  );
  for (const p of parts) {
    if (p.json) out.actions.push(...parseActions(new TextDecoder().decode(p.bytes), p.name));
    else decodeParquet(p.bytes, p.name, out);
  }
  const sidecars = out.actions.filter((a): a is { sidecar: Sidecar } => 'sidecar' in a);
  if (sidecars.length === 0) return out;
  out.actions = out.actions.filter((a) => !('sidecar' in a));
  const files = await Promise.all(
    sidecars.map(async ({ sidecar }) => {
      const name = sidecar.path.includes('/')
        ? sidecar.path.slice(sidecar.path.lastIndexOf('/') + 1)
        : sidecar.path;
      const bytes = await storage.get(joinPath(tablePath, LOG_DIR, SIDECAR_DIR, decodeURIComponent(name)));
      return { name: `${SIDECAR_DIR}/${name}`, bytes };
    }),
  );
  for (const f of files) decodeParquet(f.bytes, f.name, out, true);
  return out;
}

/** All actions of a checkpoint as objects, sidecars resolved. Throws `InvalidTableError` if a part is unreadable. */
export async function readCheckpoint(
  storage: Storage,
  tablePath: string,
  ref: CheckpointRef,
): Promise<Action[]> {
  return materialize(await readCheckpointContents(storage, tablePath, ref));
}
