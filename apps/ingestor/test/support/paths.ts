import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
/** The repository's test data (see testdata/README.md). */
export const testdataDir = join(repoRoot, 'testdata');

/** Extracts a Delta golden table from `testdata/delta-golden` into a fresh temporary directory. */
export function extractGoldenTable(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `golden-${name}-`));
  execFileSync('tar', ['--zstd', '-xf', join(testdataDir, 'delta-golden', `${name}.tar.zst`), '-C', dir]);
  return join(dir, name, 'delta');
}
