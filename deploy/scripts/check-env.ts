/**
 * Runs each app's real configuration loader over environments that deployments produce (the Compose services,
 * the rendered Helm manifests), so a value the app would refuse at start fails CI instead. Used by the Go tests in
 * deploy/tools; reads JSON `[{ "name": "...", "app": "committer" | "ingestor", "env": { ... } }]` on stdin and
 * prints one line per workload; exit 1 if any is refused.
 *
 * Files are not read: the committer's loader takes a stub for its TLS files; the ingestor reads its CA files itself,
 * so those two path variables are left out (the chart mounts them; the Go tests check the mounts).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig as loadCommitter } from '../../apps/committer/src/config/load.js';
import { loadConfig as loadIngestor } from '../../apps/ingestor/src/config/load.js';

interface Workload {
  readonly name: string;
  readonly app: 'committer' | 'ingestor';
  readonly env: Record<string, string>;
}

const INGESTOR_FILES = [
  'KAFKA_SSL_CA_FILE',
  'COMMITTER_TLS_CA_FILE',
  'COMMITTER_TLS_CERT_FILE',
  'COMMITTER_TLS_KEY_FILE',
];

function check(w: Workload, emptyDir: string): string | undefined {
  try {
    if (w.app === 'committer') {
      loadCommitter({
        env: w.env,
        cwd: emptyDir,
        readFile: () => Buffer.from('-----BEGIN CERTIFICATE-----\n'),
      });
    } else {
      const env = Object.fromEntries(Object.entries(w.env).filter(([k]) => !INGESTOR_FILES.includes(k)));
      loadIngestor({ env, cwd: emptyDir });
    }
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

const workloads = JSON.parse(readFileSync(0, 'utf8')) as Workload[];
const emptyDir = mkdtempSync(join(tmpdir(), 'dw-check-env-'));
let failed = 0;
for (const w of workloads) {
  const problem = check(w, emptyDir);
  if (problem) failed++;
  console.log(`${problem ? 'REFUSED' : 'ok'} ${w.name} (${w.app})${problem ? `: ${problem}` : ''}`);
}
process.exit(failed > 0 ? 1 : 0);
