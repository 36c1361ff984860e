import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** tools/readers: the Python scripts live beside src/ and dist/. */
export const PACKAGE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const REPO_ROOT = resolve(PACKAGE_DIR, '..', '..');
const ENV_FILE = join(REPO_ROOT, '.data', 'readers.env');

export interface ReadersEnv {
  python: string;
  /** Environment for the Python processes: the caller's, plus DW_* from .data/readers.env when unset. */
  env: NodeJS.ProcessEnv;
}

export class ReadersNotSetUpError extends Error {
  override name = 'ReadersNotSetUpError';
}

/**
 * Finds the readers' Python: DW_PYTHON from the environment, else the line setup.sh wrote to
 * <repo>/.data/readers.env, so a test run right after `bash tools/readers/setup.sh` needs no exports.
 */
export function readersEnv(base: NodeJS.ProcessEnv = process.env, envFile = ENV_FILE): ReadersEnv {
  const env: NodeJS.ProcessEnv = { ...readEnvFile(envFile), ...base };
  const python = env.DW_PYTHON;
  if (!python) {
    throw new ReadersNotSetUpError(
      'DW_PYTHON is not set: run `bash tools/readers/setup.sh` (it writes .data/readers.env) to set up the delta-rs and Spark readers',
    );
  }
  if (!existsSync(python)) {
    throw new ReadersNotSetUpError(
      `DW_PYTHON=${python} does not exist: run \`bash tools/readers/setup.sh\` to set up the delta-rs and Spark readers`,
    );
  }
  return { python, env };
}

function readEnvFile(file: string): Record<string, string> {
  if (!existsSync(file)) return {};
  const entries: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const match = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (match?.[1] && match[2] !== undefined) entries[match[1]] = match[2];
  }
  return entries;
}
