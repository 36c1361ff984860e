/**
 * Checks a commit request against the snapshot it was built on, before any I/O: one metaData/protocol at
 * most, no duplicate files or txn appIds, partition values for exactly the partition columns, legal schema
 * evolution, no protocol downgrade, the writer feature gate, and appendOnly. Pure.
 */
import type { Action, AddFile, Metadata, Protocol, RemoveFile } from '../actions.js';
import { dvUniqueId } from '../actions.js';
import { InvalidCommitError, SchemaEvolutionError } from '../errors.js';
import { assertWritable, readerFeatures, writerFeatures } from '../features.js';
import { canonicalPath } from '../log/replay.js';
import { columnMappingMode, physicalName } from '../schema/column-mapping.js';
import { type DataType, findField, parseSchema, type StructType } from '../schema/types.js';
import type { Snapshot } from '../snapshot.js';
import { evolveSchema } from './evolution.js';

export interface ValidatedCommit {
  protocol: Protocol;
  metadata: Metadata;
  schema: StructType;
  adds: AddFile[];
  removes: RemoveFile[];
  changesMetadata: boolean;
  changesProtocol: boolean;
}

function usesType(t: DataType, name: string): boolean {
  if (typeof t === 'string') return t === name;
  if (t.type === 'struct') return t.fields.some((f) => usesType(f.type, name));
  if (t.type === 'array') return usesType(t.elementType, name);
  if (t.type === 'map') return usesType(t.keyType, name) || usesType(t.valueType, name);
  return false;
}

export function hasFeature(p: Protocol, feature: string): boolean {
  return writerFeatures(p).includes(feature) || readerFeatures(p).includes(feature);
}

function assertNoDowngrade(from: Protocol, to: Protocol): void {
  if (to.minReaderVersion < from.minReaderVersion || to.minWriterVersion < from.minWriterVersion) {
    throw new InvalidCommitError(
      `protocol downgrade from (${from.minReaderVersion},${from.minWriterVersion}) to (${to.minReaderVersion},${to.minWriterVersion}) is not allowed`,
    );
  }
  const lost = [...writerFeatures(from), ...readerFeatures(from)].filter(
    (f) => !writerFeatures(to).includes(f) && !readerFeatures(to).includes(f),
  );
  // Legacy → feature protocols keep implied features only if listed; dropping one is a downgrade.
  if (to.minWriterVersion >= 7 && from.minWriterVersion >= 7 && lost.length > 0) {
    throw new InvalidCommitError(`protocol change drops features: ${lost.join(', ')}`);
  }
}

export function validateCommit(snapshot: Snapshot, actions: readonly Action[]): ValidatedCommit {
  const metas = actions.filter((a): a is { metaData: Metadata } => 'metaData' in a);
  const protos = actions.filter((a): a is { protocol: Protocol } => 'protocol' in a);
  if (metas.length > 1) throw new InvalidCommitError('a commit may contain at most one metaData action');
  if (protos.length > 1) throw new InvalidCommitError('a commit may contain at most one protocol action');
  for (const a of actions) {
    if ('commitInfo' in a || 'txn' in a || 'sidecar' in a || 'checkpointMetadata' in a) {
      throw new InvalidCommitError(
        `${Object.keys(a)[0]} actions are not allowed in CommitRequest.actions (commitInfo and txns are built by commit())`,
      );
    }
  }
  const protocol = protos[0]?.protocol ?? snapshot.protocol;
  const metadata = metas[0]?.metaData ?? snapshot.metadata;
  const changesProtocol = protos.length > 0;
  const changesMetadata = metas.length > 0;
  if (changesProtocol) assertNoDowngrade(snapshot.protocol, protocol);

  let schema = snapshot.schema;
  if (changesMetadata) {
    if (metadata.id !== snapshot.metadata.id) {
      throw new InvalidCommitError(
        `metaData.id cannot change (table ${snapshot.metadata.id}, got ${metadata.id})`,
      );
    }
    const sameParts =
      metadata.partitionColumns.length === snapshot.partitionColumns.length &&
      metadata.partitionColumns.every((c, i) => c === snapshot.partitionColumns[i]);
    if (!sameParts) throw new InvalidCommitError('partition columns cannot change');
    schema = parseSchema(metadata.schemaString);
    const evolved = evolveSchema(snapshot.schema, schema, {
      allowTypeWidening: hasFeature(protocol, 'typeWidening') || hasFeature(protocol, 'typeWidening-preview'),
      columnMapping: columnMappingMode(metadata) !== 'none',
    });
    if (evolved.widened && metadata.configuration['delta.enableTypeWidening'] !== 'true') {
      throw new SchemaEvolutionError(
        'type widening needs delta.enableTypeWidening=true in the table configuration',
      );
    }
  }
  if (usesType(schema, 'timestamp_ntz') && !hasFeature(protocol, 'timestampNtz')) {
    throw new InvalidCommitError('timestamp_ntz columns need the timestampNtz table feature (protocol 3/7)');
  }
  assertWritable(protocol, metadata, schema);

  const adds: AddFile[] = [];
  const removes: RemoveFile[] = [];
  const seenAdds = new Set<string>();
  const seenRemoves = new Set<string>();
  const mode = columnMappingMode(metadata);
  const partKeys = metadata.partitionColumns.map((c) => {
    const f = findField(schema, c);
    if (!f) throw new InvalidCommitError(`partition column ${c} is not in the schema`);
    return physicalName(f, mode);
  });
  const appendOnly = metadata.configuration['delta.appendOnly'] === 'true';
  for (const a of actions) {
    if ('add' in a) {
      const key = `${canonicalPath(a.add.path)}\u0000${dvUniqueId(a.add.deletionVector)}`;
      if (seenAdds.has(key)) throw new InvalidCommitError(`file ${a.add.path} is added twice in one commit`);
      seenAdds.add(key);
      const keys = Object.keys(a.add.partitionValues);
      const missing = partKeys.filter((k) => !keys.includes(k));
      const extra = keys.filter((k) => !partKeys.includes(k));
      if (missing.length || extra.length) {
        throw new InvalidCommitError(
          `add ${a.add.path}: partitionValues must have exactly the partition columns [${partKeys.join(', ')}]` +
            (missing.length ? `; missing ${missing.join(', ')}` : '') +
            (extra.length ? `; unexpected ${extra.join(', ')}` : ''),
        );
      }
      if (a.add.deletionVector && !hasFeature(protocol, 'deletionVectors')) {
        throw new InvalidCommitError(
          `add ${a.add.path} has a deletion vector but the table lacks the deletionVectors feature`,
        );
      }
      adds.push(a.add);
    } else if ('remove' in a) {
      const key = `${canonicalPath(a.remove.path)}\u0000${dvUniqueId(a.remove.deletionVector)}`;
      if (seenRemoves.has(key))
        throw new InvalidCommitError(`file ${a.remove.path} is removed twice in one commit`);
      seenRemoves.add(key);
      if (appendOnly && a.remove.dataChange) {
        throw new InvalidCommitError(
          'the table is append-only (delta.appendOnly=true): data cannot be removed',
        );
      }
      removes.push(a.remove);
    } else if ('domainMetadata' in a && a.domainMetadata.domain.startsWith('delta.')) {
      throw new InvalidCommitError(`domain ${a.domainMetadata.domain} is reserved for Delta itself`);
    } else if ('domainMetadata' in a && !hasFeature(protocol, 'domainMetadata')) {
      throw new InvalidCommitError('domainMetadata actions need the domainMetadata table feature');
    }
  }
  return { protocol, metadata, schema, adds, removes, changesMetadata, changesProtocol };
}
