/**
 * The fault network and the nemesis's short fixed set for CI (`./dw test`). First the tools themselves: a client
 * bootstrapped through a Kafka link stays on it and feels its faults, and a toxic on one process's link reaches
 * that process only. Then three seeds whose schedules together freeze the leader past its lease, lose the
 * standby's requests to Redis, kill an ingestor, answer 500 after S3 wrote, narrow a Kafka link to 8 KB/s, reset
 * an S3 link, restart Redis and slow an ingestor's committer link — on the private fault stack, each a fresh
 * pipeline writing mirror and changelog tables at a steady rate, healed and then checked (nemesis/run.ts). The
 * volume (hundreds of seeds, every fault kind) is `pnpm --filter @delta-writer/e2e test:nemesis`, recorded in
 * e2e/results/.
 */
import { HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Readers } from '../../src/checks/readers.js';
import { FaultStack } from '../../src/harness/fault-stack.js';
import { Links } from '../../src/harness/links.js';
import { Pipeline, runName } from '../../src/harness/pipeline.js';
import { s3Client } from '../../src/harness/s3.js';
import { Toxiproxy } from '../../src/harness/toxiproxy.js';
import { NEMESIS_PROFILES, type NemesisWorld, runNemesis } from '../../src/nemesis/run.js';
import { recordRun } from '../../src/results/record.js';

/** Chosen (by their schedules, `test:nemesis --dry-run --profile=ci`) to cover the most fault kinds in three runs. */
const CI_SEEDS = [2, 67, 232];

const stack = new FaultStack();
const session = inject('e2eSession');
let world: NemesisWorld & { links: { toxiproxy: Toxiproxy } };

beforeAll(async () => {
  const endpoints = await stack.up('redis', 's3', 'kafka', 'toxiproxy');
  const readers = new Readers(endpoints);
  readers.startSpark();
  const fault = stack.faultEndpoints();
  world = {
    stack,
    endpoints,
    fault,
    readers,
    s3: s3Client(endpoints),
    links: { toxiproxy: new Toxiproxy(fault.toxiproxyUrl) },
  };
});

afterAll(async () => {
  await world?.readers.close();
  await stack.stopAll();
});

/** Milliseconds a call takes, or the error it failed with. */
async function timed(call: () => Promise<unknown>): Promise<{ ms: number; error?: string }> {
  const t0 = Date.now();
  try {
    await call();
    return { ms: Date.now() - t0 };
  } catch (err) {
    return { ms: Date.now() - t0, error: (err as Error).name };
  }
}

