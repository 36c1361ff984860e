/**
 * The Debezium PostgreSQL connector (`source.connector` = `postgresql`): relational rows; an event's position is its
 * transaction's commit LSN, then its own LSN (`source.sequence` = `["<lastCommitLsn>","<lsn>"]`, entries may be null).
 */
import type { BsonDocument } from '../../bson/values.js';
import { parseExtendedJson } from '../../ejson/parse.js';
import { big, str } from '../envelope.js';
import { sequenceOf } from '../sequence.js';
import type { SourceSequence } from '../types.js';
import { relationalConnector } from './relational.js';

/** `[lastCommitLsn ?? lsn, lsn]`, or undefined for a source block without an `lsn`. */
export function postgresPosition(source: BsonDocument): SourceSequence | undefined {
  const lsn = big(source, 'lsn');
  if (lsn === null) return undefined;
  let lastCommit: bigint | null = null;
  const text = str(source, 'sequence');
  if (text) {
    const parts = parseExtendedJson(text, { extended: false });
    if (Array.isArray(parts) && typeof parts[0] === 'string' && /^\d+$/.test(parts[0]))
      lastCommit = BigInt(parts[0]);
  }
  return sequenceOf([lastCommit ?? lsn, lsn]);
}

export const postgresql = relationalConnector('postgresql', postgresPosition);
