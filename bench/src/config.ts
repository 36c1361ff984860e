/**
 * Run settings: environment variables `BENCH_*`, or the same as flags (`--events=200000` is BENCH_EVENTS). The
 * defaults keep a run to a few minutes on a 2-core machine; bigger sizes are a flag away.
 */
export interface BenchConfig {
  /** Change events pre-loaded in Kafka for the append runs and the baselines. */
  events: number;
  partitions: number;
  /** Distinct generated events, repeated to `events` (generating costs ~0.3 ms each). */
  pool: number;
  /** Ingestor counts of the append runs. */
  ingestors: number[];
  /** Producer rates of the latency runs, events/s: the goals' 10k and 20k, and a light one. */
  latencyRates: number[];
  latencySeconds: number;
  latencyIngestors: number;
  latencyDrainSeconds: number;
  /** End-to-end upsert: mirror table size loaded through the pipeline, then change events measured. */
  upsertE2eRows: number;
  upsertE2eEvents: number;
  /** Committer-path upsert bench: table sizes. */
  upsertSizes: number[];
  upsertCommits: number;
  committerSeconds: number;
  /** Steps to leave out: peer, append, latency, upsert-e2e, committer, upsert. */
  skip: Set<string>;
  /** Extra settings for every ingestor: `KEY=value,KEY=value`. */
  ingestorEnv: Record<string, string>;
  timeoutSeconds: number;
  /** BENCH_PROFILE=<dir>: CPU profiles of every service thread go there, summarized at the end. */
  profileDir: string | undefined;
  keepTables: boolean;
  /** Folder of the report files; default bench/results. */
  out: string | undefined;
}

/** `--some-name=value` → `BENCH_SOME_NAME=value`; a bare `--flag` is `1`. */
export function flagsToEnv(argv: readonly string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const arg of argv) {
    const m = /^--([a-z][a-z0-9-]*)(?:=(.*))?$/.exec(arg);
    if (!m) throw new Error(`unknown argument ${arg}: flags look like --events=200000 (see bench/README.md)`);
    env[`BENCH_${(m[1] as string).replaceAll('-', '_').toUpperCase()}`] = m[2] ?? '1';
  }
  return env;
}

function list(value: string): number[] {
  return value
    .split(',')
    .filter((s) => s.trim() !== '')
    .map((s) => {
      const n = Number(s);
      if (!Number.isInteger(n) || n <= 0) throw new Error(`not a positive whole number: ${s}`);
      return n;
    });
}

export function loadConfig(env: Record<string, string | undefined>): BenchConfig {
  const int = (name: string, fallback: number): number => {
    const raw = env[`BENCH_${name}`];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`BENCH_${name} must be a positive number, not ${raw}`);
    return n;
  };
  const pairs = (env.BENCH_INGESTOR_ENV ?? '')
    .split(',')
    .filter((p) => p.includes('='))
    .map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)] as [string, string]);
  return {
    events: int('EVENTS', 300_000),
    partitions: int('PARTITIONS', 4),
    pool: int('POOL', 10_000),
    ingestors: list(env.BENCH_INGESTORS ?? '1,2'),
    latencyRates: list(env.BENCH_LATENCY_RATES ?? env.BENCH_LATENCY_RATE ?? '10000,20000,1000'),
    latencySeconds: int('LATENCY_SECONDS', 20),
    latencyIngestors: int('LATENCY_INGESTORS', 1),
    latencyDrainSeconds: int('LATENCY_DRAIN_SECONDS', 60),
    upsertE2eRows: int('UPSERT_E2E_ROWS', 10_000),
    upsertE2eEvents: int('UPSERT_E2E_EVENTS', 20_000),
    upsertSizes: list(env.BENCH_UPSERT_SIZES ?? '10000,1000000'),
    upsertCommits: int('UPSERT_COMMITS', 30),
    committerSeconds: int('COMMITTER_SECONDS', 5),
    skip: new Set((env.BENCH_SKIP ?? '').split(',').filter((s) => s !== '')),
    ingestorEnv: Object.fromEntries(pairs),
    timeoutSeconds: int('TIMEOUT_SECONDS', 600),
    keepTables: env.BENCH_KEEP_TABLES === '1',
    profileDir: env.BENCH_PROFILE || undefined,
    out: env.BENCH_OUT || undefined,
  };
}
