/**
 * The bench tables, generated once into .cache/delta-log-bench/ (a marker file per table and generator version):
 *
 *   commits-10k : 10,000 commits (one add each), checkpoint at 9,990 → a listing of 10k files + 9 commits
 *   adds-100k   : 100,000 live files in a checkpoint at version 10, plus 2 commits of 100 adds
 *   files-1k / files-100k : N live files in a checkpoint at version 1 (templates for the commit-cost case;
 *                 each run commits to a fresh copy of the checkpoint)
 *   tombstones-10k / -100k : 1,000 live files and N tombstones (removes kept for a century) in a checkpoint at
 *                 version 2, plus a commit of one add (the checkpoint case writes version 3)
 */
import { randomUUID } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type Action,
  type AddFile,
  FsStorage,
  field,
  Snapshot,
  serializeActions,
  serializeSchema,
  struct,
  writeCheckpoint,
} from '@delta-writer/delta-log';

const REPO = resolve(fileURLToPath(import.meta.url), '../../../..');
export const DIR = join(REPO, '.cache', 'delta-log-bench');
const GENERATOR = 'v1';

export const schema = struct(field('id', 'long'), field('name', 'string'), field('day', 'date'));

export function addFile(i: number, tag = ''): AddFile {
  const day = `2024-01-${String((i % 28) + 1).padStart(2, '0')}`;
  return {
    path: `day=${day}/part-${tag}${String(i).padStart(6, '0')}-${randomUUID()}.snappy.parquet`,
    partitionValues: { day },
    size: 1024 + i,
    modificationTime: 1_700_000_000_000 + i,
    dataChange: true,
    stats: `{"numRecords":100,"minValues":{"id":${i * 100},"name":"a${i}"},"maxValues":{"id":${i * 100 + 99},"name":"z${i}"},"nullCount":{"id":0,"name":0}}`,
  };
}

function header(configuration: Record<string, string> = {}): Action[] {
  return [
    { commitInfo: { timestamp: 1_700_000_000_000, operation: 'CREATE TABLE' } },
    { protocol: { minReaderVersion: 1, minWriterVersion: 2 } },
    {
      metaData: {
        id: 'bench',
        format: { provider: 'parquet', options: {} },
        schemaString: serializeSchema(schema),
        partitionColumns: ['day'],
        configuration,
        createdTime: 1_700_000_000_000,
      },
    },
  ];
}

function writeCommit(dir: string, version: number, actions: Action[]): void {
  writeFileSync(
    join(dir, '_delta_log', `${String(version).padStart(20, '0')}.json`),
    serializeActions(actions),
  );
}

async function generate(name: string, build: (dir: string) => Promise<void>): Promise<string> {
  const dir = join(DIR, name);
  const marker = join(dir, `.generated-${GENERATOR}`);
  if (existsSync(marker)) return dir;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, '_delta_log'), { recursive: true });
  const t0 = performance.now();
  await build(dir);
  writeFileSync(marker, '');
  console.log(`  generated ${name} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return dir;
}

async function checkpointAt(dir: string, version: number): Promise<void> {
  await writeCheckpoint(await Snapshot.load(new FsStorage(dir), '', { version }));
}

export function commits10k(): Promise<string> {
  return generate('commits-10k', async (dir) => {
    writeCommit(dir, 0, header());
    for (let v = 1; v < 10_000; v++)
      writeCommit(dir, v, [
        { commitInfo: { timestamp: 1_700_000_000_000 + v, operation: 'WRITE' } },
        { add: addFile(v) },
      ]);
    await checkpointAt(dir, 9_990);
  });
}

export function adds100k(): Promise<string> {
  return generate('adds-100k', async (dir) => {
    writeCommit(dir, 0, header());
    for (let v = 1; v <= 10; v++)
      writeCommit(
        dir,
        v,
        Array.from({ length: 10_000 }, (_, i) => ({ add: addFile((v - 1) * 10_000 + i) })),
      );
    await checkpointAt(dir, 10);
    for (let v = 11; v <= 12; v++)
      writeCommit(
        dir,
        v,
        Array.from({ length: 100 }, (_, i) => ({ add: addFile(100_000 + (v - 11) * 100 + i) })),
      );
  });
}

/** A table of `files` live files in a checkpoint at version 1 (the template; see `freshCopy`). */
export function filesTable(files: number): Promise<string> {
  return generate(`files-${files / 1000}k`, async (dir) => {
    writeCommit(dir, 0, header());
    writeCommit(
      dir,
      1,
      Array.from({ length: files }, (_, i) => ({ add: addFile(i) })),
    );
    await checkpointAt(dir, 1);
  });
}

/** A scratch copy of a `filesTable` holding only its checkpoint: commits go there, the template stays. */
export function freshCopy(template: string): string {
  const dir = mkdtempSync(join(DIR, 'scratch-'));
  mkdirSync(join(dir, '_delta_log'));
  for (const name of ['00000000000000000001.checkpoint.parquet', '_last_checkpoint'])
    copyFileSync(join(template, '_delta_log', name), join(dir, '_delta_log', name));
  return dir;
}

/**
 * 1,000 live files and `tombstones` removes still inside their retention (a century: the generated table never
 * ages out), the shape of a compacted streaming table's log: version 1 adds them all, version 2 removes all but
 * 1,000, checkpoint at 2, and version 3 adds one file.
 */
export function tombstonesTable(tombstones: number): Promise<string> {
  return generate(`tombstones-${tombstones / 1000}k`, async (dir) => {
    writeCommit(dir, 0, header({ 'delta.deletedFileRetentionDuration': 'interval 36500 days' }));
    const adds = Array.from({ length: tombstones + 1_000 }, (_, i) => addFile(i));
    writeCommit(
      dir,
      1,
      adds.map((add) => ({ add })),
    );
    writeCommit(
      dir,
      2,
      adds.slice(0, tombstones).map((a, i) => ({
        remove: {
          path: a.path,
          deletionTimestamp: 1_700_000_100_000 + i,
          dataChange: false,
          extendedFileMetadata: true,
          partitionValues: a.partitionValues,
          size: a.size,
        },
      })),
    );
    await checkpointAt(dir, 2);
    writeCommit(dir, 3, [{ add: addFile(tombstones + 5_000, 'n') }]);
  });
}
