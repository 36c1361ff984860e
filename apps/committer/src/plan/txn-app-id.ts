/**
 * The Delta `txn` appId that records one (consumer group, topic, partition): `dw1/<group>/<topic>/<partition>`,
 * each part percent-encoded so that any group name parses back unambiguously. The `dw1` prefix versions the format
 * and keeps our transactions apart from other writers' (Spark streaming queries use their query id).
 */
export interface SourcePartition {
  readonly consumerGroup: string;
  readonly topic: string;
  readonly partition: number;
}

const PREFIX = 'dw1';

export function txnAppId(p: SourcePartition): string {
  return `${PREFIX}/${encodeURIComponent(p.consumerGroup)}/${encodeURIComponent(p.topic)}/${p.partition}`;
}

/** The partition an appId records, or undefined for appIds that are not ours. */
export function parseTxnAppId(appId: string): SourcePartition | undefined {
  const parts = appId.split('/');
  if (parts.length !== 4 || parts[0] !== PREFIX) return undefined;
  const [, group, topic, partition] = parts as [string, string, string, string];
  if (!/^(0|[1-9]\d*)$/.test(partition)) return undefined;
  try {
    return {
      consumerGroup: decodeURIComponent(group),
      topic: decodeURIComponent(topic),
      partition: Number(partition),
    };
  } catch {
    return undefined; // malformed percent-encoding
  }
}
