/**
 * The dead-letter topic: records that cannot become rows are produced there with their original key, value and
 * headers, plus headers naming the error and the source position (`__dw.errors.*`, after Kafka Connect's
 * `__connect.errors.*`). The batch that held them is committed only after the write succeeded, so a record is
 * either in the table, in the dead-letter topic, or still in Kafka to be read again — never nowhere.
 *
 * Delivery is at least once: if a partition is revoked after its dead-letter write but before its commit, the next
 * owner reads and dead-letters the same records again. Consumers of the topic can deduplicate on
 * (`__dw.errors.topic`, `__dw.errors.partition`, `__dw.errors.offset`).
 */
import type { Message, Producer } from 'kafkajs';
import { retry } from '../retry.js';
import type { RecordHeaders, Rejection, TopicPartition } from './types.js';

export const DLQ_HEADERS = {
  reason: '__dw.errors.reason',
  message: '__dw.errors.message',
  topic: '__dw.errors.topic',
  partition: '__dw.errors.partition',
  offset: '__dw.errors.offset',
  timestamp: '__dw.errors.timestamp',
  ingestor: '__dw.errors.ingestor',
} as const;

/** Header values are bounded: a huge error message must not make the dead-letter record itself too large. */
const MAX_MESSAGE_CHARS = 4000;

export interface DeadLetterSink {
  send(source: TopicPartition, rejections: readonly Rejection[], signal?: AbortSignal): Promise<void>;
}

export function deadLetterMessage(source: TopicPartition, r: Rejection, ingestorId: string): Message {
  const headers: RecordHeaders = {
    ...r.record.headers,
    [DLQ_HEADERS.reason]: r.reason,
    [DLQ_HEADERS.message]:
      r.message.length > MAX_MESSAGE_CHARS ? `${r.message.slice(0, MAX_MESSAGE_CHARS)}…` : r.message,
    [DLQ_HEADERS.topic]: source.topic,
    [DLQ_HEADERS.partition]: String(source.partition),
    [DLQ_HEADERS.offset]: r.record.offset.toString(),
    [DLQ_HEADERS.timestamp]: String(r.record.timestampMs),
    [DLQ_HEADERS.ingestor]: ingestorId,
  };
  return {
    key: r.record.key,
    value: r.record.value,
    headers: headers as Message['headers'],
    timestamp: String(r.record.timestampMs),
  };
}

export interface DeadLetterQueueOptions {
  producer: Producer;
  topic: string;
  ingestorId: string;
  /** Records per produce request. */
  chunk?: number;
  /** Attempts of one produce request before the write gives up (KAFKA_DLQ_MAX_ATTEMPTS). */
  maxAttempts?: number;
  onSent?: (reason: string, count: number) => void;
  onRetry?: (error: unknown, attempt: number) => void;
}

/**
 * The dead-letter topic could not be written within its attempts. The batch that needed it must not be committed
 * (its records would be in neither place): the owner stops the partition, loudly.
 */
export class DeadLetterUnavailableError extends Error {
  override readonly name = 'DeadLetterUnavailableError';
  constructor(
    readonly topic: string,
    readonly attempts: number,
    options?: { cause?: unknown },
  ) {
    super(
      `the dead-letter topic ${topic} could not be written after ${attempts} attempts: ${(options?.cause as Error | undefined)?.message ?? 'unknown error'}`,
      options,
    );
  }
}

export function createDeadLetterQueue(options: DeadLetterQueueOptions): DeadLetterSink {
  const chunk = options.chunk ?? 500;
  const attempts = options.maxAttempts ?? 20;
  return {
    async send(source, rejections, signal) {
      for (let i = 0; i < rejections.length; i += chunk) {
        const part = rejections.slice(i, i + chunk);
        const messages = part.map((r) => deadLetterMessage(source, r, options.ingestorId));
        // Retried a bounded number of times: skipping the write would lose the records, retrying forever would stall
        // the partition with nobody told. After the last attempt the caller stops the partition (loudly).
        try {
          await retry(() => options.producer.send({ topic: options.topic, acks: -1, messages }), {
            attempts,
            initialMs: 200,
            maxMs: 10_000,
            ...(signal && { signal }),
            ...(options.onRetry && { onRetry: options.onRetry }),
          });
        } catch (error) {
          if (signal?.aborted) throw error;
          throw new DeadLetterUnavailableError(options.topic, attempts, { cause: error });
        }
        const byReason = new Map<string, number>();
        for (const r of part) byReason.set(r.reason, (byReason.get(r.reason) ?? 0) + 1);
        for (const [reason, n] of byReason) options.onSent?.(reason, n);
      }
    },
  };
}
