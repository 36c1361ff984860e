import type { BsonValue } from '../bson/values.js';
import { parseExtendedJson } from '../ejson/parse.js';
import { stringifyExtendedJson } from '../ejson/stringify.js';
import { DecodeError } from '../errors.js';

/**
 * The record values in a file: one Kafka message value, a JSON array of them (as some captures are
 * stored), or JSON Lines. `null` stands for a tombstone. Values are re-serialized losslessly.
 */
export function splitMessages(text: string): (string | null)[] {
  const trimmed = text.trim();
  if (trimmed === '') return [];
  let whole: BsonValue | undefined;
  try {
    whole = parseExtendedJson(trimmed, { extended: false, maxDepth: 1000 });
  } catch (e) {
    if (!(e instanceof DecodeError)) throw e;
  }
  if (whole !== undefined) {
    // A JSON array of envelopes (objects) is a capture file; an array of anything else is not ours.
    if (Array.isArray(whole) && whole.every((m) => m === null || m instanceof Map)) {
      return whole.map((m) => (m === null ? null : stringifyExtendedJson(m, { mode: 'relaxed' })));
    }
    return [trimmed === 'null' ? null : trimmed];
  }
  return trimmed
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .map((l) => (l === 'null' ? null : l));
}
