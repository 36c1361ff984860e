/**
 * The Grafana dashboard (deploy/helm/delta-writer/dashboards/delta-writer.json), built from code so panels stay
 * uniform; `generate.ts` writes it and `--check` keeps it fresh. Every series it queries must exist in the apps'
 * metric registries: deploy/test/dashboard.test.ts checks each metric name against them.
 */

import { DATASOURCE, ROWS } from './dashboard-panels.js';

export function renderDashboard(): string {
  const panels: unknown[] = [];
  let id = 1;
  let y = 0;
  for (const row of ROWS) {
    panels.push({
      id: id++,
      type: 'row',
      title: row.title,
      collapsed: false,
      gridPos: { h: 1, w: 24, x: 0, y },
    });
    y += 1;
    row.panels.forEach((p, i) => {
      const x = (i % 3) * 8;
      if (i > 0 && i % 3 === 0) y += 8;
      panels.push({
        id: id++,
        type: p.kind ?? 'timeseries',
        title: p.title,
        description: p.description,
        datasource: DATASOURCE,
        gridPos: { h: 8, w: 8, x, y },
        fieldConfig: { defaults: { unit: p.unit }, overrides: [] },
        options: p.kind === 'stat' ? { reduceOptions: { calcs: ['lastNotNull'] }, colorMode: 'value' } : {},
        targets: p.targets.map((t, j) => ({
          refId: String.fromCharCode(65 + j),
          datasource: DATASOURCE,
          expr: t.expr,
          legendFormat: t.legend,
        })),
      });
    });
    y += 8;
  }
  const dashboard = {
    title: 'Delta Writer',
    uid: 'delta-writer',
    description:
      'Ingestors and committers of Delta Writer (metrics: apps/ingestor and apps/committer READMEs).',
    tags: ['delta-writer', 'kafka', 'delta-lake'],
    editable: true,
    schemaVersion: 39,
    version: 1,
    time: { from: 'now-3h', to: 'now' },
    refresh: '30s',
    templating: {
      list: [
        { name: 'datasource', label: 'Prometheus', type: 'datasource', query: 'prometheus' },
        {
          name: 'namespace',
          label: 'Namespace',
          type: 'query',
          datasource: DATASOURCE,
          query: 'label_values(dw_ingestor_assigned_partitions, namespace)',
          includeAll: true,
          allValue: '.*',
          multi: false,
          refresh: 2,
        },
      ],
    },
    panels,
  };
  return `${JSON.stringify(dashboard, null, 2)}\n`;
}

/** Every metric name a dashboard expression refers to (histogram suffixes kept: the test maps them). */
export function metricNames(dashboardJson: string): string[] {
  const names = new Set<string>();
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) {
        if ((key === 'expr' || key === 'query') && typeof value === 'string') {
          for (const m of value.matchAll(/\b(?:dw_ingestor|deltawriter_committer)_[a-z0-9_]+/g))
            names.add(m[0]);
        } else walk(value);
      }
    }
  };
  walk(JSON.parse(dashboardJson));
  return [...names].sort();
}
