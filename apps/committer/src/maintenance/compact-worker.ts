/**
 * The worker-thread half of compacting an append-only table: the bin's files read into one Arrow table and written
 * as one new file. The decoded bin is the worker's working set (it is several times the bin's Parquet bytes); the
 * new file is encoded from it a slice at a time (`writeDataFile` streams), so it is not held again as IPC bytes in
 * JavaScript and WebAssembly memory (bench/compaction-memory.ts). Like every maintenance output, the new file is
 * invisible until the main thread commits it.
 */
import {
  type AddFile,
  type Metadata,
  type Protocol,
  Snapshot,
  type Storage,
  writeDataFile,
} from '@delta-writer/delta-log';
import * as A from 'apache-arrow';

export interface CompactTask {
  readonly kind: 'compact';
  readonly tablePath: string;
  readonly version: number;
  readonly protocol: Protocol;
  readonly metadata: Metadata;
  readonly files: readonly AddFile[];
}

export interface CompactOutput {
  /** The new file's add action (dataChange false), already written to storage. */
  readonly add: AddFile;
  readonly rows: number;
}

export async function compactFiles(
  storage: Storage,
  task: Omit<CompactTask, 'kind'>,
): Promise<CompactOutput> {
  // The files to read are given; only the table's schema and partitioning are needed to read and write them.
  const snapshot = Snapshot.fromState(storage, task.tablePath, task);
  const scan = snapshot.scan();
  const files = scan.filesOf(task.files);
  const batches: A.RecordBatch[] = [];
  for (const file of files) {
    for (const batch of await scan.readFile(file)) if (batch.numRows > 0) batches.push(batch);
  }
  const table = new A.Table(scan.arrowSchema, batches);
  const add = await writeDataFile(snapshot, table, { partitionValues: files[0]?.partitionValues ?? {} });
  return { add: { ...add, dataChange: false }, rows: table.numRows };
}
