/**
 * The Debezium MySQL connector (`source.connector` = `mysql`): relational rows; an event's position is its place in
 * the binlog — the file's number (`mysql-bin.000003` → 3), the position in it, the row within the event.
 */
import type { BsonDocument } from '../../bson/values.js';
import { big, str } from '../envelope.js';
import { sequenceOf } from '../sequence.js';
import type { SourceSequence } from '../types.js';
import { relationalConnector } from './relational.js';

/** `[binlog file number, pos, row]`, or undefined for a source block without a binlog `file`. */
export function binlogPosition(source: BsonDocument): SourceSequence | undefined {
  const file = str(source, 'file');
  if (file === null) return undefined;
  const n = /(\d+)$/.exec(file);
  return sequenceOf([n ? BigInt(n[1] as string) : 0n, big(source, 'pos'), big(source, 'row')]);
}

export const mysql = relationalConnector('mysql', binlogPosition);
