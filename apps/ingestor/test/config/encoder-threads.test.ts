import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BASE_BYTES,
  encoderThreadsFor,
  machineFacts,
  parseCfsQuota,
  parseCpuMax,
  parseMemoryLimit,
} from '../../src/config/encoder-threads.js';
import { loadConfig } from '../../src/config/load.js';

const MiB = 2 ** 20;
const GiB = 2 ** 30;
const settings = {
  memoryBudgetBytes: 128 * MiB,
  encoderHeapLimitBytes: 128 * MiB,
  encoderChunkBytes: 8 * MiB,
};

describe('default encoder threads', () => {
  it('is one per usable CPU less one for the event loop', () => {
    expect(encoderThreadsFor({ availableParallelism: 8, memoryLimitBytes: 64 * GiB }, settings)).toBe(7);
    expect(encoderThreadsFor({ availableParallelism: 2, memoryLimitBytes: 64 * GiB }, settings)).toBe(1);
  });

  it('follows the cgroup CPU quota rather than the cores of the node', () => {
    const node = { availableParallelism: 64, memoryLimitBytes: 64 * GiB };
    expect(encoderThreadsFor({ ...node, cpuQuota: 2 }, settings)).toBe(1);
    expect(encoderThreadsFor({ ...node, cpuQuota: 4.5 }, settings)).toBe(4); // 4.5 CPUs: 5 schedulable, less one
    expect(encoderThreadsFor({ ...node, cpuQuota: 0.5 }, settings)).toBe(1);
  });

  it('fits the memory: each thread holds its heap and a few chunks beside the memory budget', () => {
    const cpus = { availableParallelism: 16 };
    // 256 MiB base + 128 MiB budget + 3 × (128 + 4 × 8) MiB
    expect(
      encoderThreadsFor({ ...cpus, memoryLimitBytes: BASE_BYTES + 128 * MiB + 3 * 160 * MiB }, settings),
    ).toBe(3);
    expect(encoderThreadsFor({ ...cpus, memoryLimitBytes: 512 * MiB }, settings)).toBe(1);
  });

  it('always leaves one thread, and at most 64 (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 512 }),
        fc.option(fc.double({ min: 0.01, max: 512, noNaN: true }), { nil: undefined }),
        fc.integer({ min: 1, max: 2 ** 40 }),
        (availableParallelism, cpuQuota, memoryLimitBytes) => {
          const n = encoderThreadsFor(
            { availableParallelism, memoryLimitBytes, ...(cpuQuota !== undefined && { cpuQuota }) },
            settings,
          );
          expect(n).toBeGreaterThanOrEqual(1);
          expect(n).toBeLessThanOrEqual(64);
          expect(n).toBeLessThanOrEqual(Math.max(1, availableParallelism - 1));
        },
      ),
    );
  });
});

describe('cgroup files', () => {
  it('reads the CPU quota of cgroup v2 and v1', () => {
    expect(parseCpuMax('200000 100000\n')).toBe(2);
    expect(parseCpuMax('150000 100000')).toBe(1.5);
    expect(parseCpuMax('max 100000\n')).toBeUndefined();
    expect(parseCfsQuota('-1\n', '100000\n')).toBeUndefined();
    expect(parseCfsQuota('300000\n', '100000\n')).toBe(3);
  });

  it('reads the memory limit, treating "max" and v1\'s huge number as none', () => {
    expect(parseMemoryLimit('536870912\n')).toBe(512 * MiB);
    expect(parseMemoryLimit('max\n')).toBeUndefined();
    expect(parseMemoryLimit('9223372036854771712\n')).toBeUndefined();
  });

  it('takes the facts of a cgroup v2 or v1 tree', () => {
    const v2 = mkdtempSync(join(tmpdir(), 'cgroup-v2-'));
    writeFileSync(join(v2, 'cpu.max'), '200000 100000\n');
    writeFileSync(join(v2, 'memory.max'), `${512 * MiB}\n`);
    expect(machineFacts(v2)).toMatchObject({ cpuQuota: 2, memoryLimitBytes: 512 * MiB });
    const v1 = mkdtempSync(join(tmpdir(), 'cgroup-v1-'));
    mkdirSync(join(v1, 'cpu'));
    mkdirSync(join(v1, 'memory'));
    writeFileSync(join(v1, 'cpu', 'cpu.cfs_quota_us'), '400000\n');
    writeFileSync(join(v1, 'cpu', 'cpu.cfs_period_us'), '100000\n');
    writeFileSync(join(v1, 'memory', 'memory.limit_in_bytes'), `${GiB}\n`);
    expect(machineFacts(v1)).toMatchObject({ cpuQuota: 4, memoryLimitBytes: GiB });
    const none = mkdtempSync(join(tmpdir(), 'cgroup-none-'));
    expect(machineFacts(none).cpuQuota).toBeUndefined();
  });

  it('is what the configuration uses when ENCODER_THREADS is not set; a set value wins', () => {
    const env = {
      KAFKA_BOOTSTRAP_SERVERS: 'k:9092',
      KAFKA_TOPIC_PATTERN: 'x',
      MINIO_BUCKET: 'lake',
      COMMITTER_ADDRESSES: 'c:1',
    };
    const machine = { availableParallelism: 6, memoryLimitBytes: 64 * GiB };
    const cwd = mkdtempSync(join(tmpdir(), 'cfg-'));
    expect(loadConfig({ env, cwd, machine }).encoderThreads).toBe(5);
    expect(loadConfig({ env: { ...env, ENCODER_THREADS: '2' }, cwd, machine }).encoderThreads).toBe(2);
  });
});