describe('the fault network (Toxiproxy links, S3 fronts)', () => {
  it('a client bootstrapped through a Kafka link is told the link, and the faults of the link reach it', async () => {
    const link = world.fault.kafkaLinks[0] as string;
    const kafka = new Kafka({
      clientId: 'e2e-link',
      brokers: [link],
      logLevel: logLevel.NOTHING,
      requestTimeout: 2_000,
      connectionTimeout: 1_000,
      retry: { retries: 0 },
    });
    const admin = kafka.admin();
    await admin.connect();
    try {
      // the broker advertises the proxy's address on this listener: later connections stay on the link
      const { brokers } = await admin.describeCluster();
      expect(brokers.map((b) => `${b.host}:${b.port}`)).toEqual([link]);
      await world.links.toxiproxy.addToxic('kafka-link-0', {
        name: 'cut',
        stream: 'downstream',
        toxicity: 1,
        spec: { type: 'timeout', attributes: { timeout: 0 } },
      });
      expect((await timed(() => admin.describeCluster())).error).toBeDefined();
      await world.links.toxiproxy.heal('kafka-link-0');
      const again = kafka.admin();
      await again.connect();
      expect((await again.describeCluster()).brokers).toHaveLength(1);
      await again.disconnect();
    } finally {
      await world.links.toxiproxy.heal('kafka-link-0');
      await admin.disconnect().catch(() => undefined);
    }
  });

  it('per-process links: a toxic on the S3 link of one process slows or cuts that process only, heal undoes it', async () => {
    const pipeline = Pipeline.create(runName('links'), world.endpoints);
    const links = new Links(world.fault.toxiproxyUrl, world.fault.kafkaLinks, world.endpoints, pipeline);
    const through = (id: string) => {
      const { s3 } = world.endpoints;
      return new S3Client({
        endpoint: pipeline.processEnv.get(id)?.MINIO_ENDPOINT as string,
        region: s3.region,
        forcePathStyle: true,
        maxAttempts: 1,
        requestHandler: { requestTimeout: 2_000 },
        credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
      });
    };
    const head = (c: S3Client) => () => c.send(new HeadBucketCommand({ Bucket: world.endpoints.s3.bucket }));
    try {
      await links.wire(['committer-a'], ['ingestor-1']);
      const a = pipeline.processEnv.get('committer-a') ?? {};
      const i = pipeline.processEnv.get('ingestor-1') ?? {};
      // every peer is reached through the proxy, never directly
      expect(a.REDIS_URL).not.toBe(world.endpoints.redisUrl);
      expect(i.KAFKA_BOOTSTRAP_SERVERS).toBe(world.fault.kafkaLinks[0]);
      expect(i.COMMITTER_ADDRESSES).not.toBe(await pipeline.committerAddress('committer-a'));
      expect(new Set([a.MINIO_ENDPOINT, i.MINIO_ENDPOINT, world.endpoints.s3.endpoint]).size).toBe(3);
      const committer = through('committer-a');
      const ingestor = through('ingestor-1');
      expect((await timed(head(ingestor))).error).toBeUndefined();

      const remove = await links.add('ingestor-1', 's3', {
        type: 'latency',
        attributes: { latency: 600, jitter: 0 },
      });
      expect((await timed(head(ingestor))).ms).toBeGreaterThanOrEqual(600);
      await remove();
      // answers lost: the request reaches S3, nothing comes back; the committer's link is untouched
      await links.add('ingestor-1', 's3', { type: 'timeout', attributes: { timeout: 0 } }, ['downstream']);
      expect((await timed(head(ingestor))).error).toBeDefined();
      expect((await timed(head(committer))).error).toBeUndefined();
      await links.setDown('committer-a', 's3', true);
      expect((await timed(head(committer))).error).toBeDefined();
      links.front('committer-a').faults = { error: { status: 503, rate: 1, phase: 'before' } };
      await links.healAll();
      expect((await timed(head(ingestor))).error).toBeUndefined();
      expect((await timed(head(committer))).error).toBeUndefined();
      expect(links.front('committer-a').faults).toEqual({});
    } finally {
      await links.close();
    }
    // the run's proxies are gone; the Kafka links stay
    const names = [...(await links.toxiproxy.proxies()).keys()];
    expect(names.filter((n) => n.startsWith(pipeline.config.run))).toEqual([]);
    expect(names).toContain('kafka-link-0');
  });
});

describe('nemesis: randomized fault schedules (CI seeds)', () => {
  it.each(CI_SEEDS)(
    'seed %i: every event once, mirrors = model, logs valid, both readers agree',
    async (seed) => {
      const result = await runNemesis(world, seed, NEMESIS_PROFILES.ci);
      recordRun(session, {
        scenario: 'nemesis: fixed CI seeds',
        events: result.events,
        lost: result.lost,
        deadLettered: result.deadLettered,
        duplicated: result.duplicated,
        recoveryMs: result.recoveryMs,
        note: `seed ${seed}: ${result.labels.join(', ')}`,
        failed: result.failed,
      });
      expect(result.problems).toEqual([]);
      // the run produced and checked something: a steady stream over the whole window
      expect(result.events).toBeGreaterThan(
        (NEMESIS_PROFILES.ci.ratePerSec * NEMESIS_PROFILES.ci.windowMs) / 1000,
      );
    },
  );
});
