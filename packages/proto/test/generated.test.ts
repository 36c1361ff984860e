import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const packageRoot = join(import.meta.dirname, '..');
const bin = (name: string) => join(packageRoot, 'node_modules', '.bin', name);

function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

// The generated code is committed (consumers need no generate step); this keeps it equal to what the pinned buf
// and ts-proto produce from the .proto files.
describe('generated code', () => {
  it('is what `pnpm generate` produces from proto/', () => {
    const out = mkdtempSync(join(tmpdir(), 'dw-proto-gen-'));
    try {
      execFileSync(bin('buf'), ['generate', 'proto', '--template', 'proto/buf.gen.yaml', '-o', out], {
        cwd: packageRoot,
        env: { ...process.env, PATH: `${join(packageRoot, 'node_modules', '.bin')}:${process.env.PATH}` },
        stdio: 'pipe',
      });
      const committed = join(packageRoot, 'src', 'gen');
      const fresh = join(out, 'src', 'gen');
      expect(files(fresh)).toEqual(files(committed));
      for (const f of files(fresh)) {
        expect(readFileSync(join(fresh, f), 'utf8'), `src/gen/${f} is stale: run pnpm generate`).toBe(
          readFileSync(join(committed, f), 'utf8'),
        );
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('passes buf lint', () => {
    execFileSync(bin('buf'), ['lint', 'proto'], { cwd: packageRoot, stdio: 'pipe' });
  });
});
