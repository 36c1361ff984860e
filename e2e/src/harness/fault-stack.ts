/**
 * A private copy of the local stack's Kafka, S3 server and Redis — and Toxiproxy, the TCP fault proxy — for the tests
 * that stop and restart services or cut links: the team's shared stack keeps running for everyone else. It is
 * deploy/local/stack itself, unchanged, pointed at its own data folder and ports (`DW_STACK_DATA`, `DW_*_PORT`);
 * `stack down <service>` / `stack up <service>` stop and start one service (by pid, health-checked on the way up).
 * The broker has {@link KAFKA_LINKS} extra listeners that advertise the proxy's address (deploy/local/stack), so a
 * client bootstrapped through a Kafka link keeps every one of its connections on that link.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseEnvFile } from '../stack.js';
import { REPO_ROOT } from './paths.js';
import type { Endpoints } from './services.js';

const run = promisify(execFile);
export type Service = 'redis' | 's3' | 'kafka' | 'toxiproxy';

/** Kafka links through the proxy: one per ingestor a fault run starts (two, and a third that joins). */
export const KAFKA_LINKS = 3;

/** Ports away from the shared stack's (19092, 18333, 16379); override with DW_E2E_STACK_PORT_BASE. */
const BASE = Number(process.env.DW_E2E_STACK_PORT_BASE ?? 29000);

/** What the network-fault runs need beyond {@link Endpoints}: the proxy's API and the Kafka links. */
export interface FaultEndpoints {
  toxiproxyUrl: string;
  /** Bootstrap address of Kafka link i (`kafka-link-<i>` in Toxiproxy). */
  kafkaLinks: string[];
}

export class FaultStack {
  /** Its own data folder: `DW_E2E_STACK_DATA` (default `.data/e2e-stack`), so two can run side by side. */
  readonly data = process.env.DW_E2E_STACK_DATA ?? join(REPO_ROOT, '.data', 'e2e-stack');
  private readonly env: NodeJS.ProcessEnv = {
    ...process.env,
    DW_STACK_DATA: this.data,
    DW_KAFKA_PORT: String(BASE + 92),
    DW_KAFKA_CONTROLLER_PORT: String(BASE + 93),
    DW_S3_PORT: String(BASE + 333),
    DW_REDIS_PORT: String(BASE + 379),
    DW_TOXIPROXY_PORT: String(BASE + 474),
    DW_KAFKA_PROXY_PORT: String(BASE + 100),
    DW_KAFKA_PROXY_LINKS: String(KAFKA_LINKS),
    // unused here, but `up` checks every port it is given a service for
    DW_CONNECT_PORT: String(BASE + 83),
    DW_PG_PORT: String(BASE + 432),
  };

  /** Starts (or finds running) the private Kafka, S3 server and Redis; ~30–90 s the first time. */
  async up(...services: Service[]): Promise<Endpoints> {
    await this.stack('up', ...(services.length ? services : ['redis', 's3', 'kafka']));
    return this.endpoints();
  }

  /** Stops one service (graceful: SIGTERM, as an operator's restart would). */
  async down(service: Service): Promise<void> {
    await this.stack('down', service);
  }

  /**
   * kill -9 of one service (a crash: no shutdown of any kind), by the pid the stack recorded and only if that
   * process still runs in the service's folder; `up` then starts it again.
   */
  async crash(service: Exclude<Service, 'toxiproxy'>): Promise<void> {
    const pidFile = join(this.data, 'run', `${service}.pid`);
    if (!existsSync(pidFile)) throw new Error(`${service} has no pid file at ${pidFile}: not running`);
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    const dir = realpathSync(join(this.data, service));
    let cwd: string | undefined;
    try {
      cwd = readlinkSync(`/proc/${pid}/cwd`);
    } catch {
      cwd = undefined;
    }
    if (cwd !== dir) throw new Error(`pid ${pid} of ${pidFile} is not ${service} (cwd ${cwd ?? 'gone'})`);
    process.kill(pid, 'SIGKILL');
    for (let i = 0; i < 100; i++) {
      if (!existsSync(`/proc/${pid}`)) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${service} (pid ${pid}) did not die within 10 s of SIGKILL`);
  }

  /** Stops everything this stack started. */
  async stopAll(): Promise<void> {
    await this.stack('down');
  }

  private vars(): Record<string, string> {
    const file = join(this.data, 'env');
    if (!existsSync(file)) throw new Error(`${file} is missing: the private stack is not up`);
    return parseEnvFile(readFileSync(file, 'utf8'));
  }

  private need(v: Record<string, string>, k: string): string {
    const value = v[k];
    if (!value) throw new Error(`${k} is missing from ${join(this.data, 'env')}`);
    return value;
  }

  endpoints(): Endpoints {
    const v = this.vars();
    const need = (k: string) => this.need(v, k);
    return {
      kafkaBrokers: need('KAFKA_BOOTSTRAP_SERVERS').split(','),
      s3: {
        endpoint: need('DW_S3_ENDPOINT'),
        bucket: need('DW_S3_BUCKET'),
        region: need('AWS_REGION'),
        accessKeyId: need('AWS_ACCESS_KEY_ID'),
        secretAccessKey: need('AWS_SECRET_ACCESS_KEY'),
      },
      redisUrl: need('REDIS_URL'),
    };
  }

  /** The proxy's endpoints; the stack must be up with `toxiproxy`. */
  faultEndpoints(): FaultEndpoints {
    const v = this.vars();
    return {
      toxiproxyUrl: this.need(v, 'DW_TOXIPROXY_URL'),
      kafkaLinks: this.need(v, 'DW_KAFKA_LINKS').split(','),
    };
  }

  /** The pid of a service of this stack, for sampling its memory; undefined when it is not running. */
  pid(service: Service): number | undefined {
    try {
      const pid = Number(readFileSync(join(this.data, 'run', `${service}.pid`), 'utf8').trim());
      return readlinkSync(`/proc/${pid}/cwd`) === realpathSync(join(this.data, service)) ? pid : undefined;
    } catch {
      return undefined;
    }
  }

  private async stack(...args: string[]): Promise<void> {
    try {
      await run('bash', [join(REPO_ROOT, 'deploy', 'local', 'stack'), ...args], {
        env: this.env,
        timeout: 600_000,
        maxBuffer: 16 << 20,
      });
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new Error(
        `stack ${args.join(' ')} failed: ${e.stderr?.trim().split('\n').slice(-5).join(' | ') ?? e.message}`,
      );
    }
  }
}
