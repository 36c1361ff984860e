/**
 * The peer baseline in the same run: the original service's design in plain Python (src/peer.py — confluent-kafka,
 * orjson, pyarrow, `deltalake.write_deltalake`, one Delta commit per 10 000 records, offsets committed after each
 * write) reading the same pre-loaded topic into its own table on the same S3 server. It runs in the bench's venv
 * (`.cache/bench-py`, the pins of bench/requirements.txt). Like the append figure, its throughput is the steady state:
 * the records after its first commit, over the time from it to the end; the time from spawning is kept too.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { Endpoints } from '@delta-writer/e2e/src/harness/services.js';
import type { Progress } from './progress.js';
import { rate } from './stats.js';

export interface PeerResult {
  /** Events per second after its first commit. */
  steadyEventsPerSecond: number;
  /** Events per second from spawning it (Python start, group join included). */
  eventsPerSecond: number;
  ms: number;
  commits: number;
}

export interface PeerOptions {
  python: string;
  root: string;
  endpoints: Endpoints;
  topic: string;
  lastOffsets: Map<number, bigint>;
  /** Change events in the topic (the rest are tombstones), for events/s. */
  events: number;
  tableUri: string;
  timeoutMs: number;
}

interface Line {
  event: 'commit' | 'done' | 'timeout';
  records: number;
}

export async function runPeer(options: PeerOptions, progress: Progress): Promise<PeerResult> {
  const { endpoints } = options;
  const totalRecords = [...options.lastOffsets.values()].reduce((n, o) => n + Number(o) + 1, 0);
  const args = [
    join(options.root, 'bench', 'src', 'peer.py'),
    '--brokers',
    endpoints.kafkaBrokers.join(','),
    '--topic',
    options.topic,
    '--group',
    `bench-peer-${Date.now().toString(36)}`,
    '--table',
    options.tableUri,
    '--last-offsets',
    JSON.stringify(Object.fromEntries([...options.lastOffsets].map(([p, o]) => [p, Number(o)]))),
    '--timeout',
    String(Math.round(options.timeoutMs / 1000)),
  ];
  const started = Date.now();
  const child = spawn(options.python, args, {
    env: {
      PATH: process.env.PATH ?? '',
      DW_S3_ENDPOINT: endpoints.s3.endpoint,
      AWS_ACCESS_KEY_ID: endpoints.s3.accessKeyId,
      AWS_SECRET_ACCESS_KEY: endpoints.s3.secretAccessKey,
      AWS_REGION: endpoints.s3.region,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let first: { at: number; records: number } | undefined;
  let commits = 0;
  let done: number | undefined;
  let err = '';
  let out = '';
  child.stderr.setEncoding('utf8').on('data', (c: string) => {
    err = (err + c).slice(-4000);
  });
  child.stdout.setEncoding('utf8').on('data', (c: string) => {
    out += c;
    for (let nl = out.indexOf('\n'); nl >= 0; nl = out.indexOf('\n')) {
      const line = JSON.parse(out.slice(0, nl)) as Line;
      out = out.slice(nl + 1);
      const at = Date.now();
      if (line.event === 'commit') {
        commits++;
        first ??= { at, records: line.records };
        progress.update(`peer: ${line.records}/${totalRecords} records, ${commits} commits`);
      } else if (line.event === 'done') done = at;
    }
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0 || done === undefined || first === undefined) {
    throw new Error(`the Python peer exited with ${code}: ${err.trim().split('\n').slice(-6).join(' ')}`);
  }
  const ms = done - started;
  const steadyRecords = totalRecords - first.records;
  const steadyEvents = Math.round((options.events * steadyRecords) / totalRecords);
  return {
    steadyEventsPerSecond: rate(steadyEvents, done - first.at),
    eventsPerSecond: rate(options.events, ms),
    ms,
    commits,
  };
}
