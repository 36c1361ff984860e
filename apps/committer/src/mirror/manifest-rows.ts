/**
 * The mirror part of an upsert request: its row blocks (one per data file, inline Arrow IPC or a sidecar file), read
 * into the rows the planner works on. Checked once when the request arrives (shape, row counts, inline blocks) and
 * decoded once: the result is remembered per request object.
 */
import {
  type CommitRequest,
  type DataFile,
  type MirrorManifest,
  PartialUpdates,
  WriteMode,
} from '@delta-writer/proto';
import {
  decodeMirrorRows,
  MIRROR_ROWS_FORMAT,
  type MirrorRow,
  MirrorRowsError,
} from '@delta-writer/proto/mirror';
import { relativeDataKey } from '../service/paths.js';

const decoded = new WeakMap<CommitRequest, Map<string, MirrorRow[]>>();

/** Reads a sidecar block (path relative to the table root). */
export type SidecarReader = (relativePath: string) => Promise<Uint8Array>;

export function partialUpdatesName(p: PartialUpdates): 'skip' | 'apply' | undefined {
  return p === PartialUpdates.SKIP ? 'skip' : p === PartialUpdates.APPLY ? 'apply' : undefined;
}

/**
 * Problems with the mirror part of a request that make it invalid as sent (INVALID_REQUEST), or undefined. Inline
 * blocks are decoded here (and kept), so a malformed block is refused before it is queued.
 */
export function checkMirrorManifest(request: CommitRequest): string | undefined {
  const mirror = request.mirror;
  if (request.writeMode !== WriteMode.UPSERT) {
    return mirror ? 'mirror is set but write_mode is not UPSERT' : undefined;
  }
  if (!mirror) return 'mirror is required when write_mode is UPSERT';
  if (mirror.formatVersion !== MIRROR_ROWS_FORMAT)
    return `mirror.format_version ${mirror.formatVersion} is not supported (only ${MIRROR_ROWS_FORMAT})`;
  if (partialUpdatesName(mirror.partialUpdates) === undefined)
    return 'mirror.partial_updates must be SKIP or APPLY';
  const byPath = new Map(mirror.files.map((f, i) => [f.path, { f, i }]));
  if (byPath.size !== mirror.files.length) return 'mirror.files names a path twice';
  if (byPath.size !== request.files.length)
    return `mirror.files has ${byPath.size} entries for ${request.files.length} data files`;
  const rows = new Map<string, MirrorRow[]>();
  for (const file of request.files) {
    const entry = byPath.get(file.path);
    if (!entry) return `mirror.files has no entry for files path '${file.path}'`;
    const at = `mirror.files[${entry.i}]`;
    const block = entry.f.rows;
    if (!block) return `${at} has neither arrow_ipc nor sidecar_path`;
    if (block.$case === 'sidecarPath') {
      const sidecar = relativeDataKey(block.value);
      if (sidecar.problem !== undefined) return `${at}.sidecar_path ${sidecar.problem}`;
      continue;
    }
    try {
      const decodedRows = decodeMirrorRows(block.value);
      const problem = rowCountProblem(file, decodedRows, at);
      if (problem) return problem;
      rows.set(file.path, decodedRows);
    } catch (error) {
      if (error instanceof MirrorRowsError) return `${at}.arrow_ipc: ${error.message}`;
      throw error;
    }
  }
  decoded.set(request, rows);
  return undefined;
}

function rowCountProblem(file: DataFile, rows: readonly MirrorRow[], at: string): string | undefined {
  return rows.length === file.recordCount
    ? undefined
    : `${at} describes ${rows.length} rows but the data file has ${file.recordCount}`;
}

/** The rows of every data file of an upsert request, in file order (sidecars are read through `readSidecar`). */
export async function mirrorRowsOf(
  request: CommitRequest,
  readSidecar: SidecarReader,
): Promise<Map<string, MirrorRow[]>> {
  let rows = decoded.get(request);
  if (!rows) {
    const problem = checkMirrorManifest(request);
    if (problem) throw new MirrorRowsError(problem);
    rows = decoded.get(request) as Map<string, MirrorRow[]>;
  }
  const mirror = request.mirror as MirrorManifest;
  for (const [i, f] of mirror.files.entries()) {
    if (rows.has(f.path) || f.rows?.$case !== 'sidecarPath') continue;
    const file = request.files.find((d) => d.path === f.path) as DataFile;
    const fromSidecar = decodeMirrorRows(await readSidecar(f.rows.value));
    const problem = rowCountProblem(file, fromSidecar, `mirror.files[${i}] (sidecar)`);
    if (problem) throw new MirrorRowsError(problem);
    rows.set(f.path, fromSidecar);
  }
  return rows;
}
