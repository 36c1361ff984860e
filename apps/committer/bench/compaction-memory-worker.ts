/** One compaction in a worker thread of its own, as the committer's maintenance pool runs it (compaction-memory.ts). */
import { parentPort, workerData } from 'node:worker_threads';
import { FsStorage, Snapshot } from '@delta-writer/delta-log';
import { compactFiles } from '../src/maintenance/compact-worker.js';

const { dir, table } = workerData as { dir: string; table: string };
const storage = new FsStorage(dir);
const snapshot = await Snapshot.load(storage, table);
const out = await compactFiles(storage, {
  tablePath: table,
  version: snapshot.version,
  protocol: snapshot.protocol,
  metadata: snapshot.metadata,
  files: [...snapshot.files()],
});
parentPort?.postMessage(out.add.size);
