/**
 * A mirror table in memory: files of rows with deletion sets, a commit log recording which files each version added
 * (with their deletion sets as of that commit) and removed, and an index sync that follows the same rules as
 * index-sync.ts (catch up by folding the missing commits' new rows, else rebuild from every row).
 */

import type { Doc } from '@delta-writer/proto/mirror';
import type { KeyIndex } from '../../../src/mirror/index-store.js';
import type { IndexEntry } from '../../../src/mirror/plan.js';
import { foldRows, type PhysicalRow } from '../../../src/mirror/plan.js';
import type { MirrorTable, NewFile, TableRow } from './pipeline.js';

interface File {
  readonly rows: readonly TableRow[];
  readonly dv: Set<number>;
  readonly at: number;
}

interface CommitRecord {
  readonly added: ReadonlyArray<{ path: string; dv: ReadonlySet<number> }>;
  readonly removed: ReadonlySet<string>;
}

export class MemoryMirrorTable implements MirrorTable {
  readonly tableId = 'memory-mirror-table';
  private readonly files = new Map<string, File>();
  /** Files compaction removed: still readable (as on object storage until VACUUM). */
  private readonly removed = new Map<string, File>();
  /** commits[v - 1] is version v; version 0 created the empty table. */
  private readonly commits: CommitRecord[] = [];
  private compactions = 0;

  get version(): number {
    return this.commits.length;
  }

  async commit(files: readonly NewFile[], deletes: ReadonlyMap<string, readonly number[]>): Promise<number> {
    const at = this.version + 1;
    for (const f of files) {
      if (this.files.has(f.path)) throw new Error(`file ${f.path} exists`);
      this.files.set(f.path, { rows: f.rows, dv: new Set(), at });
    }
    for (const [path, rows] of deletes) {
      const f = this.files.get(path);
      if (!f) throw new Error(`deletes rows of ${path}, which is not live`);
      for (const r of rows) {
        if (r >= f.rows.length) throw new Error(`deletes row ${r} of ${path}, which has ${f.rows.length}`);
        if (f.dv.has(r)) throw new Error(`deletes row ${r} of ${path} twice`);
        f.dv.add(r);
      }
    }
    this.commits.push({
      added: files.map((f) => ({ path: f.path, dv: new Set(this.files.get(f.path)?.dv) })),
      removed: new Set(),
    });
    return this.version;
  }

  async compact(keep: (key: string, file: string, row: number) => boolean): Promise<number | undefined> {
    const inputs = [...this.files].filter(([, f]) => f.dv.size > 0);
    if (inputs.length === 0) return undefined;
    const rows: TableRow[] = [];
    const dv = new Set<number>();
    for (const [path, f] of inputs) {
      f.rows.forEach((row, i) => {
        if (!f.dv.has(i)) rows.push(row);
        else if (row.op === 'delete' && keep(row.key, path, i)) {
          dv.add(rows.length);
          rows.push(row);
        }
      });
      this.files.delete(path);
      this.removed.set(path, f);
    }
    const path = `compacted-${this.compactions++}.parquet`;
    this.files.set(path, { rows, dv, at: this.version + 1 });
    this.commits.push({ added: [{ path, dv: new Set(dv) }], removed: new Set(inputs.map(([p]) => p)) });
    return this.version;
  }

  /** The row as stored, deleted or not: an ingestor reading through a lagging index may get a superseded row. */
  async storedDoc(file: string, row: number): Promise<Doc> {
    const r = (this.files.get(file) ?? this.removed.get(file))?.rows[row];
    if (!r?.doc) throw new Error(`no document row ${row} in ${file}`);
    return r.doc;
  }

  private rowsOf(
    path: string,
    rows: readonly TableRow[],
    dv: ReadonlySet<number>,
    at: number,
  ): PhysicalRow[] {
    return rows.map((r, i) => ({
      file: path,
      row: i,
      key: r.key,
      version: r.version,
      op: r.op,
      deleted: dv.has(i),
      at,
    }));
  }

  async sync(index: KeyIndex, term: number): Promise<{ action: string; violations: readonly string[] }> {
    const state = await index.state();
    if (state && state.tableId === this.tableId && state.version === this.version && !state.pending) {
      return { action: 'in-sync', violations: [] };
    }
    if (state && state.tableId === this.tableId && state.version < this.version) {
      const violations: string[] = [];
      for (let v = state.version + 1; v <= this.version; v++) {
        const c = this.commits[v - 1] as CommitRecord;
        const rows = c.added.flatMap(({ path, dv }) => {
          const f = (this.files.get(path) ?? this.removed.get(path)) as File;
          return this.rowsOf(path, f.rows, dv, f.at);
        });
        const stored = await index.lookup([...new Set(rows.map((r) => r.key))]);
        const folded = foldRows(rows, stored, c.removed);
        violations.push(...folded.violations);
        await index.apply({ set: folded.entries }, { tableId: this.tableId, from: v - 1, to: v, term });
      }
      return { action: 'caught-up', violations };
    }
    const folded = foldRows(await this.physicalRows(), new Map<string, IndexEntry>());
    await index.replaceAll(folded.entries, { tableId: this.tableId, to: this.version, term });
    return { action: 'rebuilt', violations: folded.violations };
  }

  async physicalRows(): Promise<PhysicalRow[]> {
    return [...this.files].flatMap(([path, f]) => this.rowsOf(path, f.rows, f.dv, f.at));
  }

  async liveDocs(): Promise<Map<string, Doc>> {
    const out = new Map<string, Doc>();
    for (const [path, f] of this.files) {
      f.rows.forEach((r, i) => {
        if (f.dv.has(i)) return;
        if (r.op === 'delete') throw new Error(`tombstone row ${i} of ${path} is live`);
        if (out.has(r.key)) throw new Error(`key ${r.key} has two live rows`);
        out.set(r.key, r.doc as Doc);
      });
    }
    return out;
  }
}
