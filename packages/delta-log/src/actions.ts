/**
 * The Delta log's action model, in exactly the JSON shape the protocol writes: one action per line,
 * `{"add": {...}}`, `{"metaData": {...}}`, ... Keeping the wire shape as the in-memory shape means
 * serializing a commit is one `stringifyJson` and nothing is lost for fields we do not model. Numbers are
 * parsed exactly (util/json.ts): an integer beyond ±2^53 is a `bigint`, so it is written back as it was.
 */
import { InvalidTableError } from './errors.js';
import { parseJson, stringifyJson } from './util/json.js';

/** Partition values and tags: strings, with `null` meaning SQL NULL. */
export type StringMap = Record<string, string | null>;

export interface DeletionVectorDescriptor {
  /** `u` relative (UUID-named) file, `p` absolute path, `i` inline Z85 bytes. */
  storageType: 'u' | 'p' | 'i';
  pathOrInlineDv: string;
  /** Byte offset of the bitmap in a `u`/`p` file (absent for inline vectors). */
  offset?: number;
  sizeInBytes: number;
  /** Number of deleted rows. */
  cardinality: number;
  maxRowIndex?: number;
}

export interface AddFile {
  /** URI-encoded path, relative to the table root or absolute. */
  path: string;
  partitionValues: StringMap;
  size: number;
  modificationTime: number;
  dataChange: boolean;
  /** JSON-encoded statistics (see `FileStats`). */
  stats?: string;
  tags?: StringMap;
  deletionVector?: DeletionVectorDescriptor;
  baseRowId?: number;
  defaultRowCommitVersion?: number;
  clusteringProvider?: string;
}

export interface RemoveFile {
  path: string;
  deletionTimestamp?: number;
  dataChange: boolean;
  extendedFileMetadata?: boolean;
  partitionValues?: StringMap;
  size?: number;
  stats?: string;
  tags?: StringMap;
  deletionVector?: DeletionVectorDescriptor;
  baseRowId?: number;
  defaultRowCommitVersion?: number;
}

export interface AddCdcFile {
  path: string;
  partitionValues: StringMap;
  size: number;
  dataChange: boolean;
  tags?: StringMap;
}

export interface Format {
  provider: string;
  options: Record<string, string>;
}

export interface Metadata {
  id: string;
  name?: string | null;
  description?: string | null;
  format: Format;
  schemaString: string;
  partitionColumns: string[];
  createdTime?: number | null;
  configuration: Record<string, string>;
}

export interface Protocol {
  minReaderVersion: number;
  minWriterVersion: number;
  readerFeatures?: string[];
  writerFeatures?: string[];
}

/** Application transaction watermark: the basis of exactly-once writes. */
export interface Txn {
  appId: string;
  /** Application-defined; another writer's version beyond ±2^53 is kept exactly, as a bigint. */
  version: number | bigint;
  lastUpdated?: number;
}

/** Free-form provenance; `inCommitTimestamp` when the inCommitTimestamp feature is on. */
export interface CommitInfo {
  timestamp?: number;
  inCommitTimestamp?: number;
  operation?: string;
  operationParameters?: Record<string, unknown>;
  readVersion?: number;
  isolationLevel?: string;
  isBlindAppend?: boolean;
  engineInfo?: string;
  txnId?: string;
  [key: string]: unknown;
}

export interface DomainMetadata {
  domain: string;
  configuration: string;
  removed: boolean;
}

export interface Sidecar {
  path: string;
  sizeInBytes: number;
  modificationTime: number;
  tags?: StringMap;
}

export interface CheckpointMetadata {
  version: number;
  tags?: StringMap;
}

export type Action =
  | { add: AddFile }
  | { remove: RemoveFile }
  | { cdc: AddCdcFile }
  | { metaData: Metadata }
  | { protocol: Protocol }
  | { txn: Txn }
  | { commitInfo: CommitInfo }
  | { domainMetadata: DomainMetadata }
  | { sidecar: Sidecar }
  | { checkpointMetadata: CheckpointMetadata };

/** The action kinds, in the order a commit file lists them when we write one. */
export const ACTION_KINDS = [
  'commitInfo',
  'protocol',
  'metaData',
  'domainMetadata',
  'txn',
  'remove',
  'add',
  'cdc',
  'sidecar',
  'checkpointMetadata',
] as const;
export type ActionKind = (typeof ACTION_KINDS)[number];

