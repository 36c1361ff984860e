/**
 * `pnpm --filter @delta-writer/e2e test:soak --minutes=30 --rate=2000`: the pipeline under a steady load with no
 * faults, on the private stack — two committers and two ingestors writing mirror and changelog tables — with the
 * resident memory of every process sampled (the services, Kafka, the S3 server, Redis, and this load generator),
 * the commit lag followed, and at the end everything drained and counted: each changelog holds every event once
 * (Spark SQL over the whole table), each mirror one live row per key, every txn at its partition's last offset.
 * The report says per process whether memory stayed flat after the warm-up (soak/memory.ts).
 */
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readersEnv, startSpark } from '@delta-writer/test-readers';
import { Workload } from '../generator/workload.js';
import { assertFreeSpace, HEADROOM_BYTES, SOAK_BYTES_PER_EVENT } from '../harness/disk.js';
import { FaultStack, type Service } from '../harness/fault-stack.js';
import { KafkaHelper } from '../harness/kafka.js';
import { MongoSource } from '../harness/mongo-source.js';
import { logDir, REPO_ROOT } from '../harness/paths.js';
import { Pipeline, runName } from '../harness/pipeline.js';
import { deletePrefix, s3Client } from '../harness/s3.js';
import { sleep } from '../harness/wait.js';
import { TableWatcher, txnAppId, waitForOffsets } from '../harness/watcher.js';
import { saveSection } from '../nemesis/report.js';
import { nemesisCollections } from '../nemesis/run.js';
import { HEAP_COLUMNS, type HeapSeries, heapRow, readHeap, trendCell } from './heap.js';
import { DEFAULT_RULE, memoryVerdict, type Sample } from './memory.js';
import { inRound, makePool, type PooledRecord } from './pool.js';
import { PART_COLUMNS, type ResidentParts, readResidentParts } from './smaps.js';

const USAGE = `usage: test:soak [--minutes=30] [--rate=2000] [--mode=both|append] [--pool-seconds=60] [--record] [--keep-stack]
                 [--service-env=KEY=VALUE …]
  --service-env  an environment variable for every committer and ingestor (repeat it for more), e.g. to compare
                 MALLOC_ARENA_MAX=2 with the default in the same harness; the report names them`;

function parse() {
  const { values } = parseArgs({
    options: {
      minutes: { type: 'string', default: '30' },
      rate: { type: 'string', default: '2000' },
      mode: { type: 'string', default: 'both' },
      'pool-seconds': { type: 'string', default: '60' },
      seed: { type: 'string', default: '20' },
      record: { type: 'boolean', default: false },
      'keep-stack': { type: 'boolean', default: false },
      'service-env': { type: 'string', multiple: true, default: [] },
    },
    strict: true,
  });
  const whole = (name: string, text: string, min: number, max: number) => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new Error(`--${name}=${text}: want a whole number from ${min} to ${max}\n${USAGE}`);
    return n;
  };
  if (values.mode !== 'both' && values.mode !== 'append') throw new Error(`--mode=${values.mode}\n${USAGE}`);
  return {
    minutes: whole('minutes', values.minutes, 1, 24 * 60),
    rate: whole('rate', values.rate, 1, 50_000),
    mode: values.mode as 'both' | 'append',
    poolSeconds: whole('pool-seconds', values['pool-seconds'], 5, 600),
    seed: whole('seed', values.seed, 0, 2 ** 31 - 1),
    serviceEnv: Object.fromEntries(
      values['service-env'].map((kv) => {
        const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(kv);
        if (!m) throw new Error(`--service-env=${kv}: want KEY=VALUE\n${USAGE}`);
        return [m[1] as string, m[2] as string];
      }),
    ) as Record<string, string>,
    record: values.record,
    keepStack: values['keep-stack'],
  };
}

const rssOf = (pid: number | undefined): number | undefined => {
  if (pid === undefined) return undefined;
  try {
    const kb = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? undefined : Number(kb) * 1024;
  } catch {
    return undefined;
  }
};

