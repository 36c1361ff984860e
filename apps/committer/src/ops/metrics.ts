/** The committer's Prometheus metrics, on a registry of its own (so tests and several instances never collide). */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { type ThreadMemory, threadMemory } from './thread-memory.js';

export type Metrics = ReturnType<typeof createMetrics>;

export function createMetrics(options: { defaultMetrics?: boolean } = {}) {
  const registry = new Registry();
  if (options.defaultMetrics ?? true)
    collectDefaultMetrics({ register: registry, prefix: 'deltawriter_committer_' });
  const registers = [registry];
  return {
    registry,
    commits: new Counter({
      name: 'deltawriter_committer_commits_total',
      help: 'Delta commits written, by table (routing key).',
      labelNames: ['table'] as const,
      registers,
    }),
    commitDuration: new Histogram({
      name: 'deltawriter_committer_commit_duration_seconds',
      help: 'Time to commit one batch: snapshot, planning and the Delta log write.',
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    batchManifests: new Histogram({
      name: 'deltawriter_committer_batch_manifests',
      help: 'Manifests per group commit.',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
      registers,
    }),
    manifests: new Counter({
      name: 'deltawriter_committer_manifests_total',
      help: 'Manifests answered, by outcome (committed, duplicate, refused) and refusal reason.',
      labelNames: ['outcome', 'reason'] as const,
      registers,
    }),
    files: new Counter({
      name: 'deltawriter_committer_files_total',
      help: 'Data files added to tables.',
      registers,
    }),
    bytes: new Counter({
      name: 'deltawriter_committer_bytes_total',
      help: 'Bytes of data files added to tables.',
      registers,
    }),
    records: new Counter({
      name: 'deltawriter_committer_records_total',
      help: 'Rows of data files added to tables.',
      registers,
    }),
    conflicts: new Counter({
      name: 'deltawriter_committer_conflicts_total',
      help: 'Delta commits that lost to a concurrent writer and were planned again.',
      registers,
    }),
    acknowledgedGaps: new Counter({
      name: 'deltawriter_committer_acknowledged_gaps_total',
      help: 'Source ranges committed over an offset gap the ingestor acknowledged (records lost in Kafka).',
      registers,
    }),
    queueDepth: new Gauge({
      name: 'deltawriter_committer_queue_depth',
      help: 'Manifests waiting for a group commit.',
      registers,
    }),
    leader: new Gauge({
      name: 'deltawriter_committer_lease_leader',
      help: '1 while this replica holds the lease, else 0.',
      registers,
    }),
    term: new Gauge({
      name: 'deltawriter_committer_lease_term',
      help: 'Fencing token of the current leadership term of this replica (0 on a standby).',
      registers,
    }),
    leaseTransitions: new Counter({
      name: 'deltawriter_committer_lease_transitions_total',
      help: 'Lease acquisitions and losses, by event (acquired, lost) and reason.',
      labelNames: ['event', 'reason'] as const,
      registers,
    }),
    maintenanceRuns: new Counter({
      name: 'deltawriter_committer_maintenance_runs_total',
      help: 'Maintenance runs by kind (checkpoint, compaction, cleanup, vacuum) and outcome (ok, conflict, failed, aborted).',
      labelNames: ['kind', 'outcome'] as const,
      registers,
    }),
    maintenanceDuration: new Histogram({
      name: 'deltawriter_committer_maintenance_duration_seconds',
      help: 'Duration of maintenance runs, by kind.',
      labelNames: ['kind'] as const,
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900],
      registers,
    }),
    maintenanceQueue: new Gauge({
      name: 'deltawriter_committer_maintenance_queue_depth',
      help: 'Maintenance runs waiting (they run one at a time).',
      registers,
    }),
    maintenanceProgress: new Gauge({
      name: 'deltawriter_committer_maintenance_progress_ratio',
      help: 'Progress (0 to 1) of the maintenance run in progress, by kind and table.',
      labelNames: ['kind', 'table'] as const,
      registers,
    }),
    compactionFiles: new Counter({
      name: 'deltawriter_committer_compaction_files_total',
      help: 'Data files removed and added by compaction commits.',
      labelNames: ['direction'] as const,
      registers,
    }),
    compactionBytes: new Counter({
      name: 'deltawriter_committer_compaction_bytes_total',
      help: 'Bytes of data files removed and added by compaction commits.',
      labelNames: ['direction'] as const,
      registers,
    }),
    vacuumFiles: new Counter({
      name: 'deltawriter_committer_vacuum_files_deleted_total',
      help: 'Unreferenced data files deleted by vacuum.',
      registers,
    }),
    vacuumBytes: new Counter({
      name: 'deltawriter_committer_vacuum_bytes_deleted_total',
      help: 'Bytes of unreferenced data files deleted by vacuum.',
      registers,
    }),
    mirrorRows: new Counter({
      name: 'deltawriter_committer_mirror_rows_total',
      help: 'Rows of mirror-table commits by outcome: inserted, updated, deleted, deleted_absent (a delete of a key with no live row: only a tombstone), stale (older than the stored row: replays, duplicates, late events), superseded (a newer row of the key in the same commit).',
      labelNames: ['outcome'] as const,
      registers,
    }),
    mirrorIndexSyncs: new Counter({
      name: 'deltawriter_committer_mirror_index_sync_total',
      help: 'Key index syncs before mirror commits and when a leadership term starts, by action (in-sync, caught-up, rebuilt).',
      labelNames: ['action'] as const,
      registers,
    }),
    mirrorViolations: new Counter({
      name: 'deltawriter_committer_mirror_violations_total',
      help: 'Keys whose rows broke the mirror invariant when the index was synced (a table written by something else, or a bug); each is logged.',
      registers,
    }),
    mirrorPrepareDuration: new Histogram({
      name: 'deltawriter_committer_mirror_prepare_duration_seconds',
      help: 'Time to prepare a mirror commit: index sync and lookup, planning, deletion vectors.',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    mirrorTouchedFiles: new Histogram({
      name: 'deltawriter_committer_mirror_touched_files',
      help: 'Existing data files given a new deletion vector per mirror commit.',
      buckets: [0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
      registers,
    }),
    mirrorVectorCache: new Gauge({
      name: 'deltawriter_committer_mirror_vector_cache',
      help: 'Deletion vectors of mirror-table files held in memory (DELTA_MIRROR_VECTOR_CACHE_ROWS): files (one vector each) and deleted row indexes (4 bytes each).',
      labelNames: ['measure'] as const,
      registers,
    }),
    mirrorTombstonesPurged: new Counter({
      name: 'deltawriter_committer_mirror_tombstones_purged_total',
      help: 'Delete tombstones removed from mirror key indexes after DELTA_MIRROR_TOMBSTONE_RETENTION.',
      registers,
    }),
    mirrorIndexFailures: new Counter({
      name: 'deltawriter_committer_mirror_index_failures_total',
      help: 'Key index writes that failed after their Delta commit (the next commit catches the index up), by stage.',
      labelNames: ['stage'] as const,
      registers,
    }),
    authRefusals: new Counter({
      name: 'deltawriter_committer_auth_refusals_total',
      help: 'Calls refused for their credential, by reason (unauthenticated: no or a wrong credential; permission_denied: a table outside its scope) and method.',
      labelNames: ['reason', 'method'] as const,
      registers,
    }),
    insecure: new Gauge({
      name: 'deltawriter_committer_insecure',
      help: '1 when the committer runs without authentication (COMMITTER_INSECURE=true): anyone reaching its gRPC port may write every table.',
      registers,
    }),
    putIfAbsentProbes: new Counter({
      name: 'deltawriter_committer_put_if_absent_probes_total',
      help: 'Put-if-absent probes of the object store (at start-up and each lease acquisition), by result (ok, refused: the store does not enforce it, error: it could not be reached).',
      labelNames: ['result'] as const,
      registers,
    }),
    threadMemory: new Gauge({
      name: 'deltawriter_committer_thread_memory_bytes',
      help: "Memory one thread holds, by thread (main; maintenance: the worker thread, as of its last task, 0 once it has ended) and kind (heap_used: V8 heap in use; heap_total: V8 heap committed, in use or kept free; external: Buffers and Arrow data; wasm: parquet-wasm's WebAssembly heap, which only grows). The resident set beyond their sum is the allocator's.",
      labelNames: ['thread', 'kind'] as const,
      registers,
      collect() {
        setThreadMemory(this, 'main', threadMemory());
      },
    }),
    memoryReleaseDuration: new Histogram({
      name: 'deltawriter_committer_memory_release_seconds',
      help: "Pauses of a thread (main; maintenance: the worker, after a task) giving V8's pooled heap pages back to the operating system (MEMORY_RELEASE_INTERVAL).",
      labelNames: ['thread'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
    memoryReleasedBytes: new Counter({
      name: 'deltawriter_committer_memory_released_bytes_total',
      help: 'Resident memory those releases gave back (the fall of the resident set across each).',
      registers,
    }),
    logFilesDeleted: new Counter({
      name: 'deltawriter_committer_log_files_deleted_total',
      help: 'Delta log files (commits, checkpoints) deleted by log cleanup.',
      registers,
    }),
  };
}

/** Sets one thread's figures on the `thread_memory_bytes` gauge. */
export function setThreadMemory(
  gauge: Gauge<'thread' | 'kind'>,
  thread: 'main' | 'maintenance',
  memory: ThreadMemory,
): void {
  gauge.set({ thread, kind: 'heap_used' }, memory.heapUsed);
  gauge.set({ thread, kind: 'heap_total' }, memory.heapTotal);
  gauge.set({ thread, kind: 'external' }, memory.external);
  gauge.set({ thread, kind: 'wasm' }, memory.wasm);
}
