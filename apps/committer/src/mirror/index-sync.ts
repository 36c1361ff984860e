/**
 * Bringing a mirror table's key index in line with the table before a commit is planned on it:
 * - in sync: the index reflects the snapshot's version of this table;
 * - behind by a few versions (a crash between a Delta commit and its index update, a compaction that moved rows,
 *   a partly applied move): fold in the rows of the files each missing commit added, commit by commit;
 * - anything else (no index, another table, ahead of the table, too far behind, commits already cleaned up):
 *   rebuild from the live files of the snapshot.
 * Reading a file's rows reads only the mirror columns (key, sequence, op, Kafka position) and its deletion vector.
 */
import {
  type Action,
  type AddFile,
  canonicalPath,
  commitFileName,
  FileNotFoundError,
  LOG_DIR,
  parseActions,
  readParquet,
  type Snapshot,
} from '@delta-writer/delta-log';
import { compactSeq, keyIdentity } from '@delta-writer/proto/mirror';
import type { KeyIndex } from './index-store.js';
import { foldRows, type PhysicalRow, type RowOp } from './plan.js';

/** The columns of a mirror data file that identify its rows (bson-arrow's CDC columns). */
export const MIRROR_COLUMNS = {
  key: '_cdc_key',
  seq: '_cdc_seq',
  op: '_cdc_op',
  partition: '_kafka_partition',
  offset: '_kafka_offset',
} as const;

export type RowReader = (snapshot: Snapshot, add: AddFile) => Promise<PhysicalRow[]>;

function opOf(op: unknown): RowOp {
  return op === 'd' ? 'delete' : 'upsert';
}

/** The physical rows of one data file (with its deletion vector as in `add`), from the mirror columns only. */
export const readMirrorRows: RowReader = async (snapshot, add) => {
  const scan = snapshot.scan();
  const [file] = scan.filesOf([add]);
  if (!file) return [];
  const [bytes, deleted] = await Promise.all([snapshot.storage.get(file.key), scan.deletedRows(file)]);
  const c = MIRROR_COLUMNS;
  const table = readParquet(bytes, { columns: [c.key, c.seq, c.op, c.partition, c.offset] });
  const col = (name: string) => {
    const v = table.getChild(name);
    if (!v) throw new Error(`mirror data file ${add.path} has no column ${name}`);
    return v;
  };
  const [keys, seqs, ops, partitions, offsets] = [c.key, c.seq, c.op, c.partition, c.offset].map(col) as [
    ReturnType<typeof col>,
    ReturnType<typeof col>,
    ReturnType<typeof col>,
    ReturnType<typeof col>,
    ReturnType<typeof col>,
  ];
  const gone = new Set(deleted);
  const rows: PhysicalRow[] = [];
  for (let i = 0; i < table.numRows; i++) {
    rows.push({
      file: add.path,
      row: i,
      // The column shows the key as the source typed it; rows are the same row by value (keyIdentity).
      key: keyIdentity(String(keys.get(i))),
      version: {
        seq: compactSeq(String(seqs.get(i))),
        partition: Number(partitions.get(i)),
        offset: Number(offsets.get(i)),
      },
      op: opOf(ops.get(i)),
      deleted: gone.has(i),
      at: add.modificationTime,
    });
  }
  return rows;
};

export interface SyncOptions {
  readonly term: number;
  /** Catch up at most this many commits; further behind, rebuild (default 100). */
  readonly maxCatchUp?: number;
  readonly readRows?: RowReader;
  /** Files read at once when rebuilding (default 8). */
  readonly concurrency?: number;
  /**
   * When the index is ahead of the snapshot (a cached snapshot older than the last commit), throw
   * {@link IndexAheadError} instead of rebuilding: the caller should load a fresh snapshot. Default false.
   */
  readonly refuseAhead?: boolean;
}

/** The index reflects a newer version of the table than the snapshot: plan on a fresh snapshot instead. */
export class IndexAheadError extends Error {
  override readonly name = 'IndexAheadError';
}

export interface SyncResult {
  readonly action: 'in-sync' | 'caught-up' | 'rebuilt';
  /** Commits folded in (catch-up) or files read (rebuild). */
  readonly work: number;
  /** Keys whose rows break the mirror invariant (see `foldRows`); logged and counted by the caller. */
  readonly violations: readonly string[];
}

