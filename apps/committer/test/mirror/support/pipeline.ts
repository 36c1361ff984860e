/**
 * The mirror write path, simulated end to end over a {@link MirrorTable}: ingestors that batch each Kafka
 * partition, collapse the batch, resolve partial updates against their own uncommitted batches or the stored row
 * (reading the key index, as a real ingestor would), and send manifests; a committer that group-commits manifests
 * with exactly-once offsets, syncs the index, plans, refuses manifests built on a stale base (the ingestor rebuilds
 * them), commits, and updates the index — unless it "crashes" in between. Leadership changes, lost acks and
 * compactions happen along the way.
 */

import {
  applyPatch,
  collapseEvents,
  compareSeq,
  compareVersion,
  type Doc,
  type MirrorEvent,
  type RowVersion,
  sameValue,
} from '@delta-writer/proto/mirror';
import { IndexFencedError, type KeyIndex } from '../../../src/mirror/index-store.js';
import {
  type BatchRow,
  type MirrorCounts,
  type PhysicalRow,
  planMirrorBatch,
} from '../../../src/mirror/plan.js';
import { pick, rng } from './source.js';

export interface TableRow {
  readonly key: string;
  readonly version: RowVersion;
  readonly op: 'upsert' | 'delete';
  readonly doc: Doc | null;
  readonly base?: RowVersion;
  readonly from?: RowVersion;
}

export interface NewFile {
  readonly path: string;
  readonly rows: readonly TableRow[];
}

/** What the pipeline needs from a table; implemented in memory and on a real Delta table. */
export interface MirrorTable {
  readonly tableId: string;
  /** One commit: the new files and the rows to delete (of new and existing files). Returns the new version. */
  commit(files: readonly NewFile[], deletes: ReadonlyMap<string, readonly number[]>): Promise<number>;
  /** Rewrites the files that have deleted rows into one clean file (keeping the tombstones `keep` accepts). */
  compact(keep: (key: string, file: string, row: number) => boolean): Promise<number | undefined>;
  storedDoc(file: string, row: number): Promise<Doc>;
  sync(index: KeyIndex, term: number): Promise<{ action: string; violations: readonly string[] }>;
  physicalRows(): Promise<PhysicalRow[]>;
  liveDocs(): Promise<Map<string, Doc>>;
}

export interface PipelineParams {
  readonly seed: number;
  /** `skip` for Debezium's update_full modes, `apply` for change_streams (see collapse.ts). */
  readonly partialUpdates: 'apply' | 'skip';
  readonly batchMax: number;
  readonly groupMax: number;
  /** Ingestors resolve partial updates against their own uncommitted batches first (else: rebuilds happen). */
  readonly overlay: boolean;
  readonly pipelineRate: number;
  readonly crashRate: number;
  readonly ackLossRate: number;
  readonly leaderChangeRate: number;
  /** Commits between compactions (0: never). */
  readonly compactEvery: number;
}

export interface PipelineStats {
  commits: number;
  rebuiltManifests: number;
  crashes: number;
  syncs: Record<string, number>;
  duplicates: number;
  compactions: number;
  fencedWrites: number;
  counts: MirrorCounts;
  violations: string[];
}

interface Manifest {
  readonly partition: number;
  readonly first: number;
  readonly last: number;
  readonly file: NewFile | null;
}

interface Partition {
  readonly log: readonly MirrorEvent[];
  committed: number;
  position: number;
  inflight: Manifest[];
}

type Base = { version: RowVersion; doc: Doc | null };

/** Hands the lease to `term` (the in-memory index keeps it in `leaseTerm`; Redis in the lease hash). */
export type SetLease = (term: number) => Promise<void>;

