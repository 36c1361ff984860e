/**
 * Kafka for the tests (kafkajs): topics are created explicitly (the stack's broker does not auto-create them),
 * records are produced to explicit partitions with an idempotent producer, so the producer knows each record's
 * offset, and whole topics can be read back (the dead-letter topic, Debezium's topics).
 */
import { type Admin, type IHeaders, Kafka, logLevel, type Producer } from 'kafkajs';

export interface OutRecord {
  partition: number;
  key: string | Buffer | null;
  value: string | Buffer | null;
  headers?: IHeaders;
}

export interface InRecord {
  partition: number;
  offset: bigint;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

/** Records bigger than the broker's 1 MB default need a topic that accepts them (the 16 MB poison document). */
export const LARGE_MESSAGES = { 'max.message.bytes': String(64 * 1024 * 1024) };

export class KafkaHelper {
  readonly kafka: Kafka;
  readonly admin: Admin;
  private producer: Promise<Producer> | undefined;
  private readonly created = new Set<string>();
  /**
   * The end offset of each partition (`topic/partition`) of a topic this helper created, after its last send: the
   * tests' source topics have no other writer, so a send needs no ListOffsets round trip first (the soak sends
   * six chunks every 100 ms; with a read before each it fell to a third of its rate on a busy machine).
   */
  private readonly ends = new Map<string, bigint>();

  constructor(brokers: string[]) {
    this.kafka = new Kafka({ clientId: 'e2e', brokers, logLevel: logLevel.NOTHING });
    this.admin = this.kafka.admin();
  }

  async connect(): Promise<void> {
    await this.admin.connect();
  }

