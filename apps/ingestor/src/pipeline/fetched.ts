/** Records as kafkajs hands them over (its own message objects satisfy `FetchedMessage`: nothing is copied). */
import type { RecordHeaders, TopicPartition } from './types.js';

export interface FetchedMessage {
  offset: string;
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  headers?: RecordHeaders;
}

export interface FetchedBatch extends TopicPartition {
  highWatermark: string;
  messages: FetchedMessage[];
}
