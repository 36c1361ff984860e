/**
 * The source database at a steady rate: change events produced to Kafka at `ratePerSec` for as long as it runs, the
 * way a Debezium task streams a busy collection. It produces directly to the broker (not through a fault link) and
 * waits out a broker restart like a Connect task, then catches up on what the database did meanwhile.
 */
import type { MongoSource } from '../harness/mongo-source.js';
import { sleep } from '../harness/wait.js';

export class SteadyProducer {
  /** Change events produced so far. */
  produced = 0;
  private stopping = false;
  private loop: Promise<void> | undefined;
  private failure: unknown;

  constructor(
    private readonly source: MongoSource,
    readonly ratePerSec: number,
    private readonly tickMs = 200,
  ) {}

  start(): void {
    if (this.loop) throw new Error('the producer already runs');
    const started = Date.now();
    let changes = 0;
    this.loop = (async () => {
      while (!this.stopping) {
        const due = Math.floor((this.ratePerSec * (Date.now() - started)) / 1000) - changes;
        if (due > 0) {
          changes += due;
          this.produced += await this.source.produce(this.source.workload.step(due));
        }
        await sleep(this.tickMs);
      }
    })().catch((err: unknown) => {
      this.failure = err;
    });
  }

  /** Stops after the request in flight; rejects if producing failed (then the run tests nothing). */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.loop;
    if (this.failure) throw this.failure;
  }
}
