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

const chartFile = (path: string) =>
  readFileSync(fileURLToPath(new URL(`../helm/delta-writer/${path}`, import.meta.url)), 'utf8');
const dashboard = chartFile('dashboards/delta-writer.json');
const alerts = chartFile('files/alerts.json');

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

  it('alerts query only metrics the apps export, scoped to the release namespace', async () => {
    const types = await exported();
    expect(metricNames(alerts).filter((name) => !types.has(name))).toEqual([]);
    const rules = (JSON.parse(alerts) as { rules: { alert: string; expr: string }[] }[]).flatMap(
      (g) => g.rules,
    );
    expect(rules.length).toBeGreaterThan(5);
    for (const r of rules) {
      for (const m of r.expr.matchAll(/\b(?:dw_ingestor|deltawriter_committer)_[a-z0-9_]+(\{[^}]*\})?/g))
        expect(m[1], `${r.alert}: ${m[0]}`).toContain('namespace="__RELEASE_NAMESPACE__"');
    }
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
