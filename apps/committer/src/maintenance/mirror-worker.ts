/**
 * The worker-thread half of mirror-table compaction (the Parquet reading and writing):
 * - `mirrorTombstones`: the tombstone rows of some files (their row index and key), so the main thread can ask the
 *   key index which of them still matter;
 * - `compactMirror`: one clean file from several: each file's live rows (its deletion vector applied), then the
 *   tombstone rows to keep, at the end, so that the new file's vector is one contiguous run.
 * Like every maintenance output, the new file is invisible until the main thread commits it.
 */
import {
  type AddFile,
  type Metadata,
  type Protocol,
  readParquet,
  Snapshot,
  type Storage,
  TableState,
  writeDataFile,
} from '@delta-writer/delta-log';
import { keyIdentity } from '@delta-writer/proto/mirror';
import * as A from 'apache-arrow';
import { MIRROR_COLUMNS } from '../mirror/index-sync.js';

export interface MirrorFilesTask {
  readonly tablePath: string;
  readonly version: number;
  readonly protocol: Protocol;
  readonly metadata: Metadata;
  readonly files: readonly AddFile[];
}

export interface MirrorTombstonesTask extends MirrorFilesTask {
  readonly kind: 'mirrorTombstones';
}

export interface MirrorTombstonesOutput {
  /** Per file (same order as the task's files): [row, key] of each tombstone row. */
  readonly tombstones: ReadonlyArray<ReadonlyArray<readonly [number, string]>>;
}

export interface CompactMirrorTask extends MirrorFilesTask {
  readonly kind: 'compactMirror';
  /** Per file (same order): tombstone rows to carry over. */
  readonly keep: ReadonlyArray<readonly number[]>;
}

export interface CompactMirrorOutput {
  /** The new file's add action (dataChange false, no vector yet), or undefined when no row survives. */
  readonly add?: AddFile;
  readonly rows: number;
  /**
   * Per task file (same order): how many of its live rows were copied. They fill the new file file after file, in
   * row order, ahead of the tombstones: the mapping that lets the commit carry rows deleted after this read over.
   */
  readonly liveRows: readonly number[];
  /** Row indexes of the carried-over tombstones in the new file (the last rows): its deletion vector. */
  readonly tombstoneRows: readonly number[];
}

function snapshotOf(storage: Storage, task: MirrorFilesTask): Snapshot {
  const state = new TableState();
  state.protocol = task.protocol;
  state.metadata = task.metadata;
  state.version = task.version;
  return new Snapshot(storage, task.tablePath, state, { version: task.version, commits: [] }, 0);
}

export async function mirrorTombstones(
  storage: Storage,
  task: MirrorTombstonesTask,
): Promise<MirrorTombstonesOutput> {
  const snapshot = snapshotOf(storage, task);
  const scan = snapshot.scan();
  const tombstones = [];
  for (const file of scan.filesOf(task.files)) {
    const table = readParquet(await storage.get(file.key), {
      columns: [MIRROR_COLUMNS.key, MIRROR_COLUMNS.op],
    });
    const keys = table.getChild(MIRROR_COLUMNS.key);
    const ops = table.getChild(MIRROR_COLUMNS.op);
    const found: [number, string][] = [];
    for (let i = 0; i < table.numRows; i++)
      if (ops?.get(i) === 'd') found.push([i, keyIdentity(String(keys?.get(i)))]);
    tombstones.push(found);
  }
  return { tombstones };
}

export async function compactMirror(storage: Storage, task: CompactMirrorTask): Promise<CompactMirrorOutput> {
  const snapshot = snapshotOf(storage, task);
  const scan = snapshot.scan();
  const live: A.RecordBatch[] = [];
  const kept: A.RecordBatch[] = [];
  const liveRows: number[] = [];
  for (const [i, add] of task.files.entries()) {
    const copied = live.length;
    const [withVector] = scan.filesOf([add]);
    // Read every physical row (the vector only decides which survive), adapted to the table schema.
    const [physical] = scan.filesOf([{ ...add, deletionVector: undefined }]);
    if (!withVector || !physical) {
      liveRows.push(0);
      continue;
    }
    const deleted = new Set(await scan.deletedRows(withVector));
    const keep = new Set(task.keep[i] ?? []);
    let base = 0;
    for (const batch of await scan.readFile(physical)) {
      let start = -1;
      for (let r = 0; r <= batch.numRows; r++) {
        const alive = r < batch.numRows && !deleted.has(base + r);
        if (alive && start < 0) start = r;
        if (!alive && start >= 0) {
          live.push(batch.slice(start, r));
          start = -1;
        }
        if (r < batch.numRows && keep.has(base + r)) kept.push(batch.slice(r, r + 1));
      }
      base += batch.numRows;
    }
    liveRows.push(live.slice(copied).reduce((n, b) => n + b.numRows, 0));
  }
  const batches = [...live, ...kept].filter((b) => b.numRows > 0);
  const rows = batches.reduce((n, b) => n + b.numRows, 0);
  if (rows === 0) return { rows: 0, liveRows, tombstoneRows: [] };
  const table = new A.Table(scan.arrowSchema, batches);
  const [first] = scan.filesOf(task.files.slice(0, 1));
  const add = await writeDataFile(snapshot, table, { partitionValues: first?.partitionValues ?? {} });
  const tombstones = kept.reduce((n, b) => n + b.numRows, 0);
  return {
    add: { ...add, dataChange: false },
    rows,
    liveRows,
    tombstoneRows: Array.from({ length: tombstones }, (_, k) => rows - tombstones + k),
  };
}
