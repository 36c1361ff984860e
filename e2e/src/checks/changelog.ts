/**
 * The changelog table against what was produced: every change event is exactly one row at its Kafka position,
 * with the event's operation, source sequence, document and patch; no row for a tombstone or a poison record.
 * `lost` and `duplicated` are the numbers the fault loops report.
 */
import { type BsonValue, type MongoPatch, parseExtendedJson } from '@delta-writer/bson-arrow';
import type { Change } from '../generator/changes.js';
import type { Produced } from '../generator/ledger.js';
import type { DeltaField } from './delta-log.js';
import { describe, type Plain, plainBson, plainDoc, rowDocument } from './documents.js';

export interface ChangelogResult {
  events: number;
  rows: number;
  lost: number;
  /** Of the lost events, those found in the dead-letter topic (good events dead-lettered), by reason. */
  deadLettered: Map<string, number>;
  duplicated: number;
  /** Rows at a position that holds no change event (a tombstone, a poison record, another topic). */
  unexpected: number;
  /** Rows whose content differs from their event. */
  mismatched: number;
  problems: string[];
}

type Row = Record<string, unknown>;
const MAX_PROBLEMS = 20;

export function checkChangelog(
  topic: string,
  rows: readonly Row[],
  fields: DeltaField[],
  expected: readonly (Produced & { change: Change })[],
  /** Dead letters by original position (`topic/partition@offset`) → reasons. */
  deadLetters: ReadonlyMap<string, readonly string[]> = new Map(),
): ChangelogResult {
  const result: ChangelogResult = {
    events: expected.length,
    rows: rows.length,
    lost: 0,
    deadLettered: new Map(),
    duplicated: 0,
    unexpected: 0,
    mismatched: 0,
    problems: [],
  };
  const problem = (text: string) => {
    if (result.problems.length < MAX_PROBLEMS) result.problems.push(text);
  };
  const byPosition = new Map<string, Row[]>();
  for (const row of rows) {
    const at = `${row._kafka_topic}/${row._kafka_partition}@${BigInt(row._kafka_offset as string)}`;
    const list = byPosition.get(at) ?? [];
    list.push(row);
    byPosition.set(at, list);
  }
  const wanted = new Set<string>();
  for (const p of expected) {
    const at = `${topic}/${p.partition}@${p.offset}`;
    wanted.add(at);
    const found = byPosition.get(at) ?? [];
    if (found.length === 0) {
      result.lost++;
      const reason = deadLetters.get(at)?.join('+');
      if (reason) result.deadLettered.set(reason, (result.deadLettered.get(reason) ?? 0) + 1);
      problem(
        `lost: ${at} (${p.change.op} of ${p.change.keyCanonical})${reason ? `, dead-lettered: ${reason}` : ''}`,
      );
      continue;
    }
    if (found.length > 1) {
      result.duplicated += found.length - 1;
      problem(`duplicated ×${found.length}: ${at}`);
    }
    const difference = compare(found[0] as Row, p.change, fields);
    if (difference) {
      result.mismatched++;
      problem(`${at} (${p.change.op}): ${difference}`);
    }
  }
  for (const [at, list] of byPosition) {
    if (wanted.has(at)) continue;
    result.unexpected += list.length;
    problem(`row at ${at} matches no change event`);
  }
  return result;
}

function compare(row: Row, change: Change, fields: DeltaField[]): string | undefined {
  if (row._cdc_op !== change.op) return `op ${String(row._cdc_op)}, want ${change.op}`;
  const seq = String(row._cdc_seq)
    .split('.')
    .map((part) => BigInt(part));
  if (seq[0] !== change.seq[0] || seq[1] !== change.seq[1]) {
    return `_cdc_seq ${String(row._cdc_seq)}, want ${change.seq.join('.')}`;
  }
  if (row._cdc_key !== change.keyCanonical)
    return `_cdc_key ${String(row._cdc_key)}, want ${change.keyCanonical}`;
  const wantDoc = plainDoc(change.after ?? change.before ?? new Map([['_id', change.id]]));
  const gotDoc = rowDocument(row, fields);
  if (JSON.stringify(gotDoc) !== JSON.stringify(wantDoc)) {
    return `document ${describe(gotDoc)}, want ${describe(wantDoc)}`;
  }
  const gotPatch =
    row._cdc_patch === null || row._cdc_patch === undefined ? undefined : plainPatch(parsed(row));
  const wantPatch = change.patch ? plainPatch(patchDocument(change.patch)) : undefined;
  if (JSON.stringify(gotPatch) !== JSON.stringify(wantPatch)) {
    return `_cdc_patch ${describe(gotPatch)}, want ${describe(wantPatch)}`;
  }
  return undefined;
}

function parsed(row: Row): BsonValue {
  return parseExtendedJson(String(row._cdc_patch));
}

export function patchDocument(p: MongoPatch): BsonValue {
  return new Map<string, BsonValue>([
    ['set', p.set],
    ['unset', p.unset],
    [
      'truncatedArrays',
      p.truncatedArrays.map(
        (t) =>
          new Map<string, BsonValue>([
            ['field', t.field],
            ['size', t.size],
          ]),
      ),
    ],
  ]);
}

/** A patch in comparable form; empty parts are left out (absent and empty mean the same). */
function plainPatch(p: BsonValue): Plain | undefined {
  const plain = plainBson(p) as Record<string, Plain> | undefined;
  if (!plain) return undefined;
  for (const [k, v] of Object.entries(plain)) if (Array.isArray(v) && v.length === 0) delete plain[k];
  return plain;
}
