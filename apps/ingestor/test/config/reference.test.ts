/** The ingestor's configuration reference: every variable documented, and the README's copy current. */
import { readFileSync } from 'node:fs';
import { renderConfigReference, spliceReference } from '@delta-writer/service-kit';
import { describe, expect, it } from 'vitest';
import { EnvSchema } from '../../src/config/schema.js';

describe('configuration reference', () => {
  it('documents every variable of the schema', () => {
    const reference = renderConfigReference(EnvSchema);
    const cells = (name: string) =>
      reference
        .split('\n')
        .find((line) => line.startsWith(`| \`${name}\` `))
        ?.split(' | ')
        .map((c) => c.trim());
    for (const name of Object.keys(EnvSchema.shape)) expect(cells(name)).toBeDefined();
    expect(cells('METRICS_PORT')?.slice(1, 3)).toEqual(['integer', '`8001`']);
    expect(cells('KAFKA_BOOTSTRAP_SERVERS')?.slice(1, 3)).toEqual(['host:port[,host:port…]', '**required**']);
    expect(cells('COMMITTER_TOKEN')?.[3]).toContain('never logged');
  });

  it('is up to date in the README (run `pnpm docs:config` after changing the schema)', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    expect(spliceReference(readme, renderConfigReference(EnvSchema))).toBe(readme);
  });
});
