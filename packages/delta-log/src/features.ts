/**
 * Protocol versions and table features: what this library can read, what it can write, and the gates
 * that refuse the rest by name. Pure.
 */
import type { Metadata, Protocol } from './actions.js';
import { UnsupportedFeatureError } from './errors.js';
import type { DataType, StructType } from './schema/types.js';

/** Features that are reader+writer features (in both lists of a (3,7) protocol); all others are writer-only. */
export const READER_WRITER_FEATURES: ReadonlySet<string> = new Set([
  'columnMapping',
  'deletionVectors',
  'timestampNtz',
  'typeWidening',
  'v2Checkpoint',
  'vacuumProtocolCheck',
]);

/** Reader features whose semantics the snapshot/scan implement. */
export const SUPPORTED_READER_FEATURES: ReadonlySet<string> = new Set([
  'columnMapping',
  'deletionVectors',
  'timestampNtz',
  'v2Checkpoint',
  'vacuumProtocolCheck',
  'typeWidening',
  'typeWidening-preview',
]);

/**
 * Writer features the commit path honours. Some (invariants, checkConstraints, generatedColumns,
 * identityColumns, allowColumnDefaults) are only acceptable while not *active*: a table may list them
 * without using them, and then there is nothing to enforce.
 */
export const SUPPORTED_WRITER_FEATURES: ReadonlySet<string> = new Set([
  'appendOnly',
  'changeDataFeed',
  'deletionVectors',
  'timestampNtz',
  'v2Checkpoint',
  'vacuumProtocolCheck',
  'domainMetadata',
  'inCommitTimestamp',
  'typeWidening',
  'typeWidening-preview',
  'invariants',
  'checkConstraints',
  'generatedColumns',
  'identityColumns',
  'allowColumnDefaults',
]);

/** Features that need enforcement (expressions, generated values, physical names) once they are in use. */
const ONLY_WHILE_INACTIVE: ReadonlySet<string> = new Set([
  'invariants',
  'checkConstraints',
  'generatedColumns',
  'identityColumns',
  'allowColumnDefaults',
  'columnMapping',
]);

/** Features implied by legacy (pre-feature) protocol versions. */
export function impliedWriterFeatures(minWriterVersion: number): string[] {
  const out: string[] = [];
  if (minWriterVersion >= 2) out.push('appendOnly', 'invariants');
  if (minWriterVersion >= 3) out.push('checkConstraints');
  if (minWriterVersion >= 4) out.push('changeDataFeed', 'generatedColumns');
  if (minWriterVersion >= 5) out.push('columnMapping');
  if (minWriterVersion >= 6) out.push('identityColumns');
  return out;
}

export function readerFeatures(p: Protocol): string[] {
  if (p.minReaderVersion >= 3) return p.readerFeatures ?? [];
  return p.minReaderVersion >= 2 ? ['columnMapping'] : [];
}

export function writerFeatures(p: Protocol): string[] {
  if (p.minWriterVersion >= 7) return p.writerFeatures ?? [];
  return impliedWriterFeatures(p.minWriterVersion);
}

/** Throws unless this library can read tables with protocol `p`. */
export function assertReadable(p: Protocol): void {
  if (!Number.isInteger(p.minReaderVersion) || p.minReaderVersion < 1 || p.minReaderVersion > 3) {
    throw new UnsupportedFeatureError(
      `unsupported reader version ${p.minReaderVersion} (this library reads reader versions 1-3)`,
    );
  }
  if (p.minReaderVersion === 3) {
    if (!Array.isArray(p.readerFeatures)) {
      throw new UnsupportedFeatureError('protocol has minReaderVersion 3 but no readerFeatures list');
    }
    const unknown = p.readerFeatures.filter((f) => !SUPPORTED_READER_FEATURES.has(f));
    if (unknown.length > 0) {
      throw new UnsupportedFeatureError(`unsupported reader features: ${unknown.join(', ')}`, unknown);
    }
  }
}

function anyField(t: DataType, pred: (meta: Record<string, unknown>) => boolean): boolean {
  if (typeof t === 'string') return false;
  switch (t.type) {
    case 'struct':
      return t.fields.some((f) => pred(f.metadata) || anyField(f.type, pred));
    case 'array':
      return anyField(t.elementType, pred);
    case 'map':
      return anyField(t.keyType, pred) || anyField(t.valueType, pred);
    default:
      return false;
  }
}

/** Whether a listed feature is actually in use, i.e. would need enforcement by a writer. */
function isActive(feature: string, metadata: Metadata, schema: StructType): boolean {
  const conf = metadata.configuration;
  switch (feature) {
    case 'invariants':
      return anyField(schema, (m) => 'delta.invariants' in m);
    case 'checkConstraints':
      return Object.keys(conf).some((k) => k.startsWith('delta.constraints.'));
    case 'generatedColumns':
      return anyField(schema, (m) => 'delta.generationExpression' in m);
    case 'identityColumns':
      return anyField(schema, (m) => Object.keys(m).some((k) => k.startsWith('delta.identity.')));
    case 'allowColumnDefaults':
      return anyField(schema, (m) => 'CURRENT_DEFAULT' in m);
    case 'columnMapping':
      return (conf['delta.columnMapping.mode'] ?? 'none') !== 'none';
    case 'changeDataFeed':
    case 'appendOnly':
      return false; // appends need nothing more; appendOnly is enforced at commit time
    default:
      return true;
  }
}

/**
 * The writer feature gate: throws `UnsupportedFeatureError` naming every feature this library would have to
 * implement to write `protocol`/`metadata` correctly. A writer must support the reader features too.
 */
export function assertWritable(protocol: Protocol, metadata: Metadata, schema: StructType): void {
  assertReadable(protocol);
  if (protocol.minWriterVersion < 1 || protocol.minWriterVersion > 7) {
    throw new UnsupportedFeatureError(`unsupported writer version ${protocol.minWriterVersion}`);
  }
  if (protocol.minWriterVersion === 7 && !Array.isArray(protocol.writerFeatures)) {
    throw new UnsupportedFeatureError('protocol has minWriterVersion 7 but no writerFeatures list');
  }
  const needed = new Set([...writerFeatures(protocol), ...readerFeatures(protocol)]);
  const refused: string[] = [];
  for (const f of needed) {
    if (!ONLY_WHILE_INACTIVE.has(f) && !SUPPORTED_WRITER_FEATURES.has(f)) refused.push(f);
  }
  // Constraints, generated columns etc. in the metadata need enforcing whether or not the protocol lists them.
  for (const f of ONLY_WHILE_INACTIVE) {
    if (isActive(f, metadata, schema) && !refused.includes(f)) refused.push(f);
  }
  if (refused.length > 0) {
    throw new UnsupportedFeatureError(
      `cannot write to this table: it uses features this writer does not implement: ${refused.join(', ')}`,
      refused,
    );
  }
}
