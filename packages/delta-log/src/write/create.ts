/**
 * Creating a table: version 0 with protocol, metaData and (optionally) initial files, written with
 * put-if-absent so two creators cannot both succeed. The protocol is the widest-readable one that fits:
 * (1,2) unless the schema or configuration needs table features, then (1,7) or (3,7) with explicit lists.
 */
import { randomUUID } from 'node:crypto';
import type { Action, AddFile, Metadata, Protocol, Txn } from '../actions.js';
import { serializeActions } from '../actions.js';
import { InvalidCommitError, TableAlreadyExistsError } from '../errors.js';
import { assertWritable, READER_WRITER_FEATURES, SUPPORTED_READER_FEATURES } from '../features.js';
import { commitFileName, joinPath, LOG_DIR } from '../log/paths.js';
import { type DataType, findField, type StructType, serializeSchema, usesType } from '../schema/types.js';
import { Snapshot } from '../snapshot.js';
import type { Storage } from '../storage/storage.js';
import { ENGINE_INFO } from './commit.js';
import { validateNewSchema } from './evolution.js';

/** Options of {@link createTable}: the schema, partitioning, configuration, and what version 0 may carry. */
export interface CreateTableOptions {
  schema: StructType;
  partitionColumns?: string[];
  configuration?: Record<string, string>;
  name?: string;
  description?: string;
  /** Table features to enable explicitly (implies protocol 3/7 or 1/7). */
  features?: string[];
  /** Data files to include in version 0. */
  adds?: AddFile[];
  /** Application watermarks committed with version 0 (e.g. the offsets of its first files); `lastUpdated` defaults to now. */
  txns?: Array<Omit<Txn, 'lastUpdated'> & { lastUpdated?: number }>;
  /** Extra commitInfo fields (free-form provenance), as `CommitRequest.commitInfo`. */
  commitInfo?: Record<string, unknown>;
  now?: () => number;
}

function hasNotNull(t: DataType): boolean {
  if (typeof t === 'string') return false;
  if (t.type === 'struct') return t.fields.some((f) => !f.nullable || hasNotNull(f.type));
  if (t.type === 'array') return hasNotNull(t.elementType);
  if (t.type === 'map') return hasNotNull(t.keyType) || hasNotNull(t.valueType);
  return false;
}

/** The protocol a new table needs for `schema`, `configuration` and explicitly requested `features`. */
export function protocolFor(
  schema: StructType,
  configuration: Record<string, string>,
  features: string[] = [],
): Protocol {
  const needed = new Set(features);
  if (usesType(schema, 'timestamp_ntz')) needed.add('timestampNtz');
  if (configuration['delta.enableDeletionVectors'] === 'true') needed.add('deletionVectors');
  if (configuration['delta.enableTypeWidening'] === 'true') needed.add('typeWidening');
  if (configuration['delta.enableInCommitTimestamps'] === 'true') needed.add('inCommitTimestamp');
  if (configuration['delta.checkpointPolicy'] === 'v2') needed.add('v2Checkpoint');
  if (configuration['delta.appendOnly'] === 'true' && needed.size > 0) needed.add('appendOnly');
  if (needed.size === 0) return { minReaderVersion: 1, minWriterVersion: 2 };
  // Spark counts every NOT NULL column as an invariant and refuses to write a (x,7) table that does not
  // list the feature; (1,2) implies it.
  if (hasNotNull(schema)) needed.add('invariants');
  const reader = [...needed].filter((f) => READER_WRITER_FEATURES.has(f)).sort();
  const writer = [...needed].sort();
  return reader.length > 0
    ? { minReaderVersion: 3, minWriterVersion: 7, readerFeatures: reader, writerFeatures: writer }
    : { minReaderVersion: 1, minWriterVersion: 7, writerFeatures: writer };
}

/** Creates a Delta table at `tablePath`; throws `TableAlreadyExistsError` if version 0 exists. */
export async function createTable(
  storage: Storage,
  tablePath: string,
  options: CreateTableOptions,
): Promise<Snapshot> {
  const path = tablePath.replace(/^\/+|\/+$/g, '');
  const configuration = { ...options.configuration };
  const partitionColumns = options.partitionColumns ?? [];
  validateNewSchema(options.schema);
  for (const c of partitionColumns) {
    const f = findField(options.schema, c);
    if (!f) throw new InvalidCommitError(`partition column ${c} is not in the schema`);
    if (typeof f.type === 'object' && f.type.type !== 'decimal') {
      throw new InvalidCommitError(`partition column ${c} must have a primitive type`);
    }
  }
  for (const f of options.features ?? []) {
    if (READER_WRITER_FEATURES.has(f) && !SUPPORTED_READER_FEATURES.has(f))
      throw new InvalidCommitError(`unknown feature ${f}`);
  }
  const now = (options.now ?? Date.now)();
  const txns = options.txns ?? [];
  const appIds = new Set(txns.map((t) => t.appId));
  if (appIds.size !== txns.length) throw new InvalidCommitError('a commit may contain one txn per appId');
  const protocol = protocolFor(options.schema, configuration, options.features);
  if (configuration['delta.enableInCommitTimestamps'] === 'true') {
    configuration['delta.inCommitTimestampEnablementVersion'] = '0';
    configuration['delta.inCommitTimestampEnablementTimestamp'] = String(now);
  }
  const metadata: Metadata = {
    id: randomUUID(),
    ...(options.name !== undefined ? { name: options.name } : {}),
    ...(options.description !== undefined ? { description: options.description } : {}),
    format: { provider: 'parquet', options: {} },
    schemaString: serializeSchema(options.schema),
    partitionColumns,
    configuration,
    createdTime: now,
  };
  assertWritable(protocol, metadata, options.schema);
  const ict = protocol.writerFeatures?.includes('inCommitTimestamp') ? { inCommitTimestamp: now } : {};
  const actions: Action[] = [
    {
      commitInfo: {
        ...ict,
        timestamp: now,
        operation: 'CREATE TABLE',
        operationParameters: { partitionBy: JSON.stringify(partitionColumns) },
        isolationLevel: 'Serializable',
        isBlindAppend: true,
        engineInfo: ENGINE_INFO,
        txnId: randomUUID(),
        ...options.commitInfo,
      },
    },
    { protocol },
    { metaData: metadata },
    ...(options.adds ?? []).map((add) => ({ add })),
    ...txns.map((t) => ({ txn: { appId: t.appId, version: t.version, lastUpdated: t.lastUpdated ?? now } })),
  ];
  const file = joinPath(path, LOG_DIR, commitFileName(0));
  if (!(await storage.putIfAbsent(file, new TextEncoder().encode(serializeActions(actions))))) {
    throw new TableAlreadyExistsError(joinPath(storage.location, path));
  }
  return Snapshot.fromState(storage, path, { version: -1, protocol, metadata }).withCommits([
    { version: 0, actions, timestamp: now },
  ]);
}
