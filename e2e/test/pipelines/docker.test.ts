/**
 * Pipeline 3, for machines with a Docker engine (what users try first): a real MongoDB replica set, the Debezium
 * MongoDB connector in Debezium's Kafka Connect image, Kafka and MinIO in containers (testcontainers), the committer
 * pair and two ingestors as local processes. Documents are written with mongosh inside the MongoDB container; the
 * changelog tables must hold every change record once and replay into the collections, read by delta-rs and Spark.
 * Without a reachable Docker engine the file reports one skipped test naming why.
 */
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { type BsonDocument, canonicalKey, parseExtendedJson } from '@delta-writer/bson-arrow';
import {
  GenericContainer,
  getContainerRuntimeClient,
  Network,
  type StartedNetwork,
  type StartedTestContainer,
  Wait,
} from 'testcontainers';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { checkDeltaLog } from '../../src/checks/delta-log.js';
import { plainDoc, describe as show } from '../../src/checks/documents.js';
import { Readers } from '../../src/checks/readers.js';
import { replayChangelog } from '../../src/checks/replay.js';
import { KafkaHelper } from '../../src/harness/kafka.js';
import { Pipeline, runName } from '../../src/harness/pipeline.js';
import { freePort } from '../../src/harness/ports.js';
import { s3Client } from '../../src/harness/s3.js';
import type { Endpoints } from '../../src/harness/services.js';
import { eventually } from '../../src/harness/wait.js';
import { TableWatcher, txnAppId, waitForOffsets } from '../../src/harness/watcher.js';
import { recordRun } from '../../src/results/record.js';

const IMAGES = {
  kafka: 'apache/kafka:4.1.0',
  connect: 'quay.io/debezium/connect:3.6.1.Final',
  mongo: 'mongo:7.0',
  minio: 'minio/minio:RELEASE.2025-04-22T22-12-26Z',
  redis: 'redis:7.4-alpine',
};
const COLLECTIONS = ['customers', 'orders'];
const docker = await getContainerRuntimeClient().then(
  (client) => ({ host: client.info.containerRuntime.host }),
  (err: Error) => err.message,
);

