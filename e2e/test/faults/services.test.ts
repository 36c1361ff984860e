/**
 * The services the pipeline depends on stop and come back while events flow: the S3 server (30 s in the long
 * profile), the Kafka broker (briefly, and for longer than kafkajs retries), Redis. They run on a private copy of the local stack (deploy/local/stack with its own
 * data folder and ports), so the team's shared stack is never stopped. Every run ends with every event in its table
 * exactly once, read the same by delta-rs and Spark, and all processes alive.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { budget } from '../../src/budget.js';
import { Readers } from '../../src/checks/readers.js';
import { Bench } from '../../src/faults/bench.js';
import { type Fault, faultLoop } from '../../src/faults/loop.js';
import { briefly, restartService } from '../../src/faults/services.js';
import { FaultStack } from '../../src/harness/fault-stack.js';
import type { Endpoints } from '../../src/harness/services.js';

const stack = new FaultStack();
const session = inject('e2eSession');
let endpoints: Endpoints;
let readers: Readers;

beforeAll(async () => {
  endpoints = await stack.up();
  readers = new Readers(endpoints); // Spark reads the private S3 server: its endpoint is fixed when Spark starts
  readers.startSpark();
});

afterAll(async () => {
  await readers?.close();
  await stack.stopAll();
});

async function scenario(name: string, label: string, fault: Fault, runs: number): Promise<void> {
  const bench = new Bench(name, endpoints, readers, { plannedEvents: runs * budget.faultEvents });
  try {
    await bench.start();
    const result = await faultLoop(bench, fault, {
      scenario: label,
      runs,
      eventsPerRun: budget.faultEvents,
      streamMs: 12_000,
      session,
    });
    expect(result.problems).toEqual([]);
    // nobody gave up: the outage was waited out, not crashed on
    const dead = [...bench.pipeline.committers.values(), ...bench.pipeline.ingestors.values()].filter(
      (p) => !p.running,
    );
    expect(dead.map((p) => `${p.name}: ${p.tail(3)}`)).toEqual([]);
    bench.passed = true;
  } finally {
    await bench.close();
  }
}

describe('faults of the services', () => {
  it(`S3 server stopped for ${budget.s3OutageMs / 1000} s and started again`, () =>
    scenario(
      's3-outage',
      'S3 server stopped and restarted',
      restartService(stack, 's3', () => budget.s3OutageMs),
      budget.runs(3),
    ));

  it('Kafka broker restarted', () =>
    scenario(
      'kafka-restart',
      'Kafka broker restarted',
      restartService(stack, 'kafka', briefly(Math.random)),
      budget.runs(3),
    ));

  it(`Kafka broker down for ${budget.kafkaOutageMs / 1000} s, longer than the clients' retries`, () =>
    scenario(
      'kafka-outage',
      'Kafka broker down past the retries',
      restartService(stack, 'kafka', () => budget.kafkaOutageMs),
      budget.runs(2),
    ));

  it('Redis restarted (the lease and term are lost with it)', () =>
    scenario(
      'redis-restart',
      'Redis restarted',
      restartService(stack, 'redis', briefly(Math.random)),
      budget.runs(3),
    ));
});
