/** The committer's Prometheus metrics, on a registry of its own (so tests and several instances never collide). */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

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
  };
}
