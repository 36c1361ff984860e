import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** Logs of the processes a test run starts: `.data/e2e/<run>/<name>.log` (gitignored, kept after the run). */
export function logDir(run: string): string {
  const dir = join(REPO_ROOT, '.data', 'e2e', run);
  mkdirSync(dir, { recursive: true });
  return dir;
}

export type App = 'committer' | 'ingestor';

/**
 * The built entry point of an app. The suite runs what users run (`node dist/main.js`), so a missing build is an
 * error with the command that fixes it, and a build older than its sources is named on stderr once.
 */
export function entryPoint(app: App): string {
  const main = join(REPO_ROOT, 'apps', app, 'dist', 'main.js');
  if (!existsSync(main)) {
    throw new Error(`apps/${app}/dist/main.js is missing: build first with './dw pnpm turbo run build'`);
  }
  if (!warned.has(app) && newestMtime(join(REPO_ROOT, 'apps', app, 'src')) > statSync(main).mtimeMs) {
    warned.add(app);
    process.stderr.write(
      `e2e: apps/${app}/dist is older than its sources; rebuild with './dw pnpm turbo run build'\n`,
    );
  }
  return main;
}
const warned = new Set<App>();

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}
