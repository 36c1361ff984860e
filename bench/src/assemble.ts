/** The report of a run from its figures: the ratios to the baselines, the standing notes, the settings. */
import type { BenchConfig } from './config.js';
import type { BenchReport, Figure, MachineFacts } from './report.js';

export function assembleReport(
  config: BenchConfig,
  machine: MachineFacts,
  figures: Figure[],
  notes: string[],
  durationMs: number,
): BenchReport {
  const ratios = config.ingestors.flatMap((n) => {
    const append = `Append throughput, ${n} ingestor${n > 1 ? 's' : ''}`;
    return [
      {
        name: `${append} / decode floor`,
        numerator: append,
        denominator: 'Decode floor (JSON.parse, 1 core)',
        goal: n === 1 ? { kind: 'min' as const, value: 0.5 } : undefined,
      },
      { name: `${append} / raw consumer`, numerator: append, denominator: 'Raw kafkajs consumer' },
      {
        name: `${append} / Python peer`,
        numerator: append,
        denominator: 'Peer throughput (Python deltalake writer)',
        goal: n === 1 ? { kind: 'min' as const, value: 1.5 } : undefined,
      },
    ];
  });
  notes.push(
    `Events: MongoDB orders (e2e generator), Debezium 2.7 legacy JSON without schemas, capture mode change_streams_update_full; inserts, partial updates, replaces and deletes (+ tombstones); a pool of ${config.pool} distinct events repeated.`,
    'Upsert figures "(committer path)" come from apps/committer/bench/mirror-upsert.ts (the committer mirror commit code with the key index in Redis, data on local files, no ingestor, no Kafka), timed over the committer’s steps (manifest rows, prepare, Delta commit, index move); writing each batch’s data file, which ingestors do in production, is timed apart and shown combined in "+ writing the batch file"; "(end to end)" is the whole pipeline in upsert mode. Loading a 1M-row table through the pipeline takes longer than a default run, so the 1M figure is the committer path only.',
    'Committer figures "(16 clients)" come from apps/committer/bench/run.ts (manifests of one unuploaded file each); "during append" are the real committer\'s counters over the append runs.',
  );
  return {
    machine,
    settings: {
      events: config.events,
      partitions: config.partitions,
      'distinct events': config.pool,
      'append ingestors': config.ingestors.join(', '),
      'latency rates': `${config.latencyRates.join(' and ')} events/s for ${config.latencySeconds} s, ${config.latencyIngestors} ingestors`,
      'upsert end to end': `${config.upsertE2eEvents} changes into a ${config.upsertE2eRows}-row mirror table`,
      'upsert table sizes (committer path)': config.upsertSizes.join(', '),
      'extra ingestor settings':
        Object.entries(config.ingestorEnv)
          .map(([k, v]) => `${k}=${v}`)
          .join(' ') || 'none',
    },
    figures,
    ratios: ratios.filter(
      (r) => figures.some((f) => f.name === r.numerator) && figures.some((f) => f.name === r.denominator),
    ),
    notes,
    durationMs,
  };
}
