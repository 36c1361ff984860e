/**
 * Plays the MongoDB connector for a pipeline: creates its topics, produces the workload's records (and poison
 * records between them) in order, and keeps the ledger of what went where. The ledger is what the tables are
 * checked against, and tells which offsets each partition must reach.
 */
import type { SourceRecord } from '../generator/changes.js';
import { Ledger } from '../generator/ledger.js';
import { type PoisonKind, poisonRecord } from '../generator/poison.js';
import type { Random } from '../generator/random.js';
import type { Workload } from '../generator/workload.js';
import type { KafkaHelper } from './kafka.js';
import type { Pipeline } from './pipeline.js';
import { type OffsetTargets, txnAppId } from './watcher.js';

export class MongoSource {
  readonly ledger = new Ledger();

  constructor(
    readonly kafka: KafkaHelper,
    readonly workload: Workload,
    readonly pipeline: Pipeline,
  ) {}

  /** The connector's topics, and the pipeline's dead-letter topic, created before any ingestor starts. */
  async createTopics(config: Record<string, string> = {}): Promise<void> {
    for (const plan of this.workload.options.collections) {
      await this.kafka.createTopic(
        `${this.workload.options.prefix}.${plan.db}.${plan.collection}`,
        plan.partitions,
        config,
      );
    }
    await this.kafka.createTopic(this.pipeline.config.dlqTopic, 1, config);
  }

  /** Produces records topic by topic, each in order; returns how many change events they held. */
  async produce(byTopic: Map<string, SourceRecord[]>): Promise<number> {
    let events = 0;
    await Promise.all(
      [...byTopic].map(async ([topic, records]) => {
        if (records.length === 0) return;
        const offsets = await this.kafka.produce(topic, records);
        this.ledger.record(topic, records, offsets);
        events += records.filter((r) => r.change).length;
      }),
    );
    return events;
  }

  /** Poison records of the given kinds into random partitions of a topic. */
  async producePoison(topic: string, kinds: readonly PoisonKind[], random: Random): Promise<void> {
    const partitions = this.workload.options.collections.find((c) =>
      topic.endsWith(`.${c.db}.${c.collection}`),
    )?.partitions;
    if (partitions === undefined) throw new Error(`${topic} is not a topic of the workload`);
    const records = kinds.map((kind) => ({
      ...poisonRecord(kind, random),
      partition: random.int(0, partitions - 1),
    }));
    for (const r of records) {
      // one at a time: a 16 MB record must not share a produce request with others
      const offsets = await this.kafka.produce(topic, [r]);
      this.ledger.record(topic, [r], offsets);
    }
  }

  /** Where the ingestors route a topic: `<base>/<db>/<collection>` (their default routing). */
  private routedPath(topic: string): string {
    const [db, collection] = topic.split('.').slice(-2);
    return `${this.pipeline.config.basePath}/${db}/${collection}`;
  }

  /** The changelog table of a topic: the routed path, or `<path>_changelog` next to a mirror table. */
  tablePath(topic: string): string {
    return this.pipeline.tablesOf(topic, this.routedPath(topic)).changelog;
  }

  /** The mirror table of a topic, when its ingestors write one (DELTA_WRITE_MODE=both). */
  mirrorPath(topic: string): string | undefined {
    return this.pipeline.tablesOf(topic, this.routedPath(topic)).mirror;
  }

  /** Every table of the workload's topics: changelogs and mirrors. */
  tablePaths(): string[] {
    return this.workload.topics.flatMap((t) => [this.tablePath(t), this.mirrorPath(t) ?? []].flat());
  }

  /** Every partition produced to must reach its last offset, in each of its topic's tables. */
  targets(): OffsetTargets {
    const targets: OffsetTargets = new Map();
    for (const topic of this.ledger.topics) {
      const want = new Map<string, bigint>();
      for (const [partition, last] of this.ledger.lastOffsets(topic)) {
        want.set(txnAppId(this.pipeline.consumerGroupOf(topic), topic, partition), last);
      }
      targets.set(this.tablePath(topic), want);
      const mirror = this.mirrorPath(topic);
      if (mirror) targets.set(mirror, want);
    }
    return targets;
  }
}
