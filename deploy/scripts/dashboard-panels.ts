/** The dashboard's rows and panels: what each shows and the PromQL behind it (rendered by dashboard.ts). */

export interface Target {
  readonly expr: string;
  readonly legend: string;
}
export interface Panel {
  readonly title: string;
  readonly description: string;
  readonly unit: string;
  readonly targets: readonly Target[];
  readonly kind?: 'timeseries' | 'stat';
}

/** Series of this dashboard's namespace (Kubernetes) — or all series, where there is no such label (Compose). */
export const ns = 'namespace=~"$namespace"';
/** Grafana's own variable syntax (not a JS template). */
export const DATASOURCE = { type: 'prometheus', uid: ['$', '{datasource}'].join('') };
const rate = (metric: string, by: string, extra = '') =>
  `sum by (${by}) (rate(${metric}{${ns}${extra}}[$__rate_interval]))`;
const quantile = (q: number, metric: string, by = '') =>
  `histogram_quantile(${q}, sum by (le${by ? `, ${by}` : ''}) (rate(${metric}_bucket{${ns}}[$__rate_interval])))`;

export const ROWS: readonly { title: string; panels: readonly Panel[] }[] = [
  {
    title: 'Pipeline',
    panels: [
      {
        title: 'Events consumed',
        description: 'Kafka records taken into ingestor buffers, per topic.',
        unit: 'ops',
        targets: [{ expr: rate('dw_ingestor_events_consumed_total', 'topic'), legend: '{{topic}}' }],
      },
      {
        title: 'Rows committed',
        description: 'Rows of data files acknowledged by the committer, per table.',
        unit: 'rowsps',
        targets: [{ expr: rate('dw_ingestor_rows_written_total', 'table'), legend: '{{table}}' }],
      },
      {
        title: 'Committed lag',
        description:
          'Records between the last offset committed to Delta and the high watermark, per topic (what KEDA scales on).',
        unit: 'short',
        targets: [{ expr: `sum by (topic) (dw_ingestor_committed_lag{${ns}})`, legend: '{{topic}}' }],
      },
      {
        title: 'End-to-end latency',
        description: 'Kafka timestamp of the newest record of a batch → commit ack.',
        unit: 's',
        targets: [
          { expr: quantile(0.5, 'dw_ingestor_end_to_end_latency_seconds'), legend: 'p50' },
          { expr: quantile(0.99, 'dw_ingestor_end_to_end_latency_seconds'), legend: 'p99' },
        ],
      },
      {
        title: 'Dead-lettered records',
        description:
          'Records written to the dead-letter topic, by reason (docs/runbook.md: replaying the DLQ).',
        unit: 'ops',
        targets: [{ expr: rate('dw_ingestor_dlq_records_total', 'reason'), legend: '{{reason}}' }],
      },
      {
        title: 'Bytes written',
        description: 'Parquet bytes acknowledged by the committer, per table.',
        unit: 'Bps',
        targets: [{ expr: rate('dw_ingestor_file_bytes_written_total', 'table'), legend: '{{table}}' }],
      },
    ],
  },
  {
    title: 'Ingestors',
    panels: [
      {
        title: 'Flush and commit duration (p99)',
        description: 'Seal → uploaded (decode, encode, upload) and committer call → ack.',
        unit: 's',
        targets: [
          { expr: quantile(0.99, 'dw_ingestor_flush_duration_seconds'), legend: 'flush' },
          { expr: quantile(0.99, 'dw_ingestor_commit_duration_seconds'), legend: 'commit' },
        ],
      },
      {
        title: 'Memory',
        description: 'Resident memory per pod against the budget; buffered and in-flight record bytes.',
        unit: 'bytes',
        targets: [
          { expr: `dw_ingestor_process_resident_memory_bytes{${ns}}`, legend: 'RSS {{pod}}' },
          { expr: `sum(dw_ingestor_buffered_bytes{${ns}})`, legend: 'buffered' },
          { expr: `sum(dw_ingestor_inflight_bytes{${ns}})`, legend: 'in flight' },
          { expr: `max(dw_ingestor_memory_budget_bytes{${ns}})`, legend: 'budget (per pod)' },
          { expr: `max(dw_ingestor_encoder_wasm_heap_bytes{${ns}})`, legend: 'encoder wasm heap (max)' },
        ],
      },
      {
        title: 'Partitions',
        description: 'Owned partitions, and those paused by the memory budget.',
        unit: 'short',
        targets: [
          { expr: `sum(dw_ingestor_assigned_partitions{${ns}})`, legend: 'assigned' },
          { expr: `sum(dw_ingestor_paused_partitions{${ns}})`, legend: 'paused' },
        ],
      },
      {
        title: 'Refusals, resets and gaps',
        description:
          'Committer refusals by reason; partitions re-positioned from the table; offsets lost to Kafka retention; failed Kafka offset commits (harmless); consumer generations restarted after a Kafka outage.',
        unit: 'ops',
        targets: [
          { expr: rate('dw_ingestor_commit_refusals_total', 'reason'), legend: 'refused {{reason}}' },
          {
            expr: `sum(rate(dw_ingestor_partition_resets_total{${ns}}[$__rate_interval]))`,
            legend: 'resets',
          },
          {
            expr: `sum(rate(dw_ingestor_offset_gaps_total{${ns}}[$__rate_interval]))`,
            legend: 'retention gaps',
          },
          {
            expr: `sum(rate(dw_ingestor_kafka_offset_commit_failures_total{${ns}}[$__rate_interval]))`,
            legend: 'Kafka offset commit failures',
          },
          {
            expr: `sum(rate(dw_ingestor_kafka_reconnects_total{${ns}}[$__rate_interval]))`,
            legend: 'Kafka reconnects',
          },
        ],
      },
      {
        title: 'Event loop lag (p99)',
        description: 'Heartbeats and fetches wait behind a busy event loop; decoding runs in worker threads.',
        unit: 's',
        targets: [{ expr: `dw_ingestor_nodejs_eventloop_lag_p99_seconds{${ns}}`, legend: '{{pod}}' }],
      },
      {
        title: 'Bytes consumed',
        description: 'Kafka record bytes (key + value + headers) taken into buffers, per topic.',
        unit: 'Bps',
        targets: [{ expr: rate('dw_ingestor_bytes_consumed_total', 'topic'), legend: '{{topic}}' }],
      },
    ],
  },
  {
    title: 'Committer',
    panels: [
      {
        title: 'Leader',
        description: '1 on the replica holding the Redis lease. Exactly one should be 1.',
        unit: 'short',
        kind: 'stat',
        targets: [{ expr: `deltawriter_committer_lease_leader{${ns}}`, legend: '{{pod}}' }],
      },
      {
        title: 'Lease term and transitions',
        description: 'Fencing token of the leader; lease acquisitions and losses by reason.',
        unit: 'short',
        targets: [
          { expr: `max(deltawriter_committer_lease_term{${ns}})`, legend: 'term' },
          {
            expr: `sum by (event, reason) (increase(deltawriter_committer_lease_transitions_total{${ns}}[$__rate_interval]))`,
            legend: '{{event}} {{reason}}',
          },
        ],
      },
      {
        title: 'Commits',
        description: 'Delta commits per table.',
        unit: 'ops',
        targets: [{ expr: rate('deltawriter_committer_commits_total', 'table'), legend: '{{table}}' }],
      },
      {
        title: 'Manifests',
        description: 'Manifests answered by outcome (committed, duplicate, refused) and refusal reason.',
        unit: 'ops',
        targets: [
          {
            expr: rate('deltawriter_committer_manifests_total', 'outcome, reason'),
            legend: '{{outcome}} {{reason}}',
          },
        ],
      },
      {
        title: 'Commit duration and batch size',
        description: 'Snapshot + planning + Delta log write per batch; manifests per group commit.',
        unit: 's',
        targets: [
          { expr: quantile(0.5, 'deltawriter_committer_commit_duration_seconds'), legend: 'p50' },
          { expr: quantile(0.99, 'deltawriter_committer_commit_duration_seconds'), legend: 'p99' },
          {
            expr: `sum(rate(deltawriter_committer_batch_manifests_sum{${ns}}[$__rate_interval])) / sum(rate(deltawriter_committer_batch_manifests_count{${ns}}[$__rate_interval]))`,
            legend: 'manifests per commit',
          },
        ],
      },
      {
        title: 'Queue, conflicts, gaps',
        description:
          'Manifests waiting for a group commit; commits re-planned after losing to a concurrent writer; ranges committed over an acknowledged Kafka gap.',
        unit: 'short',
        targets: [
          { expr: `sum(deltawriter_committer_queue_depth{${ns}})`, legend: 'queued manifests' },
          {
            expr: `sum(rate(deltawriter_committer_conflicts_total{${ns}}[$__rate_interval]))`,
            legend: 'conflicts/s',
          },
          {
            expr: `sum(increase(deltawriter_committer_acknowledged_gaps_total{${ns}}[$__rate_interval]))`,
            legend: 'acknowledged gaps',
          },
        ],
      },
      {
        title: 'Data added',
        description: 'Files, rows and bytes added to tables by ingest commits.',
        unit: 'ops',
        targets: [
          {
            expr: `sum(rate(deltawriter_committer_files_total{${ns}}[$__rate_interval]))`,
            legend: 'files/s',
          },
          {
            expr: `sum(rate(deltawriter_committer_records_total{${ns}}[$__rate_interval]))`,
            legend: 'rows/s',
          },
          {
            expr: `sum(rate(deltawriter_committer_bytes_total{${ns}}[$__rate_interval]))`,
            legend: 'bytes/s',
          },
        ],
      },
      {
        title: 'Committer memory',
        description: 'Resident memory per replica (the leader also runs maintenance in a worker thread).',
        unit: 'bytes',
        targets: [{ expr: `deltawriter_committer_process_resident_memory_bytes{${ns}}`, legend: '{{pod}}' }],
      },
    ],
  },
  {
    title: 'Mirror tables',
    panels: [
      {
        title: 'Mirror rows',
        description:
          'Rows of mirror-table commits by outcome: inserted, updated, deleted, deleted_absent, stale (replays, late events), superseded.',
        unit: 'rowsps',
        targets: [
          { expr: rate('deltawriter_committer_mirror_rows_total', 'outcome'), legend: '{{outcome}}' },
        ],
      },
      {
        title: 'Mirror commit preparation (p99) and touched files',
        description:
          'Index sync and lookup, planning and deletion vectors per mirror commit; existing files given a new deletion vector per commit.',
        unit: 's',
        targets: [
          {
            expr: quantile(0.99, 'deltawriter_committer_mirror_prepare_duration_seconds'),
            legend: 'prepare p99',
          },
          {
            expr: `sum(rate(deltawriter_committer_mirror_touched_files_sum{${ns}}[$__rate_interval])) / sum(rate(deltawriter_committer_mirror_touched_files_count{${ns}}[$__rate_interval]))`,
            legend: 'touched files per commit',
          },
        ],
      },
      {
        title: 'Key index',
        description:
          'Index syncs by action (in-sync, caught-up, rebuilt), failed index writes (caught up by the next commit), invariant violations (should stay 0), tombstones purged.',
        unit: 'short',
        targets: [
          {
            expr: `sum by (action) (increase(deltawriter_committer_mirror_index_sync_total{${ns}}[$__rate_interval]))`,
            legend: 'sync {{action}}',
          },
          {
            expr: `sum by (stage) (increase(deltawriter_committer_mirror_index_failures_total{${ns}}[$__rate_interval]))`,
            legend: 'index write failed {{stage}}',
          },
          {
            expr: `sum(increase(deltawriter_committer_mirror_violations_total{${ns}}[$__rate_interval]))`,
            legend: 'violations',
          },
          {
            expr: `sum(increase(deltawriter_committer_mirror_tombstones_purged_total{${ns}}[$__rate_interval]))`,
            legend: 'tombstones purged',
          },
        ],
      },
    ],
  },
  {
    title: 'Maintenance',
    panels: [
      {
        title: 'Runs',
        description: 'Checkpoints, compactions, log cleanups and vacuums by outcome.',
        unit: 'short',
        targets: [
          {
            expr: `sum by (kind, outcome) (increase(deltawriter_committer_maintenance_runs_total{${ns}}[$__rate_interval]))`,
            legend: '{{kind}} {{outcome}}',
          },
        ],
      },
      {
        title: 'Duration (p90) and progress',
        description: 'Run duration by kind; progress of the run in progress.',
        unit: 's',
        targets: [
          {
            expr: quantile(0.9, 'deltawriter_committer_maintenance_duration_seconds', 'kind'),
            legend: '{{kind}}',
          },
          {
            expr: `max by (kind, table) (deltawriter_committer_maintenance_progress_ratio{${ns}})`,
            legend: 'progress {{kind}} {{table}}',
          },
          { expr: `max(deltawriter_committer_maintenance_queue_depth{${ns}})`, legend: 'queued runs' },
        ],
      },
      {
        title: 'Compaction',
        description: 'Files and bytes removed (small files) and added (compacted files).',
        unit: 'Bps',
        targets: [
          {
            expr: rate('deltawriter_committer_compaction_bytes_total', 'direction'),
            legend: 'bytes {{direction}}',
          },
          {
            expr: rate('deltawriter_committer_compaction_files_total', 'direction'),
            legend: 'files {{direction}}',
          },
        ],
      },
      {
        title: 'Vacuum and log cleanup',
        description: 'Unreferenced data files and expired log files deleted.',
        unit: 'short',
        targets: [
          {
            expr: `sum(increase(deltawriter_committer_vacuum_files_deleted_total{${ns}}[$__rate_interval]))`,
            legend: 'data files',
          },
          {
            expr: `sum(increase(deltawriter_committer_vacuum_bytes_deleted_total{${ns}}[$__rate_interval]))`,
            legend: 'data bytes',
          },
          {
            expr: `sum(increase(deltawriter_committer_log_files_deleted_total{${ns}}[$__rate_interval]))`,
            legend: 'log files',
          },
        ],
      },
    ],
  },
];
