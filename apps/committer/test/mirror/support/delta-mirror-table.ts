/**
 * A mirror table on a real Delta table (delta-log, any Storage): each commit writes the batch's Parquet files with
 * the mirror columns and the document as JSON, and deletes rows through deletion vectors (`deleteRows`); the index
 * is synced by the production `syncIndex`, which reads the files' mirror columns. Compaction rewrites files that
 * have deleted rows into one clean file (tombstones the index still needs are carried over, deleted again).
 */
import {
  type Action,
  type AddFile,
  DeltaTable,
  deleteRows,
  readParquet,
  type Storage,
  writeDataFile,
} from '@delta-writer/delta-log';
import type { Doc } from '@delta-writer/proto/mirror';
import * as A from 'apache-arrow';
import type { KeyIndex } from '../../../src/mirror/index-store.js';
import { MIRROR_COLUMNS, readMirrorRows, syncIndex } from '../../../src/mirror/index-sync.js';
import type { PhysicalRow } from '../../../src/mirror/plan.js';
import type { MirrorTable, NewFile, TableRow } from './pipeline.js';

const C = MIRROR_COLUMNS;

export const MIRROR_SCHEMA = {
  type: 'struct' as const,
  fields: [
    { name: 'doc', type: 'string' as const, nullable: true, metadata: {} },
    { name: C.key, type: 'string' as const, nullable: true, metadata: {} },
    { name: C.seq, type: 'string' as const, nullable: true, metadata: {} },
    { name: C.op, type: 'string' as const, nullable: true, metadata: {} },
    { name: C.partition, type: 'integer' as const, nullable: true, metadata: {} },
    { name: C.offset, type: 'long' as const, nullable: true, metadata: {} },
  ],
};

/** Documents as JSON objects (key order kept: no integer-like field names occur). */
function toJson(v: unknown): unknown {
  if (v instanceof Map) return Object.fromEntries([...v].map(([k, x]) => [k, toJson(x)]));
  if (Array.isArray(v)) return v.map(toJson);
  return v;
}
function fromJson(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(fromJson);
  if (v !== null && typeof v === 'object')
    return new Map(Object.entries(v).map(([k, x]) => [k, fromJson(x)]));
  return v;
}
export const docText = (d: Doc): string => JSON.stringify(toJson(d));
export const parseDoc = (text: string): Doc => fromJson(JSON.parse(text)) as Doc;

function arrowOf(rows: readonly TableRow[]): A.Table {
  return new A.Table({
    doc: A.vectorFromArray(
      rows.map((r) => (r.doc ? docText(r.doc) : null)),
      new A.Utf8(),
    ),
    [C.key]: A.vectorFromArray(
      rows.map((r) => r.key),
      new A.Utf8(),
    ),
    [C.seq]: A.vectorFromArray(
      rows.map((r) => r.version.seq),
      new A.Utf8(),
    ),
    [C.op]: A.vectorFromArray(
      rows.map((r) => (r.op === 'delete' ? 'd' : 'u')),
      new A.Utf8(),
    ),
    [C.partition]: A.vectorFromArray(
      rows.map((r) => r.version.partition),
      new A.Int32(),
    ),
    [C.offset]: A.vectorFromArray(
      rows.map((r) => BigInt(r.version.offset)),
      new A.Int64(),
    ),
  });
}

export class DeltaMirrorTable implements MirrorTable {
  private compactions = 0;

  private constructor(readonly table: DeltaTable) {}

  static async create(storage: Storage, tablePath = ''): Promise<DeltaMirrorTable> {
    const table = await DeltaTable.create(storage, tablePath, {
      schema: MIRROR_SCHEMA,
      configuration: { 'delta.enableDeletionVectors': 'true' },
    });
    return new DeltaMirrorTable(table);
  }

  get tableId(): string {
    return this.table.snapshot.metadata.id;
  }

  async commit(files: readonly NewFile[], deletes: ReadonlyMap<string, readonly number[]>): Promise<number> {
    const snap = this.table.snapshot;
    const adds: AddFile[] = [];
    for (const f of files) adds.push(await writeDataFile(snap, arrowOf(f.rows), { fileName: f.path }));
    const { actions } = await deleteRows(snap, deletes, { pendingAdds: adds, inlineMaxBytes: 64 });
    const result = await this.table.commit({ actions, operation: 'MERGE', readWholeTable: true });
    return result.version;
  }

  async compact(keep: (key: string, file: string, row: number) => boolean): Promise<number | undefined> {
    const snap = this.table.snapshot;
    const inputs = snap.files().filter((f) => f.deletionVector);
    if (inputs.length === 0) return undefined;
    const rows: TableRow[] = [];
    const tombstones: number[] = [];
    for (const add of inputs) {
      const physical = await readMirrorRows(snap, add);
      const docs = await this.docs(add.path);
      for (const r of physical) {
        const row: TableRow = { key: r.key, version: r.version, op: r.op, doc: docs[r.row] ?? null };
        if (!r.deleted) rows.push(row);
        else if (r.op === 'delete' && keep(r.key, add.path, r.row)) {
          tombstones.push(rows.length);
          rows.push(row);
        }
      }
    }
    const add = await writeDataFile(snap, arrowOf(rows), {
      fileName: `compacted-${this.compactions++}.parquet`,
    });
    const withDv =
      tombstones.length > 0
        ? (await deleteRows(snap, new Map([[add.path, tombstones]]), { pendingAdds: [add] })).actions
        : [{ add }];
    const now = Date.now();
    const actions: Action[] = [
      ...inputs.map((f) => ({
        remove: {
          path: f.path,
          deletionTimestamp: now,
          dataChange: false,
          ...(f.deletionVector ? { deletionVector: f.deletionVector } : {}),
        },
      })),
      ...withDv.map((a) => ('add' in a ? { add: { ...a.add, dataChange: false } } : a)),
    ];
    return (await this.table.commit({ actions, operation: 'OPTIMIZE', readWholeTable: true })).version;
  }

  private async docs(path: string): Promise<(Doc | null)[]> {
    const snap = this.table.snapshot;
    const [file] = snap
      .scan()
      .filesOf([{ path, partitionValues: {}, size: 0, modificationTime: 0, dataChange: true }]);
    const t = readParquet(await snap.storage.get((file as { key: string }).key), { columns: ['doc'] });
    const col = t.getChild('doc') as A.Vector;
    return Array.from({ length: t.numRows }, (_, i) => {
      const v = col.get(i) as string | null;
      return v === null ? null : parseDoc(v);
    });
  }

  async storedDoc(file: string, row: number): Promise<Doc> {
    const doc = (await this.docs(file))[row];
    if (!doc) throw new Error(`no document row ${row} in ${file}`);
    return doc;
  }

  async sync(index: KeyIndex, term: number): Promise<{ action: string; violations: readonly string[] }> {
    return syncIndex(index, this.table.snapshot, { term });
  }

  async physicalRows(): Promise<PhysicalRow[]> {
    const snap = this.table.snapshot;
    return (await Promise.all(snap.files().map((f) => readMirrorRows(snap, f)))).flat();
  }

  async liveDocs(): Promise<Map<string, Doc>> {
    const out = new Map<string, Doc>();
    for (const r of (await this.table.snapshot.scan().toTable()).toArray()) {
      const key = String(r[C.key]);
      if (r[C.op] === 'd') throw new Error(`tombstone row of ${key} is live`);
      if (out.has(key)) throw new Error(`key ${key} has two live rows`);
      out.set(key, parseDoc(String(r.doc)));
    }
    return out;
  }
}
