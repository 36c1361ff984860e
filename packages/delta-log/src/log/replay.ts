/**
 * Action reconciliation (PROTOCOL "Action Reconciliation"): the last protocol, metaData, txn per appId and
 * domain per name win; file actions are keyed by (canonical path, deletion-vector id). Replay runs forward:
 * the checkpoint's actions first, then each commit in version order. Pure: no I/O.
 *
 * The collections are persistent (see `LayeredMap`): `clone()` is O(1) and `apply()` costs O(actions × log n),
 * so a snapshot after a commit shares the table's state with the snapshot before it instead of copying it.
 * Loading uses a `StateBuilder`, which replays into plain Maps over the checkpoint's columns.
 */
import type {
  Action,
  AddFile,
  CommitInfo,
  DomainMetadata,
  Metadata,
  Protocol,
  RemoveFile,
  Txn,
} from '../actions.js';
import type { CheckpointFiles, CheckpointTombstones } from '../checkpoint/columns.js';
import { type FileEditor, FileSet } from './file-set.js';
import { canonicalPath, fileKey } from './keys.js';
import { LayeredMap, type MapEditor } from './layered-map.js';

export { canonicalPath, decodePath, fileKey } from './keys.js';

interface Scalars {
  version: number;
  protocol: Protocol | undefined;
  metadata: Metadata | undefined;
  commitInfo: CommitInfo | undefined;
}

interface Editors {
  files: FileEditor;
  /** Null when the state does not track tombstones. */
  tombstones: MapEditor<RemoveFile> | null;
  txns: MapEditor<Txn>;
  domains: MapEditor<DomainMetadata>;
}

/**
 * Applies one commit's (or checkpoint's) actions. Within a commit, removes are applied before adds so a
 * file removed and re-added in the same version (e.g. a new deletion vector) ends up live.
 */
function reconcile(s: Scalars, ed: Editors, actions: readonly Action[], version: number): void {
  const adds: AddFile[] = [];
  const removes: RemoveFile[] = [];
  s.commitInfo = undefined;
  for (const a of actions) {
    if ('add' in a) adds.push(a.add);
    else if ('remove' in a) removes.push(a.remove);
    else if ('metaData' in a) s.metadata = a.metaData;
    else if ('protocol' in a) s.protocol = a.protocol;
    else if ('txn' in a) ed.txns.set(a.txn.appId, a.txn);
    else if ('domainMetadata' in a) {
      // Removed domains stay as tombstones so a checkpoint can carry the removal forward.
      ed.domains.set(a.domainMetadata.domain, a.domainMetadata);
    } else if ('commitInfo' in a) s.commitInfo = a.commitInfo;
  }
  const readded =
    ed.tombstones && removes.length > 0 && adds.length > 0
      ? new Set(adds.map((add) => canonicalPath(add.path)))
      : undefined;
  for (const remove of removes) {
    const key = fileKey(remove.path, remove.deletionVector);
    ed.files.remove(key);
    if (!protectsNothing(remove, readded?.has(canonicalPath(remove.path)) ?? false))
      ed.tombstones?.set(key, tombstoneOf(remove));
  }
  const tombstones = ed.tombstones && ed.tombstones.size > 0 ? ed.tombstones : null;
  for (const add of adds) {
    const key = ed.files.add(add);
    tombstones?.delete(key);
  }
  s.version = version;
}

/**
 * Whether a remove's tombstone protects nothing: its data file is live (`dataFileLive`) and the
 * logical file it ended had no deletion vector or an inline one. A tombstone exists so that VACUUM keeps the files an
 * older snapshot still reads; a live data file is kept anyway, and an inline vector has no file. Such removes are
 * what a deletion-vector update writes — a mirror table re-vectors dozens of files per commit — and kept as
 * tombstones they grew its checkpoints by ~4,000 rows a minute for the week of retention, and the memory of every
 * process that reads them (60,000 tombstones for 276 live files after 14 minutes of the 2,000 events/s soak,
 * e2e/results/2026-12-06.md). A vector in a file of its own (`u`, `p`) keeps its tombstone: that file is what it
 * protects.
 */
export function protectsNothing(remove: RemoveFile, dataFileLive: boolean): boolean {
  const dv = remove.deletionVector;
  return dataFileLive && (dv == null || dv.storageType === 'i');
}

