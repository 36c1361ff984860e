/**
 * Prometheus alerting rules over the apps' metrics (deploy/helm/delta-writer/files/alerts.json, the PrometheusRule's
 * `spec.groups`); `generate.ts` writes them, deploy/test/dashboard.test.ts checks every metric against the apps'
 * registries. Each summary names the runbook section (docs/runbook.md) that says what to do.
 */

export const ALERT_NAMESPACE = '__RELEASE_NAMESPACE__';

/** Prometheus alerting rules over the same metrics (a PrometheusRule's `spec.groups`), shipped with the chart. */
export function renderAlerts(): string {
  // the chart replaces the placeholder with the release's namespace, so two releases never mix their series
  const m = (metric: string, extra = '') =>
    `${metric}{namespace="${ALERT_NAMESPACE}"${extra ? `, ${extra}` : ''}}`;
  const rule = (alert: string, expr: string, forDuration: string, severity: string, summary: string) => ({
    alert,
    expr,
    for: forDuration,
    labels: { severity },
    annotations: { summary, runbook: 'docs/runbook.md' },
  });
  const groups = [
    {
      name: 'delta-writer',
      rules: [
        rule(
          'DeltaWriterNoCommitterLeader',
          `(sum(${m('deltawriter_committer_lease_leader')}) or vector(0)) < 1`,
          '2m',
          'critical',
          'No committer holds the lease: nothing is committed (check Redis and the committers; runbook: Committer failover, Recovering from a lost Redis).',
        ),
        rule(
          'DeltaWriterSeveralCommitterLeaders',
          `sum(${m('deltawriter_committer_lease_leader')}) > 1`,
          '5m',
          'warning',
          'More than one committer believes it leads for 5 minutes (safe — put-if-absent decides — but a lease or clock problem).',
        ),
        rule(
          'DeltaWriterCommittedLagGrowing',
          `sum by (topic) (${m('dw_ingestor_committed_lag')}) > 100000 and sum by (topic) (deriv(${m('dw_ingestor_committed_lag')}[15m])) > 0`,
          '15m',
          'warning',
          'Consumer lag of {{ $labels.topic }} is high and growing (runbook: Scaling ingestors).',
        ),
        rule(
          'DeltaWriterDeadLetters',
          `sum by (reason) (increase(${m('dw_ingestor_dlq_records_total')}[10m])) > 0`,
          '0m',
          'warning',
          'Records were dead-lettered ({{ $labels.reason }}) (runbook: Replaying the dead-letter topic).',
        ),
        rule(
          'DeltaWriterCommitRefusals',
          `sum by (reason) (rate(${m('dw_ingestor_commit_refusals_total', 'reason!~"NOT_LEADER|RETRY_LATER"')}[10m])) > 0`,
          '10m',
          'warning',
          'The committer keeps refusing manifests ({{ $labels.reason }}).',
        ),
        rule(
          'DeltaWriterOffsetGap',
          `sum(increase(${m('dw_ingestor_offset_gaps_total')}[1h])) > 0`,
          '0m',
          'critical',
          'Kafka deleted records before they were ingested (retention shorter than an outage): those changes are lost.',
        ),
        rule(
          'DeltaWriterKafkaUnreachable',
          `sum(increase(${m('dw_ingestor_kafka_reconnects_total')}[10m])) > 2`,
          '10m',
          'warning',
          'Ingestors keep losing Kafka and reconnecting; nothing is consumed meanwhile (check the brokers and the network; runbook: Health at a glance).',
        ),
        rule(
          'DeltaWriterIngestorMemoryHigh',
          `${m('dw_ingestor_process_resident_memory_bytes')} > 0.9 * 512 * 1024 * 1024`,
          '10m',
          'warning',
          'An ingestor uses over 90 % of its 512 MiB budget (runbook: Scaling ingestors).',
        ),
        rule(
          'DeltaWriterMirrorInvariantViolated',
          `sum(increase(${m('deltawriter_committer_mirror_violations_total')}[1h])) > 0`,
          '0m',
          'critical',
          'A mirror table holds rows that break its invariant (written by something else, or a bug); the committer logs each key (docs/mirror-tables.md).',
        ),
        rule(
          'DeltaWriterPartitionStopped',
          `sum(${m('dw_ingestor_partitions_stopped')}) > 0`,
          '0m',
          'critical',
          'An ingestor stopped a partition: its dead letters could not be written after KAFKA_DLQ_MAX_ATTEMPTS; its records wait in Kafka (runbook: A partition stopped on the dead-letter topic).',
        ),
        rule(
          'DeltaWriterCommitterInsecure',
          `max(${m('deltawriter_committer_insecure')}) > 0`,
          '0m',
          'critical',
          'A committer runs with COMMITTER_INSECURE=true: anyone who reaches its gRPC port can write every table (docs/security.md).',
        ),
        rule(
          'DeltaWriterCommitterCallsRefused',
          `sum by (reason) (increase(${m('deltawriter_committer_auth_refusals_total')}[10m])) > 0`,
          '0m',
          'warning',
          'The committer refused calls for their credential ({{ $labels.reason }}): a misconfigured ingestor, or someone probing (docs/security.md; runbook: Refused committer calls).',
        ),
        rule(
          'DeltaWriterPutIfAbsentNotEnforced',
          `sum(increase(${m('deltawriter_committer_put_if_absent_probes_total', 'result="refused"')}[1h])) > 0`,
          '0m',
          'critical',
          'A committer found that the object store does not enforce put-if-absent and refuses to lead (runbook: The committer refuses to lead).',
        ),
        rule(
          'DeltaWriterMaintenanceFailing',
          `sum by (kind) (increase(${m('deltawriter_committer_maintenance_runs_total', 'outcome="failed"')}[6h])) > 2`,
          '0m',
          'warning',
          'Maintenance ({{ $labels.kind }}) failed repeatedly (runbook: Compaction, checkpoints, vacuum).',
        ),
      ],
    },
  ];
  return `${JSON.stringify(groups, null, 2)}\n`;
}
