/**
 * Checks a CommitRequest on its own, before it is queued: anything wrong here is the sender's bug or configuration
 * and is refused with INVALID_REQUEST naming the field. Offsets against the table are checked later, in the batch.
 */
import { type CommitRequest, WriteMode } from '@delta-writer/proto';
import { checkMirrorManifest } from '../mirror/manifest-rows.js';
import { validateRanges } from '../plan/offsets.js';
import { relativeDataKey, tableUriProblem } from './paths.js';

/** Returns a message naming the problem, or undefined when the request is well-formed. */
export function validateCommitRequest(request: CommitRequest, tableRootUri: string): string | undefined {
  const table = request.table;
  if (!table) return 'table is required';
  if (!table.routingKey) return 'table.routing_key is empty';
  const uriProblem = tableUriProblem(table.tableUri, tableRootUri);
  if (uriProblem) return `table.table_uri ${uriProblem}`;
  if (!request.idempotencyId) return 'idempotency_id is empty';
  if (request.writeMode !== WriteMode.APPEND && request.writeMode !== WriteMode.UPSERT) {
    return `write_mode ${WriteMode[request.writeMode] ?? request.writeMode} is not supported (APPEND or UPSERT)`;
  }
  // A manifest without files only advances offsets; ingestors send it without a schema.
  if (request.files.length > 0 || request.deltaSchemaJson !== '') {
    const schemaProblem = checkSchemaJson(request.deltaSchemaJson);
    if (schemaProblem) return `delta_schema_json ${schemaProblem}`;
  }
  if (new Set(request.partitionColumns).size !== request.partitionColumns.length) {
    return 'partition_columns has a column twice';
  }
  // Two spellings of one object (`a%20b`, `a b`) are the same file to a reader.
  const keys = new Set<string>();
  for (const [i, file] of request.files.entries()) {
    const problem = checkFile(file, request.partitionColumns);
    if (problem) return `files[${i}]${problem.startsWith('.') ? '' : ' '}${problem}`;
    const key = (relativeDataKey(file.path) as { key: string }).key;
    if (keys.has(key)) return `files[${i}].path '${file.path}' names a file twice`;
    keys.add(key);
  }
  return validateRanges(request.sourceRanges) ?? checkMirrorManifest(request);
}

function checkSchemaJson(json: string): string | undefined {
  try {
    const schema = JSON.parse(json) as { type?: unknown; fields?: unknown };
    return schema?.type === 'struct' && Array.isArray(schema.fields)
      ? undefined
      : 'is not a Delta struct type';
  } catch {
    return 'is not valid JSON';
  }
}

function checkFile(
  file: CommitRequest['files'][number],
  partitionColumns: readonly string[],
): string | undefined {
  // Relative to the table root and inside it, as written and as readers decode it.
  const path = relativeDataKey(file.path);
  if (path.problem !== undefined) return `.path ${path.problem}`;
  for (const [name, n] of [
    ['size_bytes', file.sizeBytes],
    ['record_count', file.recordCount],
  ] as const) {
    if (!Number.isSafeInteger(n) || n < 0) return `.${name} ${n} is out of range`;
  }
  const columns = file.partitionValues.map((v) => v.column);
  if (columns.length !== partitionColumns.length || !partitionColumns.every((c) => columns.includes(c))) {
    return `.partition_values [${columns.join(', ')}] do not match partition_columns [${partitionColumns.join(', ')}]`;
  }
  if (file.statsJson) {
    try {
      JSON.parse(file.statsJson);
    } catch {
      return '.stats_json is not valid JSON';
    }
  }
  return undefined;
}