async function main(): Promise<number> {
  const a = parse();
  const started = new Date();
  // the checks at the end read with Spark: a machine without the readers fails now, not after the soak
  readersEnv();
  const stack = new FaultStack();
  assertFreeSpace(
    stack.data,
    a.rate * a.minutes * 60 * SOAK_BYTES_PER_EVENT + HEADROOM_BYTES,
    `a ${a.minutes} min soak at ${a.rate} events/s`,
  );
  const endpoints = await stack.up('redis', 's3', 'kafka');
  const run = runName('soak');
  const dir = logDir(run);
  const csv = join(dir, 'samples.csv');
  const say = (line: string) => process.stderr.write(`soak: ${line}\n`);
  say(`${a.minutes} min at ${a.rate} events/s, mode ${a.mode}; logs and samples in ${dir}`);

  const pipeline = Pipeline.create(run, endpoints, {
    writeMode: a.mode,
    committerEnv: a.serviceEnv,
    ingestorEnv: a.serviceEnv,
  });
  const workload = new Workload({
    prefix: run,
    collections: nemesisCollections(),
    seed: a.seed,
    plannedEvents: a.rate * a.poolSeconds,
  });
  const kafka = new KafkaHelper(endpoints.kafkaBrokers);
  const source = new MongoSource(kafka, workload, pipeline);
  const s3 = s3Client(endpoints);
  await kafka.connect();
  await source.createTopics();
  await source.produce(workload.snapshot(10));
  say(`generating a pool of ${a.rate * a.poolSeconds} events`);
  const pool = makePool(workload, a.rate * a.poolSeconds);
  const poolEvents = pool.filter((r) => r.value !== null).length;
  await pipeline.start({ committers: 2, ingestors: 2 });

  // what was produced: per topic and partition the last offset, per topic the events (the snapshot's included)
  const last = new Map<string, Map<number, bigint>>();
  const events = new Map<string, number>();
  for (const topic of workload.topics) {
    last.set(topic, new Map(source.ledger.lastOffsets(topic)));
    events.set(topic, source.ledger.changes(topic).length);
  }
  const tables = source.tablePaths();
  const watchers = new Map(tables.map((p) => [p, new TableWatcher(s3, endpoints.s3.bucket, p)]));
  const poller = setInterval(() => {
    for (const w of watchers.values()) w.poll().catch(() => undefined);
  }, 1_000);
  const lag = () => {
    let behind = 0n;
    for (const topic of workload.topics) {
      const w = watchers.get(source.tablePath(topic));
      for (const [partition, offset] of last.get(topic) ?? []) {
        const have = w?.txns.get(txnAppId(pipeline.consumerGroupOf(topic), topic, partition)) ?? -1n;
        if (have < offset) behind += offset - have;
      }
    }
    return Number(behind);
  };

  const processes = (): [string, number | undefined][] => [
    ...[...pipeline.committers.values(), ...pipeline.ingestors.values()].map(
      (p) => [p.name, p.pid] as [string, number | undefined],
    ),
    ...(['kafka', 's3', 'redis'] as Service[]).map((s) => [s, stack.pid(s)] as [string, number | undefined]),
    ['load generator', process.pid],
  ];
  const names = processes().map(([n]) => n);
  const services = [...pipeline.committers.keys(), ...pipeline.ingestors.keys()];
  const heaps = new Map<string, HeapSeries>(services.map((n) => [n, []]));
  const heapCsv = join(dir, 'heap.csv');
  const smapsCsv = join(dir, 'smaps.csv');
  const parts = new Map<string, Array<{ t: number } & ResidentParts>>(services.map((n) => [n, []]));
  const samples = new Map<string, Sample[]>(names.map((n) => [n, []]));
  const lags: number[] = [];
  mkdirSync(dir, { recursive: true });
  appendFileSync(heapCsv, `t_ms,process,${HEAP_COLUMNS.map(([k]) => k).join(',')}\n`);
  appendFileSync(smapsCsv, `t_ms,process,${PART_COLUMNS.map(([k]) => k).join(',')}\n`);
  appendFileSync(
    csv,
    `t_ms,produced,missed,lag,load1,${names.map((n) => `rss_${n.replace(/ /g, '_')}`).join(',')}\n`,
  );
  let produced = 0;
  /** Events due that the producer let go when it fell behind (below). */
  let missed = 0;
  const t0 = Date.now();
  const sampler = setInterval(() => {
    const t = Date.now() - t0;
    const row: (number | string)[] = [t, produced, missed, lag(), loadavg()[0]?.toFixed(2) ?? ''];
    for (const [name, pid] of processes()) {
      const bytes = rssOf(pid);
      if (bytes !== undefined) samples.get(name)?.push({ t, bytes });
      row.push(bytes ?? '');
    }
    lags.push(row[3] as number);
    appendFileSync(csv, `${row.join(',')}\n`);
    for (const name of services) {
      const url = pipeline.metricsUrl(name);
      if (!url) continue;
      void readHeap(url).then((h) => {
        if (!h) return;
        heaps.get(name)?.push({ t, ...h });
        appendFileSync(heapCsv, `${t},${name},${HEAP_COLUMNS.map(([k]) => h[k] ?? '').join(',')}\n`);
      });
    }
    // smaps of a 1 GiB process is thousands of lines: every 30 s is enough for a trend
    if (Math.round(t / 10_000) % 3 === 0) {
      for (const name of services) {
        const p = readResidentParts(processes().find(([n]) => n === name)?.[1]);
        if (!p) continue;
        parts.get(name)?.push({ t, ...p });
        appendFileSync(smapsCsv, `${t},${name},${PART_COLUMNS.map(([k]) => p[k]).join(',')}\n`);
      }
    }
  }, 10_000);

  // the steady producer: every 100 ms whatever the rate says is due, from the pool in order. More than 2 s
  // behind (this process starved of CPU), it produces 1 s worth and lets the rest go — counted as `missed` — so a
  // stall never turns into a burst of minutes' worth of events in one go.
  let next = 0;
  let round = 0;
  let deadline = t0 + a.minutes * 60_000;
  let lastReport = t0;
  const stopEarly = (signal: string) => {
    say(`${signal}: producing stops now; then the drain, the checks and the report`);
    deadline = Date.now();
  };
  process.once('SIGINT', () => stopEarly('SIGINT'));
  process.once('SIGTERM', () => stopEarly('SIGTERM'));
  while (Date.now() < deadline) {
    let due = Math.floor((a.rate * (Date.now() - t0)) / 1000) - produced - missed;
    if (due > 2 * a.rate) {
      missed += due - a.rate;
      due = a.rate;
    }
    if (due > 0) {
      const batch = new Map<string, PooledRecord[]>();
      let n = 0;
      while (n < due) {
        const r = pool[next] as PooledRecord;
        const list = batch.get(r.topic) ?? [];
        list.push({ ...r, value: inRound(r.value, round) });
        batch.set(r.topic, list);
        if (r.value !== null) n++;
        if (++next === pool.length) {
          next = 0;
          round++;
        }
      }
      await Promise.all(
        [...batch].map(async ([topic, records]) => {
          const offsets = await kafka.produce(topic, records);
          const lastOf = last.get(topic) as Map<number, bigint>;
          records.forEach((r, i) => {
            const o = offsets[i] as bigint;
            if ((lastOf.get(r.partition) ?? -1n) < o) lastOf.set(r.partition, o);
          });
          events.set(topic, (events.get(topic) ?? 0) + records.filter((r) => r.value !== null).length);
        }),
      );
      produced += n;
    }
    if (Date.now() - lastReport > 60_000) {
      lastReport = Date.now();
      say(
        `${((Date.now() - t0) / 60_000).toFixed(0)} min: ${produced} events (${(produced / ((Date.now() - t0) / 1000)).toFixed(0)}/s), ${missed} missed, lag ${lag()} records, load ${loadavg()[0]?.toFixed(1)}`,
      );
    }
    await sleep(100);
  }
  const producedFor = (Date.now() - t0) / 1000;
  say(`producing stopped: ${produced} events in ${producedFor.toFixed(0)} s; draining`);
  const stopAt = Date.now();
  const targets = new Map<string, Map<string, bigint>>();
  for (const topic of workload.topics) {
    const want = new Map(
      [...(last.get(topic) ?? [])].map(([p, o]) => [txnAppId(pipeline.consumerGroupOf(topic), topic, p), o]),
    );
    targets.set(source.tablePath(topic), want);
    const mirror = source.mirrorPath(topic);
    if (mirror) targets.set(mirror, want);
  }
  const problems: string[] = [];
  const drained = await waitForOffsets(watchers, targets, {
    timeoutMs: 15 * 60_000,
    diagnose: () => pipeline.diagnose(),
  }).catch((err: Error) => {
    problems.push(`not drained 15 min after the load stopped: ${err.message}`);
    return undefined;
  });
  clearInterval(sampler);
  clearInterval(poller);

  // counts over whole tables with Spark SQL (a row-by-row read of millions of rows is not what a soak is for)
  const counts: string[] = [];
  const spark = await startSpark({
    env: {
      DW_S3_ENDPOINT: endpoints.s3.endpoint,
      AWS_ACCESS_KEY_ID: endpoints.s3.accessKeyId,
      AWS_SECRET_ACCESS_KEY: endpoints.s3.secretAccessKey,
      AWS_REGION: endpoints.s3.region,
    },
    startTimeoutMs: 400_000,
  });
  try {
    for (const topic of workload.topics) {
      const table = `delta.\`s3a://${endpoints.s3.bucket}/${source.tablePath(topic)}\``;
      const q = await spark.sql(
        `SELECT count(*) AS n, count(DISTINCT _kafka_partition, _kafka_offset) AS positions FROM ${table}`,
      );
      const row = q.rows[0] as { n: string; positions: string };
      const want = events.get(topic) ?? 0;
      counts.push(`${source.tablePath(topic)}: ${row.n} rows, ${row.positions} positions, ${want} events`);
      if (Number(row.n) !== want || Number(row.positions) !== want)
        problems.push(`changelog ${topic}: ${row.n} rows at ${row.positions} positions for ${want} events`);
      const mirror = source.mirrorPath(topic);
      if (mirror) {
        const m = await spark.sql(
          `SELECT count(*) AS n, count(DISTINCT _cdc_key) AS keys FROM delta.\`s3a://${endpoints.s3.bucket}/${mirror}\``,
        );
        const mr = m.rows[0] as { n: string; keys: string };
        counts.push(`${mirror}: ${mr.n} live rows, ${mr.keys} keys`);
        if (mr.n !== mr.keys) problems.push(`mirror ${mirror}: ${mr.n} live rows for ${mr.keys} keys`);
      }
    }
  } finally {
    await spark.close();
  }
  const dead = [...pipeline.committers.values(), ...pipeline.ingestors.values()].filter((p) => !p.running);
  for (const p of dead) problems.push(`${p.name} exited during the soak: ${p.tail(3)}`);
  await pipeline.stop();
  await kafka.close({ deleteTopics: problems.length === 0 });
  if (problems.length === 0) await deletePrefix(s3, endpoints.s3.bucket, `${pipeline.config.basePath}/`);
  if (!a.keepStack) await stack.stopAll();

  const mib = (b: number) => (Number.isNaN(b) ? '—' : `${(b / 2 ** 20).toFixed(0)}`);
  const minutesMarks = [5, 10, 15, 20, 25, 30].filter((m) => m <= a.minutes);
  const at = (list: Sample[], min: number) =>
    list.reduce<Sample | undefined>(
      (best, s) => (!best || Math.abs(s.t - min * 60_000) < Math.abs(best.t - min * 60_000) ? s : best),
      undefined,
    );
  const rows = names.map((name) => {
    const list = samples.get(name) ?? [];
    const v = memoryVerdict(list);
    const floor = `${mib(v.floorStartBytes)} → ${mib(v.floorEndBytes)}${v.floorFlat ? '' : ' (**grew**)'}`;
    return `| ${name} | ${minutesMarks.map((m) => mib(at(list, m)?.bytes ?? Number.NaN)).join(' | ')} | ${mib(v.maxBytes)} | ${floor} | ${(v.slopePerHour / 2 ** 20).toFixed(1)} | ${v.flat ? 'flat' : '**not flat**'}: ${v.why} |`;
  });
  const sortedLags = [...lags].sort((x, y) => x - y);
  const section = [
    `## ${started.toISOString()} — soak: ${a.minutes} min at ${a.rate} events/s, no faults (\`test:soak\`)`,
    '',
    `Two committers and two ingestors (\`DELTA_WRITE_MODE=${a.mode}\`${Object.entries(a.serviceEnv)
      .map(([k, v]) => `, \`${k}=${v}\``)
      .join(
        '',
      )}), two collections of three partitions, on the private stack; a pool of ${poolEvents} generated events played in rounds (soak/pool.ts). Produced ${produced} events in ${producedFor.toFixed(0)} s = **${(produced / producedFor).toFixed(0)} events/s**${missed > 0 ? ` (${missed} events due were let go when the load generator fell more than 2 s behind)` : ''}; commit lag (records produced but not yet in the changelogs) median ${sortedLags[Math.floor(sortedLags.length / 2)] ?? '—'}, max ${sortedLags.at(-1) ?? '—'}; drained ${drained === undefined ? 'never' : `${((drained - stopAt) / 1000).toFixed(1)} s`} after the load stopped. Load average ${loadavg()[0]?.toFixed(1)} at the end on ${availableParallelism()} CPUs. Samples every 10 s: \`${csv.replace(`${REPO_ROOT}/`, '')}\`.`,
    '',
    `RSS in MiB at each mark; flat = after a ${DEFAULT_RULE.warmupMs / 60_000} min warm-up the median of the last ${DEFAULT_RULE.stretchMs / 60_000} min is within max(${DEFAULT_RULE.toleranceBytes / 2 ** 20} MiB, ${DEFAULT_RULE.toleranceShare * 100} %) of the first ${DEFAULT_RULE.stretchMs / 60_000} min and so is the least-squares trend. The floor is the lowest sample of the first and of the last ${DEFAULT_RULE.stretchMs / 60_000} min (what the process keeps once its collector gave memory back: a leak raises it, a busier stretch only the median):`,
    '',
    `| process | ${minutesMarks.map((m) => `${m} min`).join(' | ')} | max | floor | slope MiB/h | verdict |`,
    `| --- | ${minutesMarks.map(() => '---').join(' | ')} | --- | --- | --- | --- |`,
    ...rows,
    '',
    `JavaScript memory of the services, from their metrics (\`${heapCsv.replace(`${REPO_ROOT}/`, '')}\`): the main thread's heap in use and committed (V8 keeps free pages), its external memory and its WebAssembly heap (parquet-wasm), and the same for the committer's maintenance worker thread as of its last task (0 once it ended), MiB, median of the first → the last ${DEFAULT_RULE.stretchMs / 60_000} min after the warm-up (RSS that grows while these stay flat is native memory: the allocator):`,
    '',
    `| process | ${HEAP_COLUMNS.map(([, title]) => title).join(' | ')} |`,
    `| --- | ${HEAP_COLUMNS.map(() => '---').join(' | ')} |`,
    ...services.map((name) => heapRow(name, heaps.get(name) ?? [])),
    '',
    `Where the resident set lives, from \`/proc/<pid>/smaps\` every 30 s (\`${smapsCsv.replace(`${REPO_ROOT}/`, '')}\`, soak/smaps.ts), MiB, same medians:`,
    '',
    `| process | ${PART_COLUMNS.map(([, title]) => title).join(' | ')} |`,
    `| --- | ${PART_COLUMNS.map(() => '---').join(' | ')} |`,
    ...services.map(
      (name) => `| ${name} | ${PART_COLUMNS.map(([k]) => trendCell(parts.get(name) ?? [], k)).join(' | ')} |`,
    ),
    '',
    `Checks: ${problems.length === 0 ? 'passed' : `**failed**: ${problems.join('; ')}`} — ${counts.join('; ')}.`,
    '',
  ].join('\n');
  process.stdout.write(`\n${section}\n`);
  if (a.record) say(`saved to ${saveSection(started.toISOString().slice(0, 10), section)}`);
  return problems.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`soak: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(2);
  },
);