/**
 * The files a commit added (not DV re-adds of files it also removed) and the files it removed for good. A
 * `COMPUTE STATS` commit (`delta-log repair-stats`, Spark's statistics recomputation) only adds live files again
 * with new stats: no row moved.
 */
export function commitFileChanges(actions: readonly Action[]): { added: AddFile[]; removed: Set<string> } {
  if (actions.some((a) => 'commitInfo' in a && a.commitInfo.operation === 'COMPUTE STATS')) {
    return { added: [], removed: new Set() };
  }
  const removedPaths = new Set<string>();
  const addedPaths = new Set<string>();
  for (const a of actions) {
    if ('remove' in a) removedPaths.add(canonicalPath(a.remove.path));
    if ('add' in a) addedPaths.add(canonicalPath(a.add.path));
  }
  const added: AddFile[] = [];
  for (const a of actions) if ('add' in a && !removedPaths.has(canonicalPath(a.add.path))) added.push(a.add);
  const removed = new Set<string>();
  for (const a of actions) {
    if ('remove' in a && !addedPaths.has(canonicalPath(a.remove.path))) removed.add(a.remove.path);
  }
  return { added, removed };
}

async function readCommitActions(snapshot: Snapshot, version: number): Promise<Action[] | undefined> {
  const name = commitFileName(version);
  const path = [snapshot.tablePath, LOG_DIR, name].filter((p) => p !== '').join('/');
  try {
    return parseActions(new TextDecoder().decode(await snapshot.storage.get(path)), name);
  } catch (error) {
    if (error instanceof FileNotFoundError) return undefined;
    throw error;
  }
}

/** Makes `index` reflect `snapshot` (see the module comment). */
export async function syncIndex(
  index: KeyIndex,
  snapshot: Snapshot,
  options: SyncOptions,
): Promise<SyncResult> {
  const readRows = options.readRows ?? readMirrorRows;
  const tableId = snapshot.metadata.id;
  const state = await index.state();
  if (state && state.tableId === tableId && state.version === snapshot.version && !state.pending) {
    return { action: 'in-sync', work: 0, violations: [] };
  }
  const behind = state && state.tableId === tableId ? snapshot.version - state.version : Number.NaN;
  if (options.refuseAhead && behind < 0) {
    throw new IndexAheadError(
      `the key index is at version ${state?.version}, the snapshot at ${snapshot.version}`,
    );
  }
  if (state && behind > 0 && behind <= (options.maxCatchUp ?? 100)) {
    const caught = await catchUp(index, snapshot, state.version, readRows, options.term);
    if (caught) return caught;
  }
  return rebuild(index, snapshot, readRows, options);
}

async function catchUp(
  index: KeyIndex,
  snapshot: Snapshot,
  from: number,
  readRows: RowReader,
  term: number,
): Promise<SyncResult | undefined> {
  const commits: Action[][] = [];
  for (let v = from + 1; v <= snapshot.version; v++) {
    const actions = await readCommitActions(snapshot, v);
    if (!actions) return undefined; // cleaned up: only a rebuild can help
    commits.push(actions);
  }
  const violations: string[] = [];
  for (let i = 0; i < commits.length; i++) {
    const { added, removed } = commitFileChanges(commits[i] as Action[]);
    const rows = (await Promise.all(added.map((add) => readRows(snapshot, add)))).flat();
    const stored = await index.lookup([...new Set(rows.map((r) => r.key))]);
    const folded = foldRows(rows, stored, removed);
    violations.push(...folded.violations);
    const version = from + 1 + i;
    await index.apply(
      { set: folded.entries },
      { tableId: snapshot.metadata.id, from: version - 1, to: version, term },
    );
  }
  return { action: 'caught-up', work: commits.length, violations };
}

async function rebuild(
  index: KeyIndex,
  snapshot: Snapshot,
  readRows: RowReader,
  options: SyncOptions,
): Promise<SyncResult> {
  const files = snapshot.files();
  const rows: PhysicalRow[] = [];
  const concurrency = Math.max(1, options.concurrency ?? 8);
  for (let i = 0; i < files.length; i += concurrency) {
    const group = await Promise.all(files.slice(i, i + concurrency).map((f) => readRows(snapshot, f)));
    for (const g of group) rows.push(...g);
  }
  const folded = foldRows(rows, new Map());
  await index.replaceAll(folded.entries, {
    tableId: snapshot.metadata.id,
    to: snapshot.version,
    term: options.term,
  });
  return { action: 'rebuilt', work: files.length, violations: folded.violations };
}