  async createTopic(topic: string, partitions: number, config: Record<string, string> = {}): Promise<void> {
    // a broker that has just started can answer the leader wait with UNKNOWN_TOPIC_OR_PARTITION: ask again
    for (let attempt = 1; ; attempt++) {
      try {
        await this.createOnce(topic, partitions, config);
        break;
      } catch (err) {
        if (attempt >= 10) throw err;
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
    this.created.add(topic);
  }

  private async createOnce(topic: string, partitions: number, config: Record<string, string>): Promise<void> {
    await this.admin.createTopics({
      topics: [
        {
          topic,
          numPartitions: partitions,
          configEntries: Object.entries(config).map(([name, value]) => ({ name, value })),
        },
      ],
      waitForLeaders: true,
    });
  }

  /**
   * Produces records in order, each to its partition, and returns their offsets. `acks: -1` with an idempotent
   * producer: a retried request is not written twice, so the offsets are exactly the ones the table must hold.
   * Like a Kafka Connect source task, it waits out a broker that is down (restarted): a failed send is sent again
   * once the partitions' end offsets show it did not land.
   */
  async produce(topic: string, records: OutRecord[]): Promise<bigint[]> {
    const offsets: bigint[] = new Array(records.length);
    // one partition per request, so a request that failed either landed whole or not at all
    const byPartition = new Map<number, number[]>();
    records.forEach((r, i) => {
      const list = byPartition.get(r.partition) ?? [];
      list.push(i);
      byPartition.set(r.partition, list);
    });
    for (const [partition, indexes] of byPartition) {
      for (let i = 0; i < indexes.length; ) {
        const chunk: number[] = [];
        let bytes = 0;
        // under the broker's default message.max.bytes (1 MiB) per request, whatever the backlog: a producer that
        // catches up after a broker restart sends many records at once (a single bigger record goes alone)
        while (i < indexes.length && chunk.length < 500) {
          const r = records[indexes[i] as number] as OutRecord;
          const size = (r.value?.length ?? 0) + (r.key?.length ?? 0);
          if (chunk.length > 0 && bytes + size > 768 << 10) break;
          chunk.push(indexes[i++] as number);
          bytes += size;
        }
        const first = await this.sendChunk(
          topic,
          partition,
          chunk.map((k) => records[k] as OutRecord),
        );
        chunk.forEach((k, j) => {
          offsets[k] = first + BigInt(j);
        });
      }
    }
    return offsets;
  }

  /** Sends records of one partition until they are in; returns the offset of the first. */
  private async sendChunk(topic: string, partition: number, chunk: OutRecord[]): Promise<bigint> {
    const deadline = Date.now() + 180_000;
    // the partition's end before the first attempt: after a failed attempt, whether it landed is read from it
    const key = `${topic}/${partition}`;
    let before: bigint | undefined = this.ends.get(key);
    for (let attempt = 0; ; attempt++) {
      before ??= (await this.endOffsets(topic).catch(() => undefined))?.get(partition);
      if (before !== undefined && attempt > 0) {
        const now = (await this.endOffsets(topic).catch(() => undefined))?.get(partition);
        if (now === undefined) {
          await new Promise((r) => setTimeout(r, 2000));
          continue; // the broker is still away
        }
        if (now === before + BigInt(chunk.length)) return this.landed(topic, key, before, chunk.length); // only the answer was lost
        if (now !== before)
          throw new Error(`${topic}/${partition} moved from ${before} to ${now} during a failed send`);
      }
      try {
        const producer = await this.connectedProducer();
        const [meta] = await producer.send({
          topic,
          acks: -1,
          messages: chunk.map((r) => ({
            partition,
            key: r.key,
            value: r.value,
            ...(r.headers ? { headers: r.headers } : {}),
          })),
        });
        return this.landed(topic, key, BigInt(meta?.baseOffset ?? '0'), chunk.length);
      } catch (err) {
        if (Date.now() > deadline) throw err;
        // reconnect: a kafkajs producer does not always recover from a broker restart
        const old = this.producer;
        this.producer = undefined;
        void old?.then((p) => p.disconnect()).catch(() => undefined);
        await new Promise((r) => setTimeout(r, 2000));
      }
    }
  }

  /** Notes where the partition ends now that `count` records landed at `first`; returns `first`. */
  private landed(topic: string, key: string, first: bigint, count: number): bigint {
    if (this.created.has(topic)) this.ends.set(key, first + BigInt(count));
    return first;
  }

  private connectedProducer(): Promise<Producer> {
    this.producer ??= (async () => {
      const p = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
      await p.connect();
      return p;
    })();
    const pending = this.producer;
    pending.catch(() => {
      if (this.producer === pending) this.producer = undefined;
    });
    return pending;
  }

  /** The end offset (high watermark) of each partition. */
  async endOffsets(topic: string): Promise<Map<number, bigint>> {
    const offsets = await this.admin.fetchTopicOffsets(topic);
    return new Map(offsets.map((o) => [o.partition, BigInt(o.high)]));
  }

  /** The consumer group's committed offsets (next offset to read), by partition; absent when never committed. */
  async groupOffsets(group: string, topic: string): Promise<Map<number, bigint>> {
    const [answer] = await this.admin.fetchOffsets({ groupId: group, topics: [topic] });
    return new Map(
      (answer?.partitions ?? []).filter((p) => p.offset !== '-1').map((p) => [p.partition, BigInt(p.offset)]),
    );
  }

  /** Every record of a topic from the start to its current end, read by a throwaway consumer group. */
  async readAll(topic: string, timeoutMs = 120_000): Promise<InRecord[]> {
    const ends = await this.endOffsets(topic);
    const remaining = new Map([...ends].filter(([, end]) => end > 0n));
    const records: InRecord[] = [];
    if (remaining.size === 0) return records;
    const consumer = this.kafka.consumer({
      groupId: `e2e-reader-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`,
      maxBytesPerPartition: 64 << 20,
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`reading ${topic}: ${records.length} records after ${timeoutMs} ms`)),
          timeoutMs,
        );
        void consumer
          .run({
            autoCommit: false,
            eachMessage: async ({ partition, message }) => {
              const headers: Record<string, string> = {};
              for (const [k, v] of Object.entries(message.headers ?? {})) {
                headers[k] = Array.isArray(v) ? v.map(String).join(',') : String(v ?? '');
              }
              const offset = BigInt(message.offset);
              records.push({ partition, offset, key: message.key, value: message.value, headers });
              if (offset + 1n >= (remaining.get(partition) ?? 0n)) remaining.delete(partition);
              if (remaining.size === 0) {
                clearTimeout(timer);
                resolve();
              }
            },
          })
          .catch(reject);
      });
    } finally {
      await consumer.disconnect();
    }
    return records;
  }

  /** Deletes the topics this helper created and disconnects. */
  async close({ deleteTopics = true } = {}): Promise<void> {
    await (await this.producer?.catch(() => undefined))?.disconnect().catch(() => undefined);
    if (deleteTopics && this.created.size > 0) {
      await this.admin.deleteTopics({ topics: [...this.created] }).catch(() => undefined);
    }
    await this.admin.disconnect().catch(() => undefined);
  }
}
