/**
 * A realistic change stream over several collections, one Kafka topic each (`<connector>.<db>.<collection>`):
 * first the connector's initial snapshot (`r` events), then inserts, partial updates, replaces and deletes in a
 * random mix, with documents that grow new fields as the stream ages. Every step returns the Kafka records to
 * produce; the models hold what each collection contains afterwards.
 */
import type { Change, Dialect, SourceRecord } from './changes.js';
import { records } from './changes.js';
import { customers, type DocumentKind, orders, products, sessions } from './documents.js';
import { type CollectionModel, CollectionModel as Model, OplogClock } from './model.js';
import { Random } from './random.js';

export interface CollectionPlan {
  db: string;
  collection: string;
  kind: DocumentKind;
  dialect: Dialect;
  partitions: number;
}

export interface WorkloadOptions {
  /** The connector's `topic.prefix` (`source.name`): topics are `<prefix>.<db>.<collection>`. */
  prefix: string;
  collections: CollectionPlan[];
  seed: number;
  /** Events the whole workload will have, so documents can age (fields appearing over time). */
  plannedEvents: number;
  /** Chance that an update_full connector's lookup sees the document's next write. */
  lateLookups?: number;
}

/**
 * The four collections of the standard workload, one per capture mode, covering both JSON dialect families
 * (legacy v1 strict, v2 canonical and relaxed), schemas on and off, and both envelope generations.
 */
export function standardCollections(partitions = 3): CollectionPlan[] {
  return [
    {
      db: 'shop',
      collection: 'customers',
      kind: customers,
      partitions,
      dialect: {
        serialization: 'legacy',
        schemas: false,
        generation: '2.7',
        capture: 'change_streams_update_full',
      },
    },
    {
      db: 'shop',
      collection: 'orders',
      kind: orders,
      partitions,
      dialect: {
        serialization: 'extended',
        schemas: true,
        generation: '2.7',
        capture: 'change_streams_update_full_with_pre_image',
      },
    },
    {
      db: 'catalog',
      collection: 'products',
      kind: products,
      partitions,
      dialect: {
        serialization: 'relaxed',
        schemas: false,
        generation: '2.7',
        capture: 'change_streams_with_pre_image',
      },
    },
    {
      db: 'analytics',
      collection: 'sessions',
      kind: sessions,
      partitions,
      dialect: { serialization: 'legacy', schemas: true, generation: '2.1', capture: 'change_streams' },
    },
  ];
}

export class Workload {
  readonly random: Random;
  readonly models = new Map<string, CollectionModel>();
  private readonly plans = new Map<string, CollectionPlan>();
  private readonly created = new Map<string, number>();
  private events = 0;

  constructor(readonly options: WorkloadOptions) {
    this.random = new Random(options.seed);
    const clock = new OplogClock(Date.UTC(2025, 5, 1), this.random);
    for (const plan of options.collections) {
      const topic = `${options.prefix}.${plan.db}.${plan.collection}`;
      const spec = {
        db: plan.db,
        collection: plan.collection,
        topic,
        partitions: plan.partitions,
        dialect: plan.dialect,
      };
      this.models.set(topic, new Model(spec, clock));
      this.plans.set(topic, plan);
      this.created.set(topic, 0);
    }
  }

  get topics(): string[] {
    return [...this.models.keys()];
  }

  /** The connector's initial snapshot: `perCollection` existing documents of each collection as `r` events. */
  snapshot(perCollection: number): Map<string, SourceRecord[]> {
    const out = new Map<string, SourceRecord[]>();
    for (const [topic, model] of this.models) {
      const changes: Change[] = [];
      for (let i = 0; i < perCollection; i++) {
        const doc = this.plan(topic).kind.create(this.random, this.nextNumber(topic), 0);
        changes.push(model.snapshotRead(doc, i === perCollection - 1));
      }
      out.set(topic, this.encode(topic, changes));
    }
    return out;
  }

  /** `count` streaming changes spread over the collections; the records to produce, by topic. */
  step(count: number): Map<string, SourceRecord[]> {
    const changes = new Map<string, Change[]>(this.topics.map((t) => [t, []]));
    for (let i = 0; i < count; i++) {
      const topic = this.random.pick(this.topics);
      changes.get(topic)?.push(this.change(topic));
    }
    const out = new Map<string, SourceRecord[]>();
    for (const [topic, list] of changes) {
      this.models.get(topic)?.settleLookups();
      out.set(topic, this.encode(topic, list));
    }
    return out;
  }

  private change(topic: string): Change {
    const model = this.models.get(topic) as CollectionModel;
    const { kind } = this.plan(topic);
    const age = Math.min(1, this.events++ / Math.max(1, this.options.plannedEvents));
    const ids = model.ids();
    const roll = this.random.next();
    if (ids.length < 3 || roll < 0.35)
      return model.insert(kind.create(this.random, this.nextNumber(topic), age));
    const key = this.random.pick(ids);
    const current = model.get(key);
    if (!current) throw new Error(`model lost ${key}`);
    if (roll < 0.8)
      return model.update(
        key,
        kind.update(this.random, current, age),
        this.random.chance(this.options.lateLookups ?? 0.1),
      );
    if (roll < 0.88) return model.replace(key, kind.replace(this.random, current, age));
    return model.delete(key);
  }

  private encode(topic: string, changes: Change[]): SourceRecord[] {
    const { dialect } = this.plan(topic);
    return changes.flatMap((c) => records(c, dialect, this.options.prefix));
  }

  private plan(topic: string): CollectionPlan {
    return this.plans.get(topic) as CollectionPlan;
  }

  private nextNumber(topic: string): number {
    const n = (this.created.get(topic) ?? 0) + 1;
    this.created.set(topic, n);
    return n;
  }
}
