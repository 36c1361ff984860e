/**
 * What was produced to Kafka, record by record, with the offset the broker gave it: the expected changelog (each
 * change event must be exactly one row, at its offset), the tombstones (no row), and the poison records (no row, a
 * dead letter). Checks compare tables and the dead-letter topic against it.
 */
import type { Change, SourceRecord } from './changes.js';
import type { PoisonKind, PoisonRecord } from './poison.js';

export interface Produced {
  topic: string;
  partition: number;
  offset: bigint;
  change: Change | undefined;
  tombstoneOf: Change | undefined;
  poison: PoisonKind | undefined;
}

export type LedgerInput = (SourceRecord | (PoisonRecord & { partition: number })) & { partition: number };

export class Ledger {
  private readonly byTopic = new Map<string, Produced[]>();

  record(topic: string, records: readonly LedgerInput[], offsets: readonly bigint[]): void {
    const list = this.byTopic.get(topic) ?? [];
    this.byTopic.set(topic, list);
    records.forEach((r, i) => {
      const offset = offsets[i];
      if (offset === undefined) throw new Error(`no offset for record ${i} of ${topic}`);
      list.push({
        topic,
        partition: r.partition,
        offset,
        change: 'change' in r ? r.change : undefined,
        tombstoneOf: 'tombstoneOf' in r ? r.tombstoneOf : undefined,
        poison: 'poison' in r ? r.poison : undefined,
      });
    });
  }

  get topics(): string[] {
    return [...this.byTopic.keys()];
  }

  all(topic: string): Produced[] {
    return this.byTopic.get(topic) ?? [];
  }

  /** The change events of a topic: the rows its changelog table must hold, one per event. */
  changes(topic: string): (Produced & { change: Change })[] {
    return this.all(topic).filter((p): p is Produced & { change: Change } => p.change !== undefined);
  }

  poison(): Produced[] {
    return [...this.byTopic.values()].flat().filter((p) => p.poison !== undefined);
  }

  /** The last offset produced to each partition: the Delta txn version each partition must end at. */
  lastOffsets(topic: string): Map<number, bigint> {
    const last = new Map<number, bigint>();
    for (const p of this.all(topic))
      if ((last.get(p.partition) ?? -1n) < p.offset) last.set(p.partition, p.offset);
    return last;
  }

  count(): { events: number; tombstones: number; poison: number } {
    const all = [...this.byTopic.values()].flat();
    return {
      events: all.filter((p) => p.change).length,
      tombstones: all.filter((p) => p.tombstoneOf).length,
      poison: all.filter((p) => p.poison).length,
    };
  }
}
