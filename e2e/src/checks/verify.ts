/**
 * Everything checked about the tables of a MongoDB-shaped pipeline once it has drained: the Delta log (structure,
 * files, checkpoint, txn versions = last offsets), both independent readers agreeing, the changelog holding every
 * event exactly once with its content, and the replayed changelog equal to the generator's model — and, for topics
 * whose ingestors write a mirror table too, that table (its log, deletion vectors and txns as well) equal to the
 * same model.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { MongoSource } from '../harness/mongo-source.js';
import { checkChangelog } from './changelog.js';
import { checkDeltaLog } from './delta-log.js';
import { describe, plainDoc, rowDocument } from './documents.js';
import { readMirror } from './mirror.js';
import type { Readers } from './readers.js';
import { replayChangelog } from './replay.js';

export interface TableVerdict {
  topic: string;
  table: string;
  version: number;
  events: number;
  rows: number;
  lost: number;
  /** Good events found in the dead-letter topic instead of the table, by reason. */
  deadLettered: Map<string, number>;
  duplicated: number;
  /** The topic's mirror table, when its ingestors write one. */
  mirror?: { table: string; version: number; rows: number; filesWithVectors: number };
  problems: string[];
}

/** Dead letters by the position of the record they carry (`topic/partition@offset`) → reasons, in order. */
export async function readDeadLetters(source: MongoSource): Promise<Map<string, string[]>> {
  const letters = new Map<string, string[]>();
  for (const r of await source.kafka.readAll(source.pipeline.config.dlqTopic)) {
    const h = r.headers;
    const at = `${h['__dw.errors.topic']}/${h['__dw.errors.partition']}@${h['__dw.errors.offset']}`;
    letters.set(at, [...(letters.get(at) ?? []), h['__dw.errors.reason'] ?? '?']);
  }
  return letters;
}

export async function verifyMongoTables(
  source: MongoSource,
  readers: Readers,
  s3: S3Client,
): Promise<TableVerdict[]> {
  const { bucket } = source.pipeline.config.endpoints.s3;
  const deadLetters = await readDeadLetters(source);
  // topics are checked side by side: their reads wait on separate delta-rs processes and one Spark queue
  return Promise.all(
    source.ledger.topics.map(async (topic): Promise<TableVerdict> => {
      const path = source.tablePath(topic);
      const problems: string[] = [];
      const log = await checkDeltaLog({ s3, bucket, path });
      problems.push(...log.problems.map((p) => `log: ${p}`));
      for (const [appId, last] of source.targets().get(path) ?? []) {
        const have = log.txns.get(appId);
        if (have !== last) problems.push(`txn ${appId} is ${have ?? 'missing'}, the last offset is ${last}`);
      }
      // both engines at the version whose log was just checked
      const read = await readers.read(
        `s3://${bucket}/${path}`,
        log.version >= 0 ? { version: log.version } : {},
      );
      if (read.disagreement) problems.push(`readers disagree: ${read.disagreement}`);
      const changelog = checkChangelog(
        topic,
        read.rows,
        log.fields,
        source.ledger.changes(topic),
        deadLetters,
      );
      problems.push(...changelog.problems);
      for (const [reason, n] of changelog.deadLettered)
        problems.push(`${n} good events were dead-lettered (${reason})`);
      if (changelog.unexpected > 0) problems.push(`${changelog.unexpected} rows match no change event`);
      if (changelog.mismatched > 0) problems.push(`${changelog.mismatched} rows differ from their event`);
      const model = source.workload.models.get(topic);
      if (model)
        problems.push(...compareWithModel('replay', replayChangelog(read.rows, log.fields), model.documents));
      const mirrorPath = source.mirrorPath(topic);
      const mirror = mirrorPath
        ? await readMirror(
            { s3, bucket, path: mirrorPath },
            readers,
            source.targets().get(mirrorPath) ?? new Map(),
            (row) => String(row._cdc_key),
          )
        : undefined;
      if (mirror) {
        problems.push(...mirror.problems.map((p) => `mirror: ${p}`));
        const documents = new Map(
          [...mirror.rows].map(([key, row]) => [key, rowDocument(row, mirror.fields)]),
        );
        if (model) problems.push(...compareWithModel('mirror', documents, model.documents));
      }
      return {
        topic,
        table: path,
        version: log.version,
        events: changelog.events,
        rows: changelog.rows,
        lost: changelog.lost,
        deadLettered: changelog.deadLettered,
        duplicated: changelog.duplicated,
        ...(mirror && {
          mirror: {
            table: mirror.table,
            version: mirror.version,
            rows: mirror.rows.size,
            filesWithVectors: mirror.filesWithVectors,
          },
        }),
        problems,
      };
    }),
  );
}

/** Documents by key (a replayed changelog, a mirror table) against the model of the collection. */
function compareWithModel(
  label: string,
  documents: Map<string, Record<string, unknown>>,
  model: Map<string, Map<string, unknown>>,
): string[] {
  const problems: string[] = [];
  let differing = 0;
  for (const [key, doc] of model) {
    const want = plainDoc(doc as never);
    const got = documents.get(key);
    if (JSON.stringify(got) !== JSON.stringify(want)) {
      if (differing++ < 5)
        problems.push(
          `${label}: ${key} is ${describe(got as never)}, the collection holds ${describe(want)}`,
        );
    }
  }
  const extra = [...documents.keys()].filter((k) => !model.has(k));
  if (differing > 5) problems.push(`${label}: ${differing} documents differ from the collection`);
  if (extra.length > 0)
    problems.push(`${label}: ${extra.length} documents the collection does not hold, e.g. ${extra[0]}`);
  return problems;
}

/** Totals over tables, with the dead-lettered good events named in a note. */
export function summarize(verdicts: TableVerdict[]): {
  events: number;
  lost: number;
  deadLettered: number;
  duplicated: number;
  note?: string;
} {
  const dead = new Map<string, number>();
  for (const v of verdicts) for (const [r, n] of v.deadLettered) dead.set(r, (dead.get(r) ?? 0) + n);
  const note = [...dead].map(([r, n]) => `${n} lost events were dead-lettered as ${r}`).join(', ');
  return {
    events: verdicts.reduce((n, v) => n + v.events, 0),
    lost: verdicts.reduce((n, v) => n + v.lost, 0),
    deadLettered: [...dead.values()].reduce((a, b) => a + b, 0),
    duplicated: verdicts.reduce((n, v) => n + v.duplicated, 0),
    ...(note ? { note } : {}),
  };
}

/** Every problem of every table, prefixed with the table. */
export function problemsOf(verdicts: TableVerdict[]): string[] {
  return verdicts.flatMap((v) => v.problems.map((p) => `${v.table}: ${p}`));
}
