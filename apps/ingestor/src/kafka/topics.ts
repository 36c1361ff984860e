/**
 * Which topics to consume: names matching the pattern that route to a table. Kafka-internal topics (`__…`), the
 * dead-letter topic and topics that cannot be routed (Debezium's `<prefix>.transaction` metadata, for instance) are
 * left out, with the reason, so nothing is consumed that could not be written. Pure.
 */
import type { RouteResult } from '../routing.js';

export interface TopicSelection {
  topics: string[];
  skipped: { topic: string; reason: string }[];
}

export function selectTopics(
  names: readonly string[],
  pattern: RegExp,
  route: (topic: string) => RouteResult,
  exclude: readonly string[],
): TopicSelection {
  const topics: string[] = [];
  const skipped: { topic: string; reason: string }[] = [];
  for (const topic of [...names].sort()) {
    if (!pattern.test(topic)) continue;
    if (topic.startsWith('__')) continue;
    if (exclude.includes(topic)) {
      skipped.push({ topic, reason: 'is the dead-letter topic' });
      continue;
    }
    const r = route(topic);
    if (!r.ok) skipped.push({ topic, reason: r.reason });
    else topics.push(topic);
  }
  return { topics, skipped };
}

export function sameTopics(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((t, i) => t === b[i]);
}
