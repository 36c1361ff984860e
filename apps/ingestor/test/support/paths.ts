import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root; shared material lives next to it at `../shared`. */
export const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
export const sharedDir = join(repoRoot, '..', 'shared');

/** Extracts a Delta golden table from `../shared/conformance/delta-golden` into a fresh temporary directory. */
export function extractGoldenTable(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `golden-${name}-`));
  execFileSync('tar', [
    '--zstd',
    '-xf',
    join(sharedDir, 'conformance', 'delta-golden', `${name}.tar.zst`),
    '-C',
    dir,
  ]);
  return join(dir, name, 'delta');
}