export function actionKind(action: Action): ActionKind {
  for (const key in action) {
    if ((ACTION_KINDS as readonly string[]).includes(key)) return key as ActionKind;
  }
  throw new InvalidTableError(`not a Delta action: ${stringifyJson(action).slice(0, 200)}`);
}

/** The deletion vector's identity within a file key: `storageType + pathOrInlineDv [+ '@' + offset]`. */
export function dvUniqueId(dv: DeletionVectorDescriptor | undefined | null): string {
  if (!dv) return '';
  return dv.offset === undefined || dv.offset === null
    ? `${dv.storageType}${dv.pathOrInlineDv}`
    : `${dv.storageType}${dv.pathOrInlineDv}@${dv.offset}`;
}

/** The schema of a table with no columns. */
export const EMPTY_SCHEMA = '{"type":"struct","fields":[]}';

type Where = { file: string; line?: number };

function fail(where: Where, msg: string): never {
  const at = where.line === undefined ? where.file : `${where.file}:${where.line}`;
  throw new InvalidTableError(`${at}: ${msg}`);
}

function need(obj: Record<string, unknown>, field: string, type: string, kind: string, where: Where): void {
  const v = obj[field];
  const ok =
    type === 'array'
      ? Array.isArray(v)
      : type === 'object'
        ? v !== null && typeof v === 'object'
        : typeof v === type;
  if (!ok)
    fail(
      where,
      `${kind}.${field} must be ${type === 'object' ? 'an object' : `a ${type}`}, got ${stringifyJson(v)}`,
    );
}

/** A field that must be a whole number ≥ `min` when present (sizes, counts, offsets, versions). */
function wholeAtLeast(
  obj: Record<string, unknown>,
  field: string,
  min: number,
  kind: string,
  where: Where,
): void {
  const v = obj[field];
  if (v === undefined || v === null) return;
  // Beyond ±2^53 the exact parser gives a bigint, which is whole by construction.
  const whole = typeof v === 'bigint' || (typeof v === 'number' && Number.isSafeInteger(v));
  if (!whole || (v as number | bigint) < min)
    fail(where, `${kind}.${field} must be a whole number ≥ ${min}, got ${stringifyJson(v)}`);
}

/**
 * Values no writer can have meant: negative sizes and counts, fractional versions, an empty path, a deletion vector
 * of an unknown storage type. A table holding them is broken (readers would trust `size` for ranged reads, vacuum
 * would miscount), so it is refused with DELTA_INVALID_TABLE rather than read on.
 */
function checkPossible(kind: ActionKind, b: Record<string, unknown>, where: Where): void {
  switch (kind) {
    case 'add':
    case 'remove':
    case 'cdc':
      if (b.path === '') fail(where, `${kind}.path is empty`);
      wholeAtLeast(b, 'size', 0, kind, where);
      wholeAtLeast(b, 'modificationTime', 0, kind, where);
      wholeAtLeast(b, 'deletionTimestamp', 0, kind, where);
      wholeAtLeast(b, 'baseRowId', 0, kind, where);
      wholeAtLeast(b, 'defaultRowCommitVersion', 0, kind, where);
      if (b.partitionValues !== undefined && b.partitionValues !== null) {
        for (const [k, v] of Object.entries(b.partitionValues as Record<string, unknown>)) {
          if (v !== null && typeof v !== 'string')
            fail(where, `${kind}.partitionValues.${k} must be a string or null, got ${stringifyJson(v)}`);
        }
      }
      if (b.stats !== undefined && b.stats !== null && typeof b.stats !== 'string')
        fail(where, `${kind}.stats must be a JSON string`);
      if (b.deletionVector !== undefined && b.deletionVector !== null) {
        const dv = b.deletionVector as Record<string, unknown>;
        if (typeof dv !== 'object' || !['u', 'p', 'i'].includes(dv.storageType as string))
          fail(where, `${kind}.deletionVector.storageType must be u, p or i`);
        need(dv, 'pathOrInlineDv', 'string', `${kind}.deletionVector`, where);
        for (const f of ['sizeInBytes', 'cardinality']) {
          need(dv, f, 'number', `${kind}.deletionVector`, where);
          wholeAtLeast(dv, f, 0, `${kind}.deletionVector`, where);
        }
        wholeAtLeast(dv, 'offset', 0, `${kind}.deletionVector`, where);
        wholeAtLeast(dv, 'maxRowIndex', 0, `${kind}.deletionVector`, where);
      }
      break;
    case 'protocol':
      wholeAtLeast(b, 'minReaderVersion', 1, kind, where);
      wholeAtLeast(b, 'minWriterVersion', 1, kind, where);
      break;
    case 'txn':
      wholeAtLeast(b, 'version', Number.MIN_SAFE_INTEGER, kind, where);
      break;
    case 'checkpointMetadata':
      wholeAtLeast(b, 'version', 0, kind, where);
      break;
    case 'sidecar':
      wholeAtLeast(b, 'sizeInBytes', 0, kind, where);
      break;
    case 'metaData':
      if (!(b.partitionColumns as unknown[]).every((c) => typeof c === 'string'))
        fail(where, 'metaData.partitionColumns must be strings');
      break;
  }
}

