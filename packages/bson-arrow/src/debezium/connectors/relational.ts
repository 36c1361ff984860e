/**
 * The connectors whose rows are typed columns with a Kafka Connect schema — PostgreSQL, MySQL, SQL Server, Oracle,
 * Db2, … — share one decoding (`../relational.ts`) and differ in where an event stands in the source's order. A
 * connector of this family is `relationalConnector(name, position)`; one without a file of its own decodes as
 * {@link relational}, whose position is read by whichever known reader recognises the source block.
 */
import type { BsonDocument } from '../../bson/values.js';
import { parseExtendedJson } from '../../ejson/parse.js';
import type { DecodeLimits } from '../../errors.js';
import { converterSchema, unwrapConverterEnvelope } from '../envelope.js';
import { canonicalKey } from '../key.js';
import { decodeRelationalKey, decodeRelationalPayload } from '../relational.js';
import { sequenceOf } from '../sequence.js';
import type { SourceSequence } from '../types.js';
import type { Connector } from './connector.js';

/** Where an event stands in its source (`_cdc_seq`), from the `source` block; undefined when it cannot tell. */
export type PositionReader = (source: BsonDocument) => SourceSequence | undefined;

/** A connector of the relational family; `position` reads its order (else the source time orders it). */
export function relationalConnector(name: string, position: PositionReader): Connector {
  return {
    name,
    family: 'relational',
    // Row values carry int64s and decimals that a double would round.
    envelope: 'lossless',
    decodeChange({ payload, envelopeSchema, op, source, keyText, record, limits }) {
      const key = keyText === null ? null : relationalKey(keyText, limits);
      return decodeRelationalPayload(payload, envelopeSchema, op, source, key, record, (sourceTsMs) =>
        orderOf(position, source, sourceTsMs),
      );
    },
    tombstoneKey(keyText, limits) {
      const key = relationalKey(keyText, limits);
      return { key, keyCanonical: key ? canonicalKey(key) : null };
    },
  };
}

function orderOf(position: PositionReader, source: BsonDocument, sourceTsMs: number | null): SourceSequence {
  return position(source) ?? sequenceOf([sourceTsMs]);
}

/** The primary-key columns of a relational key message (null when the table has none). */
function relationalKey(keyText: string, limits: DecodeLimits): BsonDocument | null {
  const parsed = parseExtendedJson(keyText, { ...limits, extended: false });
  return decodeRelationalKey(unwrapConverterEnvelope(parsed), converterSchema(parsed));
}
