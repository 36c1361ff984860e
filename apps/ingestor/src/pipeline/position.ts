/**
 * Where a newly assigned partition starts. The Delta table is the source of truth: it holds, in `txn` actions, the
 * last offset committed for this consumer group, so the consumer seeks to the offset after it even when its Kafka
 * offset commit was lost (crash between ack and Kafka commit) — that is what prevents duplicates. Kafka's committed
 * offset and the reset policy only matter for partitions the table has never seen. Pure.
 */

export interface PositionInput {
  /** Last offset the table committed for this partition and group (the `txn` version). */
  deltaCommitted?: bigint;
  /** The group's committed Kafka offset (the next offset to read). */
  kafkaCommitted?: bigint;
  /** Log start and end offsets of the partition. */
  low: bigint;
  high: bigint;
  fromBeginning: boolean;
}

export interface Position {
  offset: bigint;
  /** The range starting here must tell the committer that offsets before it are gone. */
  gapAcknowledged?: boolean;
  source: 'table' | 'table-after-retention' | 'kafka' | 'reset-earliest' | 'reset-latest';
  /** Something an operator should know (logged as a warning). */
  warning?: string;
}

export function choosePosition(p: PositionInput): Position {
  if (p.deltaCommitted !== undefined) {
    const next = p.deltaCommitted + 1n;
    if (next < p.low) {
      return {
        offset: p.low,
        gapAcknowledged: true,
        source: 'table-after-retention',
        warning: `offsets ${next}..${p.low - 1n} were deleted from Kafka (retention) before they were ingested`,
      };
    }
    if (next > p.high) {
      return {
        offset: next,
        source: 'table',
        warning: `the table has offsets up to ${p.deltaCommitted} but the partition ends at ${p.high}: was the topic recreated? Use a new KAFKA_CONSUMER_GROUP to ingest it again`,
      };
    }
    return { offset: next, source: 'table' };
  }
  if (p.kafkaCommitted !== undefined && p.kafkaCommitted >= 0n) {
    if (p.kafkaCommitted >= p.low && p.kafkaCommitted <= p.high)
      return { offset: p.kafkaCommitted, source: 'kafka' };
  }
  return p.fromBeginning
    ? { offset: p.low, source: 'reset-earliest' }
    : { offset: p.high, source: 'reset-latest' };
}