/**
 * Validates the required fields of one parsed action and returns it, or `undefined` for an unknown action
 * (readers must ignore unknown actions). Optional fields are passed through untouched, but impossible values in
 * them (negative sizes, …) are refused.
 */
export function validateAction(raw: unknown, where: Where): Action | undefined {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    fail(where, 'an action must be a JSON object');
  const obj = raw as Record<string, unknown>;
  for (const kind of ACTION_KINDS) {
    const body = obj[kind];
    if (body === undefined || body === null) continue;
    if (typeof body !== 'object') fail(where, `${kind} must be an object`);
    const b = body as Record<string, unknown>;
    switch (kind) {
      case 'add':
        need(b, 'path', 'string', kind, where);
        need(b, 'size', 'number', kind, where);
        need(b, 'modificationTime', 'number', kind, where);
        need(b, 'dataChange', 'boolean', kind, where);
        if (b.partitionValues === undefined || b.partitionValues === null) b.partitionValues = {};
        need(b, 'partitionValues', 'object', kind, where);
        break;
      case 'remove':
        need(b, 'path', 'string', kind, where);
        if (b.dataChange === undefined) b.dataChange = true;
        need(b, 'dataChange', 'boolean', kind, where);
        break;
      case 'cdc':
        need(b, 'path', 'string', kind, where);
        break;
      case 'metaData':
        need(b, 'id', 'string', kind, where);
        // Spark treats an absent schema as the empty struct (its test tables have such metaData).
        if (b.schemaString === undefined || b.schemaString === null) b.schemaString = EMPTY_SCHEMA;
        need(b, 'schemaString', 'string', kind, where);
        if (b.partitionColumns === undefined || b.partitionColumns === null) b.partitionColumns = [];
        need(b, 'partitionColumns', 'array', kind, where);
        if (b.configuration === undefined || b.configuration === null) b.configuration = {};
        if (b.format === undefined || b.format === null) b.format = { provider: 'parquet', options: {} };
        break;
      case 'protocol':
        need(b, 'minReaderVersion', 'number', kind, where);
        need(b, 'minWriterVersion', 'number', kind, where);
        break;
      case 'txn':
        need(b, 'appId', 'string', kind, where);
        if (typeof b.version !== 'bigint') need(b, 'version', 'number', kind, where);
        break;
      case 'domainMetadata':
        need(b, 'domain', 'string', kind, where);
        if (b.removed === undefined) b.removed = false;
        if (b.configuration === undefined || b.configuration === null) b.configuration = '';
        break;
      case 'sidecar':
        need(b, 'path', 'string', kind, where);
        break;
      case 'checkpointMetadata':
        need(b, 'version', 'number', kind, where);
        break;
      case 'commitInfo':
        break;
    }
    checkPossible(kind, b, where);
    return { [kind]: b } as unknown as Action;
  }
  return undefined;
}

/** Parses a newline-delimited JSON commit (or V2 checkpoint) file into validated actions. */
export function parseActions(text: string, file: string): Action[] {
  const out: Action[] = [];
  let lineNo = 0;
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    lineNo++;
    const line = text.slice(start, end).trim();
    start = end + 1;
    if (line.length === 0) continue;
    let raw: unknown;
    try {
      raw = parseJson(line);
    } catch (err) {
      throw new InvalidTableError(`${file}:${lineNo}: not valid JSON`, { cause: err });
    }
    const action = validateAction(raw, { file, line: lineNo });
    if (action) out.push(action);
  }
  return out;
}

/** Serializes actions as a commit file body: one JSON object per line, newline-terminated. */
export function serializeActions(actions: readonly Action[]): string {
  let out = '';
  for (const a of actions) out += `${stringifyJson(a)}\n`;
  return out;
}
