/**
 * Every series the Grafana dashboard queries exists in the apps' metric registries (the real `createMetrics` of
 * each app, default process metrics included), so a renamed metric cannot leave a panel silently empty.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createMetrics as committerMetrics } from '../../apps/committer/src/ops/metrics.js';
import { createMetrics as ingestorMetrics } from '../../apps/ingestor/src/ops/metrics.js';
import { metricNames } from '../scripts/dashboard.js';

const dashboard = readFileSync(
  fileURLToPath(new URL('../helm/delta-writer/dashboards/delta-writer.json', import.meta.url)),
  'utf8',
);

async function exported(): Promise<Map<string, string>> {
  const types = new Map<string, string>();
  for (const registry of [committerMetrics().registry, ingestorMetrics().registry]) {
    for (const m of await registry.getMetricsAsJSON()) types.set(m.name, String(m.type));
  }
  return types;
}

describe('Grafana dashboard', () => {
  it('queries only metrics the apps export (histogram series by their base name)', async () => {
    const types = await exported();
    const unknown = metricNames(dashboard).filter((name) => {
      if (types.has(name)) return false;
      const base = name.replace(/_(bucket|sum|count)$/, '');
      return !(base !== name && types.get(base) === 'histogram');
    });
    expect(unknown).toEqual([]);
  });

  it('covers both apps, including leadership, lag, dead letters and maintenance', () => {
    const names = metricNames(dashboard);
    for (const needed of [
      'deltawriter_committer_lease_leader',
      'dw_ingestor_committed_lag',
      'dw_ingestor_dlq_records_total',
      'deltawriter_committer_maintenance_runs_total',
      'dw_ingestor_process_resident_memory_bytes',
    ])
      expect(names).toContain(needed);
  });

  it('is valid JSON with unique panel ids and a datasource variable', () => {
    const parsed = JSON.parse(dashboard) as {
      panels: { id: number }[];
      templating: { list: { name: string }[] };
    };
    const ids = parsed.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(parsed.templating.list.map((v) => v.name)).toContain('datasource');
  });
});
