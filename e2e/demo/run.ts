/**
 * The demo pipeline (`./dw demo`, after scripts/demo.sh started the local stack and built everything): a committer
 * leader and its standby, two ingestors, then MongoDB-shaped Debezium change events for three collections produced
 * to Kafka with a progress display, and finally the Delta tables read back — versions, schema, row counts and a few
 * rows with delta-log's CLI, and the row counts again with delta-rs when the readers are set up.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DeltaTable, S3Storage } from '@delta-writer/delta-log';
import { faultCollections } from '../src/faults/bench.js';
import { randomSeed } from '../src/generator/random.js';
import { Workload } from '../src/generator/workload.js';
import { KafkaHelper } from '../src/harness/kafka.js';
import { MongoSource } from '../src/harness/mongo-source.js';
import { REPO_ROOT } from '../src/harness/paths.js';
import { Pipeline, runName } from '../src/harness/pipeline.js';
import { endpointsOf, s3Client } from '../src/harness/s3.js';
import { sleep } from '../src/harness/wait.js';
import { TableWatcher } from '../src/harness/watcher.js';
import { stackEnv } from '../src/stack.js';

const EVENTS = Number(process.env.DEMO_EVENTS ?? 6000);
const run = promisify(execFile);
const say = (line = '') => process.stdout.write(`${line}\n`);
const tty = process.stdout.isTTY;

async function main(): Promise<void> {
  const env = stackEnv();
  const endpoints = endpointsOf(env);
  const name = runName('demo');
  const pipeline = Pipeline.create(name, endpoints, { basePath: `demo/${name}` });
  const kafka = new KafkaHelper(endpoints.kafkaBrokers);
  const workload = new Workload({
    prefix: name,
    collections: faultCollections(3),
    seed: randomSeed(),
    plannedEvents: EVENTS,
  });
  const source = new MongoSource(kafka, workload, pipeline);
  const s3 = s3Client(endpoints);
  const watchers = workload.topics.map((t) => new TableWatcher(s3, endpoints.s3.bucket, source.tablePath(t)));

  say(`Delta Writer demo — run ${name} (process logs in ${pipeline.logs})`);
  await kafka.connect();
  await source.createTopics();
  say(`topics: ${workload.topics.join(', ')} (3 partitions each)`);
  say('starting committer-a (leader), committer-b (standby), ingestor-1, ingestor-2 …');
  await pipeline.start({ committers: 2, ingestors: 2 });
  const leader = await pipeline.leader();
  say(
    `running: ${leader.name} leads; ${pipeline.running('ingestors').length} ingestors share the partitions`,
  );
  say();

  try {
    await source.produce(workload.snapshot(50));
    const rounds = 30;
    for (let i = 1; i <= rounds; i++) {
      await source.produce(workload.step(Math.ceil(EVENTS / rounds)));
      await progress(source, watchers, false);
      await sleep(200);
    }
    const deadline = Date.now() + 180_000;
    while (!(await progress(source, watchers, false)) && Date.now() < deadline) await sleep(500);
    await progress(source, watchers, true);
    say();
    await showTables(source, endpoints.s3.bucket);
  } finally {
    say('stopping the ingestors and committers (SIGTERM: they drain and leave) …');
    await pipeline.stop();
    await kafka.close({ deleteTopics: false });
  }
  say(
    `the tables stay in s3://${endpoints.s3.bucket}/${pipeline.config.basePath}/ — the stack keeps running (./dw stack down)`,
  );
}

/** One progress line: records produced and committed, per table version. Returns whether all is committed. */
async function progress(source: MongoSource, watchers: TableWatcher[], final: boolean): Promise<boolean> {
  await Promise.all(watchers.map((w) => w.poll()));
  const { events, tombstones } = source.ledger.count();
  let produced = 0n;
  let committed = 0n;
  for (const [path, want] of source.targets()) {
    const w = watchers.find((x) => x.path === path);
    for (const [appId, last] of want) {
      produced += last + 1n;
      committed += (w?.txns.get(appId) ?? -1n) + 1n;
    }
  }
  const width = 30;
  const done = produced === 0n ? 0 : Number((committed * BigInt(width)) / produced);
  const versions = watchers.map((w) => `${w.path.split('/').pop()} v${w.version}`).join(', ');
  const line = `[${'#'.repeat(done)}${'.'.repeat(width - done)}] ${committed}/${produced} records committed (${events} change events, ${tombstones} tombstones) · ${versions}`;
  if (tty && !final) process.stdout.write(`\r${line}`);
  else if (final || !tty) say(tty ? `\r${line}` : line);
  return produced > 0n && committed >= produced;
}

