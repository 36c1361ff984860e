/**
 * Reading checkpoints into actions: classic and multi-part Parquet, and V2 checkpoints (JSON or Parquet,
 * with file actions optionally in `_delta_log/_sidecars/`). Stats written only as `stats_parsed` are turned
 * back into JSON so the rest of the library sees one shape.
 */
import type * as A from 'apache-arrow';
import { type Action, type AddFile, parseActions, validateAction } from '../actions.js';
import { InvalidTableError } from '../errors.js';
import { joinPath, LOG_DIR, SIDECAR_DIR } from '../log/paths.js';
import type { CheckpointRef } from '../log/segment.js';
import { readParquet } from '../parquet.js';
import type { Storage } from '../storage/storage.js';
import { plainReader, validity } from '../util/arrow-plain.js';

const ACTION_COLUMNS = [
  'protocol',
  'metaData',
  'txn',
  'domainMetadata',
  'remove',
  'add',
  'checkpointMetadata',
  'sidecar',
] as const;

/** Decodes the action rows of one checkpoint (or sidecar) Parquet file. */
export function checkpointActionsFromParquet(bytes: Uint8Array, file: string): Action[] {
  let table: A.Table;
  try {
    // Few large batches: per-batch decoding overhead dominates for the narrow rows of a checkpoint.
    table = readParquet(bytes, { batchSize: 1 << 17 });
  } catch (err) {
    throw new InvalidTableError(`${file}: unreadable checkpoint parquet`, { cause: err });
  }
  const out: Action[] = [];
  for (const batch of table.batches) {
    for (const kind of ACTION_COLUMNS) {
      const col = batch.getChild(kind)?.data[0];
      if (!col) continue;
      const valid = validity(col);
      const read = plainReader(col, false, new Set(['stats_parsed', 'partitionValues_parsed']));
      const statsParsed =
        kind === 'add' ? (col.type as A.Struct).children.findIndex((f) => f.name === 'stats_parsed') : -1;
      const readStats = statsParsed >= 0 ? plainReader(col.children[statsParsed] as A.Data, true) : undefined;
      for (let i = 0; i < batch.numRows; i++) {
        if (!valid(i)) continue;
        const body = read(i) as Record<string, unknown>;
        if (readStats && body.stats === undefined) {
          const parsed = readStats(i);
          if (parsed) body.stats = JSON.stringify(parsed);
        }
        if (kind === 'add') {
          // The hot path (one row per live file): check the required fields without the generic validator.
          if (
            typeof body.path !== 'string' ||
            typeof body.size !== 'number' ||
            typeof body.dataChange !== 'boolean'
          ) {
            validateAction({ add: body }, { file, line: i + 1 });
          }
          body.partitionValues ??= {};
          out.push({ add: body as unknown as AddFile });
          continue;
        }
        const action = validateAction({ [kind]: body }, { file, line: i + 1 });
        if (action) out.push(action);
      }
    }
  }
  return out;
}

async function readOne(storage: Storage, tablePath: string, name: string, ext: string): Promise<Action[]> {
  const path = joinPath(tablePath, LOG_DIR, name);
  const bytes = await storage.get(path);
  if (ext === 'json') return parseActions(new TextDecoder().decode(bytes), name);
  return checkpointActionsFromParquet(bytes, name);
}

/** All actions of a checkpoint, sidecars resolved. Throws `InvalidTableError` if a part is unreadable. */
export async function readCheckpoint(
  storage: Storage,
  tablePath: string,
  ref: CheckpointRef,
): Promise<Action[]> {
  const parts = await Promise.all(
    ref.files.map((f) => readOne(storage, tablePath, f.name, f.format === 'v2' ? f.ext : 'parquet')),
  );
  const actions = parts.flat();
  const sidecars = actions.filter((a): a is { sidecar: import('../actions.js').Sidecar } => 'sidecar' in a);
  if (sidecars.length === 0) return actions;
  const rest = actions.filter((a) => !('sidecar' in a));
  const fromSidecars = await Promise.all(
    sidecars.map(async ({ sidecar }) => {
      const name = sidecar.path.includes('/')
        ? sidecar.path.slice(sidecar.path.lastIndexOf('/') + 1)
        : sidecar.path;
      const bytes = await storage.get(joinPath(tablePath, LOG_DIR, SIDECAR_DIR, decodeURIComponent(name)));
      return checkpointActionsFromParquet(bytes, `${SIDECAR_DIR}/${name}`).filter(
        (a) => 'add' in a || 'remove' in a,
      );
    }),
  );
  return rest.concat(fromSidecars.flat());
}