/**
 * A remove as a tombstone keeps what its later readers use — a checkpoint's `remove` columns and vacuum's
 * references — and drops its `stats` and `tags`. A mirror table re-vectors dozens of files in each commit, every one
 * a remove carrying the file's statistics (~2.5 KB of JSON): kept whole, they grew a busy leader's heap by ~40 MiB a
 * minute for the tombstones' week of retention (e2e/results/2026-12-06.md, the soak).
 */
function tombstoneOf(remove: RemoveFile): RemoveFile {
  if (remove.stats === undefined && remove.tags === undefined) return remove;
  const { stats: _stats, tags: _tags, ...kept } = remove;
  return kept;
}

/** @internal The reconciled state of a table at one version. */
export class TableState implements Scalars {
  version = -1;
  protocol: Protocol | undefined;
  metadata: Metadata | undefined;
  /** commitInfo of the newest replayed commit (never stored in checkpoints). */
  commitInfo: CommitInfo | undefined;

  constructor(
    /** Live files by `fileKey` (also by path: `files.byPathOf`). */
    public files: FileSet = FileSet.empty(),
    /**
     * Removes still inside the retention window must be carried into checkpoints (for VACUUM safety). Null: not
     * tracked (a snapshot loaded with `tombstones: false`, which can neither checkpoint nor vacuum).
     */
    public tombstones: LayeredMap<RemoveFile> | null = LayeredMap.empty(),
    /** Last txn per appId. */
    public txns: LayeredMap<Txn> = LayeredMap.empty(),
    /** Last domain metadata per domain (removed ones kept as tombstones). */
    public domains: LayeredMap<DomainMetadata> = LayeredMap.empty(),
  ) {}

  /** An independent copy: O(1), the collections are persistent. */
  clone(): TableState {
    const s = new TableState(this.files, this.tombstones, this.txns, this.domains);
    s.version = this.version;
    s.protocol = this.protocol;
    s.metadata = this.metadata;
    s.commitInfo = this.commitInfo;
    return s;
  }

  /** Applies one commit's actions (see `reconcile`); O(actions × log n). */
  apply(actions: readonly Action[], version: number): void {
    const ed: Editors = {
      files: this.files.edit(),
      tombstones: this.tombstones?.edit() ?? null,
      txns: this.txns.edit(),
      domains: this.domains.edit(),
    };
    reconcile(this, ed, actions, version);
    this.files = ed.files.done();
    this.tombstones = ed.tombstones?.done() ?? null;
    this.txns = ed.txns.done();
    this.domains = ed.domains.done();
  }

  /** Active (non-removed) domain metadata by name. */
  activeDomains(): Map<string, DomainMetadata> {
    const out = new Map<string, DomainMetadata>();
    for (const [k, v] of this.domains) if (!v.removed) out.set(k, v);
    return out;
  }
}

/** Replays a checkpoint and the commits after it into a `TableState` (plain Maps over the checkpoint's columns). */
export class StateBuilder implements Scalars {
  version = -1;
  protocol: Protocol | undefined;
  metadata: Metadata | undefined;
  commitInfo: CommitInfo | undefined;
  private readonly ed: Editors;

  /** `tombstones: false` replays removes only as files leaving (the checkpoint's tombstones are not read either). */
  constructor(
    base: { files?: CheckpointFiles; tombstones?: CheckpointTombstones } = {},
    options: { tombstones?: boolean } = {},
  ) {
    this.ed = {
      files: FileSet.build(base.files),
      tombstones: (options.tombstones ?? true) ? LayeredMap.build(base.tombstones) : null,
      txns: LayeredMap.build(),
      domains: LayeredMap.build(),
    };
  }

  apply(actions: readonly Action[], version: number): this {
    reconcile(this, this.ed, actions, version);
    return this;
  }

  /** The state; the builder must not be used afterwards. */
  finish(): TableState {
    const s = new TableState(
      this.ed.files.done(),
      this.ed.tombstones?.done() ?? null,
      this.ed.txns.done(),
      this.ed.domains.done(),
    );
    s.version = this.version;
    s.protocol = this.protocol;
    s.metadata = this.metadata;
    s.commitInfo = this.commitInfo;
    return s;
  }
}