async function showTables(source: MongoSource, bucket: string): Promise<void> {
  const storage = new S3Storage({
    bucket,
    clientConfig: {
      endpoint: process.env.DW_S3_ENDPOINT ?? stackEnv().s3.endpoint,
      forcePathStyle: true,
      region: stackEnv().s3.region,
      credentials: { accessKeyId: stackEnv().s3.accessKeyId, secretAccessKey: stackEnv().s3.secretAccessKey },
    },
  });
  for (const topic of source.ledger.topics) {
    const path = source.tablePath(topic);
    const table = await DeltaTable.open(storage, path);
    const snap = table.snapshot;
    const rows = snap.files().reduce((n, f) => n + statsRecords(f.stats), 0);
    const expected = source.ledger.changes(topic).length;
    say(`── s3://${bucket}/${path}`);
    say(
      `   version ${snap.version} · ${snap.numFiles} files · ${rows} rows (${expected} change events produced)`,
    );
    const columns = snap.schema.fields.map((f) => `${f.name} ${typeName(f.type)}`);
    say(`   schema: ${columns.join(', ')}`);
    say('   a few rows (delta-log scan):');
    for (const line of await scan(`s3://${bucket}/${path}`)) say(`     ${line}`);
    const rs = await deltaRsCount(`s3://${bucket}/${path}`);
    if (rs !== undefined) say(`   delta-rs reads ${rs} rows${rs === rows ? ' — the same' : ' — DIFFERENT'}`);
    say();
  }
}

function statsRecords(stats: string | undefined | null): number {
  return stats ? ((JSON.parse(stats) as { numRecords?: number }).numRecords ?? 0) : 0;
}

function typeName(t: unknown): string {
  if (typeof t === 'string') return t;
  const x = t as {
    type: string;
    fields?: { name: string; type: unknown }[];
    elementType?: unknown;
    precision?: number;
    scale?: number;
  };
  if (x.type === 'struct')
    return `struct<${(x.fields ?? []).map((f) => `${f.name}: ${typeName(f.type)}`).join(', ')}>`;
  if (x.type === 'array') return `array<${typeName(x.elementType)}>`;
  if (x.type === 'decimal') return `decimal(${x.precision},${x.scale})`;
  return x.type;
}

/** Three rows through delta-log's command line, the data columns and the change's operation. */
async function scan(uri: string): Promise<string[]> {
  const bin = join(REPO_ROOT, 'packages', 'delta-log', 'dist', 'bin.js');
  const { stdout } = await run(process.execPath, [bin, 'scan', uri, '--limit', '3'], { maxBuffer: 16 << 20 });
  return stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const row = JSON.parse(line) as Record<string, unknown>;
      const shown = Object.fromEntries(
        Object.entries(row).filter(
          ([k, v]) => v !== null && (!k.startsWith('_') || k === '_id' || k === '_cdc_op'),
        ),
      );
      const text = JSON.stringify(shown);
      return text.length > 220 ? `${text.slice(0, 220)}…` : text;
    });
}

/** Row count by delta-rs, when tools/readers is set up (bash tools/readers/setup.sh); otherwise undefined. */
async function deltaRsCount(uri: string): Promise<number | undefined> {
  if (!process.env.DW_PYTHON && !existsSync(join(REPO_ROOT, '.data', 'readers.env'))) return undefined;
  try {
    const { readWithDeltaRs } = await import('@delta-writer/test-readers');
    return (await readWithDeltaRs(uri)).numRows;
  } catch {
    return undefined;
  }
}

main().catch((err: Error) => {
  process.stderr.write(`demo failed: ${err.message}\n`);
  process.exit(1);
});
