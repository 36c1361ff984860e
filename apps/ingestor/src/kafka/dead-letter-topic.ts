/**
 * The dead-letter topic must exist before the first record can be refused: a batch with a dead letter cannot be
 * committed until the dead letter is written (pipeline/dead-letter.ts). So at start-up the ingestor makes sure it
 * exists — creating it with the configured partitions, replication and retention when allowed — or refuses to
 * start with one line that says what to do, instead of stalling on the first bad record.
 */
import type { Admin } from 'kafkajs';
import type { Logger } from 'pino';

export interface DeadLetterTopicSettings {
  topic: string;
  /** Create the topic when it is missing (KAFKA_DLQ_CREATE). */
  create: boolean;
  partitions: number;
  /** 0: the broker's `default.replication.factor`. */
  replicationFactor: number;
  /** `retention.ms`; -1 keeps records forever. */
  retentionMs: number;
}

/** The ingestor cannot start; the message is one line for the operator. */
export class StartupError extends Error {
  override readonly name = 'StartupError';
}

/** Makes sure the dead-letter topic exists; throws {@link StartupError} saying how to create it otherwise. */
export async function ensureDeadLetterTopic(
  admin: Pick<Admin, 'listTopics' | 'createTopics'>,
  s: DeadLetterTopicSettings,
  logger: Pick<Logger, 'info'>,
): Promise<'exists' | 'created'> {
  if ((await admin.listTopics()).includes(s.topic)) return 'exists';
  const howTo =
    `kafka-topics.sh --create --topic ${s.topic} --partitions ${s.partitions}` +
    `${s.replicationFactor > 0 ? ` --replication-factor ${s.replicationFactor}` : ''} --config retention.ms=${s.retentionMs}`;
  if (!s.create) {
    throw new StartupError(
      `dead-letter topic "${s.topic}" does not exist and KAFKA_DLQ_CREATE is false: create it (${howTo}) and start again`,
    );
  }
  let made: boolean;
  try {
    // false: another ingestor created it meanwhile (starting together, they race; losing is fine)
    made = await admin.createTopics({
      topics: [
        {
          topic: s.topic,
          numPartitions: s.partitions,
          replicationFactor: s.replicationFactor > 0 ? s.replicationFactor : -1,
          configEntries: [{ name: 'retention.ms', value: String(s.retentionMs) }],
        },
      ],
      waitForLeaders: true,
    });
  } catch (err) {
    if ((await admin.listTopics()).includes(s.topic)) return 'exists';
    throw new StartupError(
      `dead-letter topic "${s.topic}" does not exist and could not be created (${reasonOf(err)}): create it ` +
        `(${howTo}) or let the ingestor's Kafka principal create topics, and start again`,
    );
  }
  if (!made) return 'exists';
  logger.info(
    { topic: s.topic, partitions: s.partitions, retentionMs: s.retentionMs },
    'created the dead-letter topic',
  );
  return 'created';
}

/** kafkajs errors name the broker's error code in `type`, sometimes one level down. */
function reasonOf(err: unknown): string {
  const e = err as { type?: string; message?: string; errors?: { type?: string; message?: string }[] };
  const inner = e.errors?.[0];
  return inner?.type ?? e.type ?? inner?.message ?? e.message ?? String(err);
}