export async function runPipeline(
  logs: readonly (readonly MirrorEvent[])[],
  table: MirrorTable,
  index: KeyIndex & { leaseTerm?: number | undefined },
  p: PipelineParams,
  setLease: SetLease = async (t) => {
    index.leaseTerm = t;
  },
): Promise<PipelineStats> {
  const r = rng(p.seed ^ 0x5bd1e995);
  const parts: Partition[] = logs.map((log) => ({ log, committed: -1, position: 0, inflight: [] }));
  let queue: Manifest[] = [];
  let term = 1;
  await setLease(term);
  let fileSeq = 0;
  const stats: PipelineStats = {
    commits: 0,
    rebuiltManifests: 0,
    crashes: 0,
    syncs: {},
    duplicates: 0,
    compactions: 0,
    fencedWrites: 0,
    counts: { inserted: 0, updated: 0, deleted: 0, deletedAbsent: 0, stale: 0, superseded: 0 },
    violations: [],
  };

  const sync = async () => {
    const s = await table.sync(index, term);
    stats.syncs[s.action] = (stats.syncs[s.action] ?? 0) + 1;
    stats.violations.push(...s.violations);
  };

  /** The table version of the last ack, as the ingestors know it. */
  let ackedVersion = 0;
  const indexLags = async () => ((await index.state())?.version ?? -1) < ackedVersion;

  /** The newest state of `key` in the partition's uncommitted batches. */
  const overlayOf = (part: Partition, key: string): Base | undefined => {
    let found: Base | undefined;
    for (const m of part.inflight) {
      for (const row of m.file?.rows ?? []) {
        if (row.key === key && (!found || compareVersion(row.version, found.version) > 0)) {
          found = { version: row.version, doc: row.op === 'delete' ? null : row.doc };
        }
      }
    }
    return found;
  };

  /** Builds the partition's next batch; undefined when a partial update must wait for an uncommitted base. */
  const build = async (pi: number): Promise<Manifest | undefined> => {
    const part = parts[pi] as Partition;
    const n = 1 + pick(r, p.batchMax);
    const events = part.log.slice(part.position, part.position + n);
    let live = events;
    const patched = new Set(events.filter((e) => !e.after && e.op !== 'd').map((e) => e.key));
    if (p.partialUpdates === 'apply' && patched.size > 0) {
      // Stored rows are read through the index: only once it reflects every commit this ingestor was acked.
      if (await indexLags()) return undefined;
      // Events no newer than the stored (or in-flight) row of their key are replays: a partial update must not be
      // applied on top of them, nor they on top of the table.
      const stored = await index.lookup([...patched]);
      const floor = (key: string) =>
        (p.overlay ? overlayOf(part, key)?.version : undefined) ?? stored.get(key)?.version;
      live = events.filter((e) => {
        const f = patched.has(e.key) ? floor(e.key) : undefined;
        return !f || compareVersion(e.version, f) > 0;
      });
    }
    const collapsed = collapseEvents(live, { partialUpdates: p.partialUpdates });
    const rows: TableRow[] = [];
    for (const c of collapsed.rows) {
      if (c.kind === 'upsert') {
        rows.push({
          key: c.key,
          version: c.version,
          op: 'upsert',
          doc: c.doc,
          ...(c.from ? { from: c.from } : {}),
        });
      } else if (c.kind === 'delete') rows.push({ key: c.key, version: c.version, op: 'delete', doc: null });
      else {
        let base: Base | undefined = p.overlay ? overlayOf(part, c.key) : undefined;
        if (!base) {
          const entry = (await index.lookup([c.key])).get(c.key);
          if (entry)
            base = {
              version: entry.version,
              doc: entry.deleted ? null : await table.storedDoc(entry.file, entry.row),
            };
        }
        // Older than what is stored: it would lose anyway.
        if (base && compareVersion(c.version, base.version) <= 0) continue;
        const baseVersion = base?.version;
        if (!base?.doc) {
          // Its base is on its way (an uncommitted batch): build after the next commit.
          if (part.inflight.length > 0) return undefined;
          throw new Error(`key ${c.key}: a partial update with no document to apply it to (${c.reason})`);
        }
        let doc: Doc = base.doc;
        for (const patch of c.patches) {
          const applied = applyPatch(doc, patch);
          if (!applied.ok) {
            // On a base that an uncommitted batch has already changed: wait for it. Otherwise it is unsafe.
            if (part.inflight.length > 0) return undefined;
            throw new Error(`key ${c.key}: ${applied.reason}`);
          }
          doc = applied.doc;
        }
        // A replay of the change that made the stored row (same sequence) changes nothing: drop it.
        if (baseVersion && compareSeq(c.version.seq, baseVersion.seq) === 0 && sameValue(doc, base.doc))
          continue;
        rows.push({ key: c.key, version: c.version, op: 'upsert', doc, base: base.version });
      }
    }
    const first = part.position;
    const last = part.position + events.length - 1;
    part.position = last + 1;
    const file = rows.length > 0 ? { path: `p${pi}/part-${first}-${last}-${fileSeq++}.parquet`, rows } : null;
    return { partition: pi, first, last, file };
  };

  /** Drops the manifest and everything after it in its partition: the ingestor rebuilds from `first`. */
  const refuse = (m: Manifest) => {
    const part = parts[m.partition] as Partition;
    part.inflight = part.inflight.filter((x) => x.first < m.first);
    queue = queue.filter((x) => x.partition !== m.partition || x.first < m.first);
    part.position = Math.min(part.position, m.first);
    stats.rebuiltManifests++;
  };

  const commitGroup = async () => {
    const group = queue.splice(0, 1 + pick(r, p.groupMax));
    const running = new Map(parts.map((x, i) => [i, x.committed]));
    const accepted: Manifest[] = [];
    for (const m of group) {
      const committed = running.get(m.partition) as number;
      if (m.last <= committed) {
        stats.duplicates++;
        continue;
      }
      if (m.first !== committed + 1)
        throw new Error(`manifest ${m.first}..${m.last} leaves a gap after ${committed}`);
      running.set(m.partition, m.last);
      accepted.push(m);
    }
    if (accepted.length === 0) return;
    await sync();
    let batch = accepted;
    for (;;) {
      const rows: BatchRow[] = batch.flatMap((m) =>
        (m.file?.rows ?? []).map((row, i) => ({
          file: (m.file as NewFile).path,
          row: i,
          key: row.key,
          version: row.version,
          op: row.op,
          ...(row.base ? { base: row.base } : {}),
          ...(row.from ? { from: row.from } : {}),
        })),
      );
      const stored = await index.lookup([...new Set(rows.map((x) => x.key))]);
      const plan = planMirrorBatch(rows, stored, { now: stats.commits });
      if (plan.conflicts.length > 0) {
        const final = plan.conflicts.find((c) => !c.retryable);
        if (final) {
          const same = rows.filter((x) => x.key === final.key);
          throw new Error(
            `refused for good: ${final.reason}; rows ${JSON.stringify(same)}; stored ${JSON.stringify(stored.get(final.key))}`,
          );
        }
        const files = new Set(plan.conflicts.map((c) => c.file));
        const bad = batch.filter((m) => m.file && files.has(m.file.path));
        for (const m of bad) refuse(m);
        // Later manifests of a refused partition went with it.
        batch = batch.filter((m) => !bad.some((b) => b.partition === m.partition && b.first <= m.first));
        if (batch.length === 0) return;
        continue;
      }
      const files = batch.flatMap((m) => (m.file ? [m.file] : []));
      const version = await table.commit(files, plan.deletes);
      ackedVersion = version;
      stats.commits++;
      for (const k of Object.keys(stats.counts) as (keyof MirrorCounts)[]) stats.counts[k] += plan.counts[k];
      for (const m of batch) {
        const part = parts[m.partition] as Partition;
        part.committed = m.last;
        part.inflight = part.inflight.filter((x) => x !== m);
        if (r() < p.ackLossRate) queue.push(m); // the ack got lost: the ingestor sends it again
      }
      if (r() < p.crashRate) {
        stats.crashes++; // committed, index not updated: the next sync must notice and catch up
        return;
      }
      if (r() < p.leaderChangeRate) {
        // A new leader takes over; the old one's index write is fenced off.
        const old = term;
        term++;
        await setLease(term);
        try {
          await index.apply(
            { set: plan.entries },
            { tableId: table.tableId, from: version - 1, to: version, term: old },
          );
          throw new Error('a deposed leader wrote the index');
        } catch (error) {
          if (!(error instanceof IndexFencedError)) throw error;
          stats.fencedWrites++;
        }
        return; // the new leader syncs before its first commit
      }
      await index.apply(
        { set: plan.entries },
        { tableId: table.tableId, from: version - 1, to: version, term },
      );
      return;
    }
  };

  const compact = async () => {
    await sync();
    const entries = new Map<string, { file: string; row: number }>();
    for await (const [k, e] of index.entries()) if (e.deleted) entries.set(k, e);
    const done = await table.compact((key, file, row) => {
      const e = entries.get(key);
      return e !== undefined && e.file === file && e.row === row;
    });
    if (done !== undefined) stats.compactions++;
  };

  for (let steps = 0; ; steps++) {
    if (steps > 1_000_000) throw new Error('the pipeline does not make progress');
    const buildable = parts
      .map((part, i) => ({ part, i }))
      .filter(
        ({ part }) =>
          part.position < part.log.length &&
          (part.inflight.length === 0 || (part.inflight.length < 3 && r() < p.pipelineRate)),
      );
    if (buildable.length === 0 && queue.length === 0) {
      if (parts.every((x) => x.position >= x.log.length && x.inflight.length === 0)) break;
      // Only blocked builds are left: nothing is queued, so nothing is in flight either.
      throw new Error('blocked with nothing to commit');
    }
    if (buildable.length > 0 && (queue.length === 0 || r() < 0.5)) {
      const { part, i } = buildable[pick(r, buildable.length)] as { part: Partition; i: number };
      const m = await build(i);
      if (m) {
        part.inflight.push(m);
        queue.push(m);
      } else if (queue.length === 0) {
        // The committer syncs the index in the background too (after a restart, on a new leadership).
        if (!(await indexLags())) throw new Error(`partition ${i} waits for a base nobody is committing`);
        await sync();
      }
    } else {
      await commitGroup();
      if (p.compactEvery > 0 && stats.commits > 0 && stats.commits % p.compactEvery === 0) await compact();
    }
  }
  await sync();
  return stats;
}