if (typeof docker === 'string') {
  // the one line a machine without Docker gets (the skipped test below carries the same reason)
  process.stderr.write(`e2e: Docker pipeline skipped: no Docker engine reachable (${docker})\n`);
  it.skip(
    `Docker pipeline (MongoDB replica set, Debezium Connect, Kafka, MinIO): no Docker engine reachable — ${docker}`,
  );
} else {
  const run = runName('docker');
  const containers: StartedTestContainer[] = [];
  let network: StartedNetwork;
  let mongo: StartedTestContainer;
  let connectUrl: string;
  let endpoints: Endpoints;
  let pipeline: Pipeline;
  let kafka: KafkaHelper;
  let readers: Readers;

  const start = async (c: GenericContainer) => {
    const started = await c.withNetwork(network).withStartupTimeout(240_000).start();
    containers.push(started);
    return started;
  };
  const mongosh = async (script: string): Promise<string> => {
    const r = await mongo.exec(['mongosh', '--quiet', '--eval', script]);
    if (r.exitCode !== 0) throw new Error(`mongosh: ${r.output}`);
    return r.output.trim();
  };

  beforeAll(async () => {
    network = await new Network().start();
    const kafkaPort = await freePort();
    const [kafkaC, minio, redis] = await Promise.all([
      start(
        new GenericContainer(IMAGES.kafka)
          .withNetworkAliases('kafka')
          .withExposedPorts({ container: 19092, host: kafkaPort })
          .withEnvironment({
            KAFKA_NODE_ID: '1',
            KAFKA_PROCESS_ROLES: 'broker,controller',
            KAFKA_LISTENERS: 'PLAINTEXT://0.0.0.0:9092,CONTROLLER://0.0.0.0:9093,EXTERNAL://0.0.0.0:19092',
            KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://kafka:9092,EXTERNAL://${docker.host}:${kafkaPort}`,
            KAFKA_LISTENER_SECURITY_PROTOCOL_MAP:
              'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,EXTERNAL:PLAINTEXT',
            KAFKA_CONTROLLER_QUORUM_VOTERS: '1@kafka:9093',
            KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
            KAFKA_INTER_BROKER_LISTENER_NAME: 'PLAINTEXT',
            KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
            KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
            KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
            KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
          })
          .withWaitStrategy(Wait.forLogMessage(/Kafka Server started/)),
      ),
      start(
        new GenericContainer(IMAGES.minio)
          .withExposedPorts(9000)
          .withEnvironment({ MINIO_ROOT_USER: 'deltawriter', MINIO_ROOT_PASSWORD: 'deltawriter-secret' })
          .withCommand(['server', '/data'])
          .withWaitStrategy(Wait.forHttp('/minio/health/live', 9000)),
      ),
      start(
        new GenericContainer(IMAGES.redis)
          .withExposedPorts(6379)
          .withWaitStrategy(Wait.forLogMessage(/Ready to accept/)),
      ),
      start(
        new GenericContainer(IMAGES.mongo)
          .withNetworkAliases('mongo')
          .withCommand(['--replSet', 'rs0', '--bind_ip_all'])
          .withWaitStrategy(Wait.forLogMessage(/Waiting for connections/)),
      ).then((m) => {
        mongo = m;
      }),
    ]);
    await mongosh(`rs.initiate({ _id: 'rs0', members: [{ _id: 0, host: 'mongo:27017' }] })`);
    await eventually('the replica set to have a primary', async () =>
      (await mongosh('db.hello().isWritablePrimary')) === 'true' ? true : undefined,
    );
    const connect = await start(
      new GenericContainer(IMAGES.connect)
        .withExposedPorts(8083)
        .withEnvironment({
          BOOTSTRAP_SERVERS: 'kafka:9092',
          GROUP_ID: 'dw',
          CONFIG_STORAGE_TOPIC: 'dw_connect_configs',
          OFFSET_STORAGE_TOPIC: 'dw_connect_offsets',
          STATUS_STORAGE_TOPIC: 'dw_connect_statuses',
        })
        .withWaitStrategy(Wait.forHttp('/connectors', 8083)),
    );
    connectUrl = `http://${connect.getHost()}:${connect.getMappedPort(8083)}`;
    endpoints = {
      kafkaBrokers: [`${kafkaC.getHost()}:${kafkaPort}`],
      s3: {
        endpoint: `http://${minio.getHost()}:${minio.getMappedPort(9000)}`,
        bucket: 'lake',
        region: 'us-east-1',
        accessKeyId: 'deltawriter',
        secretAccessKey: 'deltawriter-secret',
      },
      redisUrl: `redis://${redis.getHost()}:${redis.getMappedPort(6379)}`,
    };
    await s3Client(endpoints).send(new CreateBucketCommand({ Bucket: 'lake' }));
    readers = new Readers(endpoints);
    readers.startSpark();
    kafka = new KafkaHelper(endpoints.kafkaBrokers);
    await kafka.connect();
    pipeline = Pipeline.create(run, endpoints);
    for (const c of COLLECTIONS) await kafka.createTopic(`${run}.shop.${c}`, 3);
    await kafka.createTopic(pipeline.config.dlqTopic, 1);
    await pipeline.start({ committers: 2, ingestors: 2 });
  }, 900_000);

  afterAll(async () => {
    await pipeline?.stop();
    await kafka?.close();
    await readers?.close();
    for (const c of containers.reverse()) await c.stop().catch(() => undefined);
    await network?.stop().catch(() => undefined);
  });

  describe('MongoDB → Debezium → Kafka → Delta on Docker', () => {
    it('lands every change once and replays into each collection', async () => {
      // existing documents: the connector's initial snapshot reads them
      await mongosh(`const s = db.getSiblingDB('shop');
        for (let i = 0; i < 20; i++) {
          s.customers.insertOne({ _id: ObjectId(), name: 'c' + i, tags: ['new'], address: { city: 'Lisbon' }, visits: NumberLong(i) });
          s.orders.insertOne({ _id: i, total: NumberDecimal('10.50'), items: [{ sku: 'A', qty: 1 }], at: new Date() });
        }`);
      const res = await fetch(`${connectUrl}/connectors/${run}/config`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          'connector.class': 'io.debezium.connector.mongodb.MongoDbConnector',
          'mongodb.connection.string': 'mongodb://mongo:27017/?replicaSet=rs0',
          'topic.prefix': run,
          'collection.include.list': COLLECTIONS.map((c) => `shop.${c}`).join(','),
        }),
      });
      expect(res.status).toBeLessThan(300);
      // a stream of changes, each changing something (an update that changes nothing has no event)
      await mongosh(`const s = db.getSiblingDB('shop');
        for (let i = 0; i < 300; i++) {
          const c = s.customers.aggregate([{ $sample: { size: 1 } }]).toArray()[0];
          const r = Math.random();
          if (r < 0.4) s.customers.insertOne({ _id: ObjectId(), name: 'n' + i, tags: [], address: { city: 'Osaka', geo: { lat: 1.5 } } });
          else if (r < 0.8) s.customers.updateOne({ _id: c._id }, { $set: { 'address.city': 'c' + i }, $inc: { visits: 1 }, $push: { tags: 't' + i } });
          else if (r < 0.9) s.customers.replaceOne({ _id: c._id }, { name: 'replaced ' + i, vip: true });
          else s.customers.deleteOne({ _id: c._id });
          if (i % 3 === 0) s.orders.updateOne({ _id: i % 20 }, { $set: { status: 'paid', 'items.0.qty': i } });
        }`);
      // every document as the collection holds it now, canonical Extended JSON
      const collections = new Map<string, BsonDocument[]>();
      for (const c of COLLECTIONS) {
        const text = await mongosh(
          `EJSON.stringify(db.getSiblingDB('shop').${c}.find().toArray(), { relaxed: false })`,
        );
        collections.set(c, parseExtendedJson(text) as BsonDocument[]);
      }
      // Debezium is done when the topics stop growing
      let last = -1n;
      await eventually(
        'the connector to catch up',
        async () => {
          let total = 0n;
          for (const c of COLLECTIONS)
            for (const e of (await kafka.endOffsets(`${run}.shop.${c}`)).values()) total += e;
          const settled = total > 0n && total === last;
          last = total;
          return settled ? true : undefined;
        },
        { timeoutMs: 300_000, intervalMs: 5000 },
      );

      const s3 = s3Client(endpoints);
      let events = 0;
      let lost = 0;
      let duplicated = 0;
      const problems: string[] = [];
      for (const c of COLLECTIONS) {
        const topic = `${run}.shop.${c}`;
        const path = `${pipeline.config.basePath}/shop/${c}`;
        const records = (await kafka.readAll(topic)).filter((r) => r.value !== null);
        const targets = new Map<string, bigint>();
        for (const r of records) {
          const id = txnAppId(pipeline.config.group, topic, r.partition);
          if ((targets.get(id) ?? -1n) < r.offset) targets.set(id, r.offset);
        }
        await waitForOffsets(
          new Map([[path, new TableWatcher(s3, 'lake', path)]]),
          new Map([[path, targets]]),
          {
            diagnose: () => pipeline.diagnose(),
          },
        );
        const log = await checkDeltaLog({ s3, bucket: 'lake', path });
        problems.push(...log.problems);
        const read = await readers.read(`s3://lake/${path}`);
        if (read.disagreement) problems.push(read.disagreement);
        const seen = new Map<string, number>();
        for (const row of read.rows) {
          const at = `${row._kafka_partition}@${row._kafka_offset}`;
          seen.set(at, (seen.get(at) ?? 0) + 1);
        }
        events += records.length;
        lost += records.filter((r) => !seen.has(`${r.partition}@${r.offset}`)).length;
        duplicated += [...seen.values()].reduce((n, k) => n + k - 1, 0);
        const replayed = replayChangelog(read.rows, log.fields);
        for (const doc of collections.get(c) ?? []) {
          const key = canonicalKey(doc.get('_id') ?? null);
          const want = plainDoc(doc);
          if (JSON.stringify(replayed.get(key)) !== JSON.stringify(want)) {
            problems.push(
              `${c} ${key}: replayed ${show(replayed.get(key))}, the collection holds ${show(want)}`,
            );
          }
        }
        if (replayed.size !== (collections.get(c)?.length ?? 0))
          problems.push(`${c}: replay has ${replayed.size} documents`);
      }
      recordRun(inject('e2eSession'), {
        scenario: 'pipeline: Docker (MongoDB + Debezium)',
        events,
        lost,
        duplicated,
      });
      expect({ lost, duplicated, problems: problems.slice(0, 10) }).toEqual({
        lost: 0,
        duplicated: 0,
        problems: [],
      });
    }, 900_000);
  });
}
