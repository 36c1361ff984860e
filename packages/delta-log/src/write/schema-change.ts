/**
 * Building the actions for a schema or configuration change: the evolved metaData (old field metadata kept,
 * widenings recorded) and, when the change needs a table feature the protocol lacks (typeWidening,
 * timestampNtz), an upgraded protocol. Pure; commit the result with `commit()`.
 */
import type { Action, Protocol } from '../actions.js';
import { READER_WRITER_FEATURES, readerFeatures, writerFeatures } from '../features.js';
import { columnMappingMode } from '../schema/column-mapping.js';
import { type StructType, serializeSchema, usesType } from '../schema/types.js';
import type { Snapshot } from '../snapshot.js';
import { evolveSchema } from './evolution.js';
import { hasFeature } from './validate.js';

/** Options of {@link schemaChange}. */
export interface SchemaChangeOptions {
  /** Permit type widening, enabling the `typeWidening` feature on the table if needed. */
  allowTypeWidening?: boolean;
  /** Configuration entries to set (merged over the current configuration). */
  configuration?: Record<string, string>;
}

/** `p` with `features` added, moving a legacy protocol to explicit feature lists (keeping what it implied). */
export function withFeatures(p: Protocol, features: string[]): Protocol {
  const writer = new Set([...writerFeatures(p), ...readerFeatures(p), ...features]);
  const reader = new Set([...readerFeatures(p), ...features.filter((f) => READER_WRITER_FEATURES.has(f))]);
  if (reader.size > 0) {
    return {
      minReaderVersion: 3,
      minWriterVersion: 7,
      readerFeatures: [...reader].sort(),
      writerFeatures: [...writer].sort(),
    };
  }
  return { minReaderVersion: p.minReaderVersion, minWriterVersion: 7, writerFeatures: [...writer].sort() };
}

/** Actions that change `snapshot`'s schema to `proposed` (and/or its configuration); `[]` if nothing changes. */
export function schemaChange(
  snapshot: Snapshot,
  proposed: StructType,
  options: SchemaChangeOptions = {},
): Action[] {
  const evolved = evolveSchema(snapshot.schema, proposed, {
    allowTypeWidening: options.allowTypeWidening ?? false,
    columnMapping: columnMappingMode(snapshot.metadata) !== 'none',
  });
  const configuration = { ...snapshot.configuration, ...options.configuration };
  const confChanged = Object.entries(options.configuration ?? {}).some(
    ([k, v]) => snapshot.configuration[k] !== v,
  );
  if (!evolved.changed && !confChanged) return [];
  const needed: string[] = [];
  if (evolved.widened) {
    configuration['delta.enableTypeWidening'] = 'true';
    if (
      !hasFeature(snapshot.protocol, 'typeWidening') &&
      !hasFeature(snapshot.protocol, 'typeWidening-preview')
    ) {
      needed.push('typeWidening');
    }
  }
  if (usesType(evolved.schema, 'timestamp_ntz') && !hasFeature(snapshot.protocol, 'timestampNtz'))
    needed.push('timestampNtz');
  const out: Action[] = [];
  if (needed.length > 0) out.push({ protocol: withFeatures(snapshot.protocol, needed) });
  out.push({
    metaData: { ...snapshot.metadata, schemaString: serializeSchema(evolved.schema), configuration },
  });
  return out;
}
