/**
 * `@delta-writer/delta-log/files` stays pure: an encoder thread imports it without the storage, the log or the
 * Parquet engine. The test follows every static import from the entry through the package's own modules and lists
 * the packages they reach; anything beyond Arrow (node: modules, the S3 client, parquet-wasm, immutable) fails it.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../src');
const SPECIFIER = /^\s*(?:import|export)\s[^;]*?from\s+'([^']+)'|^\s*import\s+'([^']+)'/gm;

/** The package's modules an entry loads at run time, and the packages outside it they import. */
function reach(entry: string): { modules: Set<string>; packages: Set<string> } {
  const modules = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (modules.has(file)) return;
    modules.add(file);
    for (const m of readFileSync(file, 'utf8').matchAll(SPECIFIER)) {
      // `import type` / `export type` are erased: they load nothing.
      if (/^\s*(?:import|export)\s+type\s/.test(m[0])) continue;
      const specifier = (m[1] ?? m[2]) as string;
      if (specifier.startsWith('.')) visit(resolve(dirname(file), specifier.replace(/\.js$/, '.ts')));
      else packages.add(specifier);
    }
  };
  visit(resolve(SRC, entry));
  return { modules, packages };
}

describe('the files entry', () => {
  it('loads no package but Arrow, and none of the I/O, log or Parquet modules', () => {
    const { modules, packages } = reach('files/index.ts');
    expect([...packages].sort()).toEqual(['apache-arrow']);
    const loaded = [...modules].map((m) => m.slice(SRC.length + 1));
    const io = [
      'storage/',
      'log/',
      'checkpoint/',
      'maintenance/',
      'write/',
      'parquet.ts',
      'snapshot.ts',
      'table.ts',
    ];
    expect(loaded.filter((m) => io.some((prefix) => m.startsWith(prefix)))).toEqual([]);
  });

  it('is told apart from the main entry, which does load the storage and the Parquet engine', () => {
    // The walk itself could fail: the main entry reaches what the files entry must not.
    const { packages } = reach('index.ts');
    expect(packages).toContain('parquet-wasm');
    expect(packages).toContain('@aws-sdk/client-s3');
  });
});
