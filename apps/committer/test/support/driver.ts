/**
 * An ingestor stand-in: streams consecutive ranges of one topic-partition as manifests with real Parquet files,
 * waiting for each ack before the next (as ingestors do per partition), through the real gRPC client.
 */
import type { Storage } from '@delta-writer/delta-log';
import { type CommitAck, type CommitterClient, createCommitterClient } from '@delta-writer/proto';
import { offsetsManifest } from './data.js';
import { TOKEN } from './processes.js';

export function testClient(addresses: readonly string[]): CommitterClient {
  return createCommitterClient({
    addresses,
    token: TOKEN,
    attemptTimeoutMs: 10_000,
    maxAttempts: 200,
    backoff: { initialMs: 50, maxMs: 500 },
  });
}

export interface PartitionStream {
  readonly client: CommitterClient;
  readonly storage: Storage;
  readonly tableUri: string;
  readonly tablePath: string;
  readonly partition: number;
  readonly manifests: number;
  /** Offsets per manifest. */
  readonly size: number;
  readonly onAck?: (ack: CommitAck) => void;
}

/** Returns every ack; throws on a refusal. The partition ends at offset manifests × size − 1. */
export async function streamPartition(s: PartitionStream): Promise<CommitAck[]> {
  const acks: CommitAck[] = [];
  for (let i = 0; i < s.manifests; i++) {
    const first = i * s.size;
    const m = await offsetsManifest(
      s.storage,
      s.tableUri,
      s.tablePath,
      s.partition,
      first,
      first + s.size - 1,
    );
    const outcome = await s.client.commit(m);
    if (outcome.$case !== 'ack') {
      throw new Error(`partition ${s.partition} range ${first}: refused ${JSON.stringify(outcome.value)}`);
    }
    acks.push(outcome.value);
    s.onAck?.(outcome.value);
  }
  return acks;
}
