/**
 * What the committer checks in object storage before it trusts a manifest or the store itself:
 * - every data file a manifest adds exists with the size it states (a missing file makes every scan of the table
 *   fail; a wrong size corrupts readers that trust `add.size`), with HEADs in parallel, one round trip per batch;
 * - a new table is neither inside another table (whose vacuum would delete its files) nor around one;
 * - the store enforces put-if-absent: a second conditional PUT of a key must be refused (412). Every exactly-once
 *   argument of the committer rests on that; a server that ignores `If-None-Match: *` lets two writers overwrite a
 *   version silently.
 */
import { randomUUID } from 'node:crypto';
import type { Storage } from '@delta-writer/delta-log';
import type { DataFile } from '@delta-writer/proto';
import { relativeDataKey } from '../service/paths.js';

/** HEAD requests in flight per manifest. */
export const FILE_CHECK_CONCURRENCY = 16;

/** Objects that may already be under a new table's location (its first files, retried uploads) before creation. */
export const MAX_OBJECTS_BEFORE_CREATION = 10_000;

const LOG_DIR = '_delta_log';

/** The first data file that is missing or has another size than stated, as a message; undefined when all are fine. */
export async function dataFilesProblem(
  storage: Storage,
  tablePath: string,
  files: readonly DataFile[],
): Promise<string | undefined> {
  const problems = new Array<string | undefined>(files.length);
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const i = next++;
      const file = files[i] as DataFile;
      const decoded = relativeDataKey(file.path);
      if (decoded.problem !== undefined) {
        problems[i] = `files[${i}].path ${decoded.problem}`;
        continue;
      }
      const key = `${tablePath}/${decoded.key}`;
      const meta = await storage.head(key);
      if (!meta) problems[i] = `files[${i}].path '${file.path}' does not exist in storage (key ${key})`;
      else if (meta.size !== file.sizeBytes)
        problems[i] =
          `files[${i}].path '${file.path}' is ${meta.size} bytes in storage but size_bytes says ${file.sizeBytes}`;
    }
  };
  await Promise.all(Array.from({ length: Math.min(FILE_CHECK_CONCURRENCY, files.length) }, worker));
  return problems.find((p) => p !== undefined);
}

/**
 * Why a table may not be created at `tablePath` (a key prefix, no trailing slash), or undefined: a `_delta_log/`
 * at any folder above it (it would be inside a table) or at any folder below it (it would hold a table). Run only
 * when a table is created, so its cost — one LIST per ancestor, one bounded recursive LIST — is paid once per table.
 */
export async function tableLocationProblem(storage: Storage, tablePath: string): Promise<string | undefined> {
  const segments = tablePath.split('/');
  const ancestors = segments.slice(0, -1).map((_, i) => segments.slice(0, i + 1).join('/'));
  ancestors.unshift('');
  const enclosing = await Promise.all(
    ancestors.map(async (a) => {
      const found = await storage.list(`${a ? `${a}/` : ''}${LOG_DIR}/`, { limit: 1 });
      return found.length > 0 ? a : undefined;
    }),
  );
  const outer = enclosing.find((a) => a !== undefined);
  if (outer !== undefined) {
    return `a table already exists at ${locationOf(storage, outer)}, around ${locationOf(storage, tablePath)}: a table inside another table's folder would have its files deleted by the outer table's vacuum`;
  }
  const inside = await storage.list(`${tablePath}/`, {
    recursive: true,
    limit: MAX_OBJECTS_BEFORE_CREATION + 1,
  });
  for (const meta of inside) {
    const rest = meta.path.slice(tablePath.length + 1).split('/');
    const at = rest.indexOf(LOG_DIR);
    if (at > 0) {
      const inner = `${tablePath}/${rest.slice(0, at).join('/')}`;
      return `a table already exists at ${locationOf(storage, inner)}, inside ${locationOf(storage, tablePath)}: the new table's vacuum would delete its files`;
    }
  }
  if (inside.length > MAX_OBJECTS_BEFORE_CREATION) {
    return `more than ${MAX_OBJECTS_BEFORE_CREATION} objects are already under ${locationOf(storage, tablePath)}/ before its first commit: a new table starts at a location that holds at most its first files`;
  }
  return undefined;
}

export type ProbeResult =
  | { readonly ok: true; readonly key: string }
  | { readonly ok: false; readonly key: string; readonly reason: string };

/**
 * Writes a probe object twice with put-if-absent under `folder`: the first write must succeed and the second must
 * be refused (S3: 412 Precondition Failed). Storage errors (the store unreachable) are thrown, not reported as a
 * failed probe: only a store that answered wrongly is one that cannot be trusted. The probe object is deleted after.
 */
export async function probePutIfAbsent(storage: Storage, folder: string, name: string): Promise<ProbeResult> {
  const key = `${folder}/${name.replace(/[^A-Za-z0-9._-]/g, '_')}-${randomUUID()}`;
  const first = new TextEncoder().encode(`{"probe":"first","key":"${key}"}`);
  const second = new TextEncoder().encode(`{"probe":"second","key":"${key}"}`);
  try {
    if (!(await storage.putIfAbsent(key, first))) {
      return {
        ok: false,
        key,
        reason: `the first conditional PUT of a new key ${key} was refused as if the key existed`,
      };
    }
    if (await storage.putIfAbsent(key, second)) {
      return {
        ok: false,
        key,
        reason: `a second PUT with If-None-Match: * of ${key} succeeded (the store should have answered 412 Precondition Failed): it does not enforce put-if-absent, so two committers could overwrite the same Delta version`,
      };
    }
    return { ok: true, key };
  } finally {
    await storage.delete(key).catch(() => undefined);
  }
}

function locationOf(storage: Storage, path: string): string {
  return `${storage.location.replace(/\/+$/, '')}/${path}`.replace(/\/+$/, '');
}
