/**
 * Reads a Delta table on the stack's S3 with delta-rs (tools/readers/read_table.py, the team's independent reader),
 * rows in the readers' JSON value encoding. Needs `bash tools/readers/setup.sh` (DW_PYTHON, from the environment or
 * `.data/readers.env`); without it, one line saying so.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { repoRoot } from './paths.js';
import type { stackEnv } from './stack.js';

export interface DeltaRsRead {
  version: number;
  /** The table's Delta schema as delta-rs reports it. */
  schema: { fields: { name: string; type: unknown }[] };
  numRows: number;
  rows: Record<string, unknown>[];
}

function python(): string {
  const file = join(repoRoot, '.data', 'readers.env');
  const py = process.env.DW_PYTHON || (existsSync(file) && parseEnv(readFileSync(file, 'utf8')).DW_PYTHON);
  if (!py || !existsSync(py))
    throw new Error('DW_PYTHON is not set up: run `bash tools/readers/setup.sh` (delta-rs reader)');
  return py;
}

/** `where`: only the rows matching this SQL predicate, which delta-rs evaluates after skipping files by stats. */
export function readWithDeltaRs(
  uri: string,
  env: ReturnType<typeof stackEnv>,
  o: { where?: string } = {},
): Promise<DeltaRsRead> {
  const script = join(repoRoot, 'tools', 'readers', 'read_table.py');
  return new Promise((resolve, reject) => {
    execFile(
      python(),
      [script, '--engine', 'delta-rs', uri, ...(o.where ? ['--where', o.where] : [])],
      { env: { ...process.env, ...env }, maxBuffer: 256 << 20, timeout: 120_000 },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`delta-rs read of ${uri} failed: ${err.message}\n${stderr.slice(-3000)}`));
        else resolve(JSON.parse(stdout) as DeltaRsRead);
      },
    );
  });
}
