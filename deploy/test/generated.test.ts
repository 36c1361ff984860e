/**
 * What is generated from the apps' configuration schemas is current, and the chart's values name every variable of
 * both schemas exactly once: as a config value, a Secret key, or a variable the chart sets itself.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { EnvSchema as CommitterEnv } from '../../apps/committer/src/config/schema.js';
import { EnvSchema as IngestorEnv } from '../../apps/ingestor/src/config/schema.js';
import { MANAGED } from '../scripts/config-model.js';
import { outputs, VALUES_END, VALUES_START } from '../scripts/generate.js';

const root = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));
const read = (path: string) => readFileSync(root(path), 'utf8');
const schemaNames = {
  committer: Object.keys(CommitterEnv.shape).sort(),
  ingestor: Object.keys(IngestorEnv.shape).sort(),
};

/** Keys of the generated values block: `config.<group>.<NAME>` and `secrets.values.<NAME>`, by indentation. */
function generatedValueKeys(values: string): Map<string, string[]> {
  const block = values.slice(values.indexOf(VALUES_START), values.indexOf(VALUES_END));
  const keys = new Map<string, string[]>();
  const path: string[] = [];
  for (const line of block.split('\n')) {
    const m = /^( *)([A-Za-z_][A-Za-z0-9_]*):/.exec(line);
    if (!m || line.trimStart().startsWith('#')) continue;
    const depth = (m[1] ?? '').length / 2;
    path.length = depth;
    path.push(m[2] ?? '');
    if (depth === 2) {
      const group = path.slice(0, 2).join('.');
      keys.set(group, [...(keys.get(group) ?? []), m[2] ?? '']);
    }
  }
  return keys;
}

describe('generated from the configuration schemas', () => {
  it('every generated file is current (regenerate: node --import tsx deploy/scripts/generate.ts)', async () => {
    for (const [path, text] of await outputs()) expect(read(path), path).toBe(text);
  });

  it('docs/configuration.md: every table row has as many cells as its header (enum values stay in one cell)', () => {
    const cells = (line: string) => line.replace(/\\\|/g, '').split('|').length;
    let header = 0;
    let rows = 0;
    for (const line of read('docs/configuration.md').split('\n')) {
      if (!line.startsWith('|')) {
        header = 0;
        continue;
      }
      if (header === 0) header = cells(line);
      else {
        expect(cells(line), line.slice(0, 80)).toBe(header);
        rows++;
      }
    }
    expect(rows).toBeGreaterThan(50);
    expect(read('docs/configuration.md')).toContain('| `KAFKA_AUTO_OFFSET_RESET` ');
    expect(read('docs/configuration.md')).toMatch(/`earliest` \\\| `latest` +\|/);
  });

  it('the chart wires every variable of each app: config, Secret or set by the chart — and nothing else', () => {
    const vars = JSON.parse(read('deploy/helm/delta-writer/files/variables.json')) as Record<
      string,
      { config: string[]; secret: string[]; managed: string[] }
    >;
    for (const app of ['committer', 'ingestor'] as const) {
      const v = vars[app];
      if (!v) throw new Error(`variables.json has no ${app}`);
      const wired = [...v.config, ...v.secret, ...v.managed];
      expect(new Set(wired).size, `${app}: a variable wired twice`).toBe(wired.length);
      expect([...wired].sort(), app).toEqual(schemaNames[app]);
    }
  });

  it('values.yaml offers each config and secret variable under the key the docs name', () => {
    const keys = generatedValueKeys(read('deploy/helm/delta-writer/values.yaml'));
    const shared = keys.get('config.shared') ?? [];
    const secret = keys.get('secrets.values') ?? [];
    for (const app of ['committer', 'ingestor'] as const) {
      const offered = new Set([...shared, ...(keys.get(`config.${app}`) ?? []), ...secret]);
      const missing = schemaNames[app].filter((n) => !offered.has(n) && !(n in MANAGED));
      expect(missing, `${app} variables missing from values.yaml`).toEqual([]);
    }
    const everyName = new Set([...schemaNames.committer, ...schemaNames.ingestor]);
    const unknown = [...keys.values()].flat().filter((n) => !everyName.has(n));
    expect(unknown, 'values.yaml keys that no schema defines').toEqual([]);
    // shared means both apps read it with the same meaning; everything secret stays out of ConfigMaps
    for (const name of shared) {
      expect(schemaNames.committer).toContain(name);
      expect(schemaNames.ingestor).toContain(name);
    }
    for (const [name, schema] of [
      ...Object.entries(CommitterEnv.shape),
      ...Object.entries(IngestorEnv.shape),
    ] as [string, { meta(): { secret?: boolean } | undefined }][]) {
      if (schema.meta()?.secret) expect(secret, `${name} is secret`).toContain(name);
    }
  });

  it('docs/configuration.md documents every variable of both apps', () => {
    const doc = read('docs/configuration.md');
    for (const name of new Set([...schemaNames.committer, ...schemaNames.ingestor]))
      expect(doc).toContain(`| \`${name}\``);
  });
});
