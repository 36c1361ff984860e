/**
 * The Debezium MongoDB connector (`source.connector` = `mongodb`): documents arrive as Extended JSON text, the Kafka
 * key is `{"id": "<_id as Extended JSON>"}`, the position is the oplog time and order. It is the one connector with
 * a one-pass writer (`fast/record.ts`) and a native-`JSON.parse` route of the reference decoder (`mongo-fast.ts`);
 * both decode exactly as `decodeMongoPayload` on the parsed envelope does.
 */
import { parseExtendedJson } from '../../ejson/parse.js';
import { FastRecordWriter } from '../../fast/record.js';
import { unwrapConverterEnvelope, withinDepth } from '../envelope.js';
import { canonicalKey, parseMongoKey } from '../key.js';
import { decodeMongoPayload } from '../mongo.js';
import { decodeMongoFast } from '../mongo-fast.js';
import type { Connector } from './connector.js';

export const mongodb: Connector = {
  name: 'mongodb',
  family: 'mongodb',
  // The documents are strings and no envelope number beyond 2^53 is read (`ts_ns` is not): JSON.parse is exact.
  envelope: 'plain',

  decodeChange({ payload, op, source, keyText, record, limits }) {
    const keyId = keyText === null ? undefined : parseMongoKey(keyText, limits.maxDepth);
    return decodeMongoPayload(payload, op, source, keyId, record, limits);
  },

  tombstoneKey(keyText, limits) {
    const id = parseMongoKey(keyText, limits.maxDepth);
    return { key: new Map([['_id', id]]), keyCanonical: canonicalKey(id) };
  },

  /** `Struct{id=…}` (StringConverter), or `{"id": "<text>"}` whose text is Extended JSON of an `_id`. */
  ownsKey(keyText) {
    if (keyText.trimStart().startsWith('Struct{id=')) return true;
    try {
      const raw = unwrapConverterEnvelope(parseExtendedJson(keyText, { extended: false }));
      if (raw instanceof Map && raw.size === 1 && typeof raw.get('id') === 'string') {
        const t = (raw.get('id') as string).trimStart();
        return t.startsWith('{"$') || t.startsWith('"');
      }
    } catch {
      // not JSON: not a MongoDB key
    }
    return false;
  },

  decodeNative({ payload, op, source, keyText, record, limits }) {
    if (op !== 'c' && op !== 'u' && op !== 'd' && op !== 'r') return undefined;
    if (!withinDepth(payload, 0, limits.maxDepth)) return undefined;
    const keyId = keyText === null ? undefined : parseMongoKey(keyText, limits.maxDepth);
    return decodeMongoFast(payload, op, source, keyId, record, limits);
  },

  onePass: (limits) => new FastRecordWriter(limits),
};
