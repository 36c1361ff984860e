/**
 * Poison records mixed into the topics while good events flow: each must reach the dead-letter topic with a reason
 * (the one its kind calls for) and its original position in the headers, while every good event lands exactly once
 * and the ingestors' memory stays bounded.
 */

import { readDeadLetters } from '../checks/verify.js';
import { POISON_KINDS, type PoisonKind } from '../generator/poison.js';
import type { ManagedProcess } from '../harness/process.js';
import type { Bench } from './bench.js';
import type { Fault } from './loop.js';

/** The reason each kind must be dead-lettered with (bson-arrow's stable codes). */
export const EXPECTED_REASONS: Record<PoisonKind, readonly string[]> = {
  // random bytes are almost never UTF-8 (named as such since bson-arrow stopped replacing them with U+FFFD)
  'garbage-bytes': ['invalid_utf8', 'invalid_json'],
  'truncated-json': ['invalid_json'],
  'not-debezium': ['not_debezium'],
  'nan-envelope': ['invalid_json', 'invalid_value'],
  'infinity-source': ['invalid_json', 'invalid_value'],
  'nesting-1000': ['nesting_too_deep'],
  'document-16mb': ['too_large'],
  'fields-100k': ['too_many_fields'],
};

/** One of each kind, into random topics of the workload. */
export const producePoison: Fault = async (bench) => {
  for (const kind of POISON_KINDS) {
    await bench.source.producePoison(bench.random.pick(bench.workload.topics), [kind], bench.random);
  }
  return { faultEnd: Date.now(), note: `${POISON_KINDS.length} poison records` };
};

/** Every poison record produced, checked against the dead-letter topic. */
export async function checkDeadLetters(
  bench: Bench,
): Promise<{ problems: string[]; reasons: Map<string, number> }> {
  const letters = await readDeadLetters(bench.source);
  const problems: string[] = [];
  const reasons = new Map<string, number>();
  for (const p of bench.source.ledger.poison()) {
    const at = `${p.topic}/${p.partition}@${p.offset}`;
    const got = letters.get(at) ?? [];
    const kind = p.poison as PoisonKind;
    const label = `${kind}→${got.join('+') || 'missing'}`;
    reasons.set(label, (reasons.get(label) ?? 0) + 1);
    if (got.length === 0) problems.push(`${kind} at ${at} is not in the dead-letter topic`);
    else if (!got.some((r) => EXPECTED_REASONS[kind].includes(r))) {
      problems.push(
        `${kind} at ${at} was dead-lettered as ${got.join(' and ')}, want ${EXPECTED_REASONS[kind].join(' or ')}`,
      );
    }
    // a record dead-lettered more than once shows in the label (`kind→reason+reason`): at-least-once, as documented
  }
  return { problems, reasons };
}

/** Samples the resident memory of the running ingestors every 500 ms; `stop()` returns the peak per process. */
export function sampleMemory(processes: () => ManagedProcess[]): { stop(): Map<string, number> } {
  const peak = new Map<string, number>();
  const timer = setInterval(() => {
    for (const p of processes()) {
      const rss = p.rssBytes();
      if (rss !== undefined && rss > (peak.get(p.name) ?? 0)) peak.set(p.name, rss);
    }
  }, 500);
  return {
    stop() {
      clearInterval(timer);
      return peak;
    },
  };
}
