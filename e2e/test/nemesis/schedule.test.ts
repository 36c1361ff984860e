/**
 * The nemesis's schedule generator, without any service: a seed gives the same schedule every time (that is what
 * makes a failing run reproducible from the seed it prints), different seeds give different schedules, every kind
 * of fault and every proxied link shows up over a few hundred seeds, and every schedule stays inside its window.
 */
import { describe, expect, it } from 'vitest';
import { PEERS } from '../../src/harness/links.js';
import { NEMESIS_PROFILES, scheduleOf } from '../../src/nemesis/run.js';
import {
  describeSchedule,
  FAULT_LABELS,
  type Fault,
  labelOf,
  makeSchedule,
  workloadSeed,
} from '../../src/nemesis/schedule.js';

const options = { windowMs: 25_000, maxFaults: 4, ingestors: 2 };
const seeds = Array.from({ length: 300 }, (_, i) => i * 7919 + 13);

describe('nemesis schedules', () => {
  it('the same seed gives the same schedule (and the same workload seed)', () => {
    for (const seed of seeds.slice(0, 50)) {
      expect(makeSchedule(seed, options)).toEqual(makeSchedule(seed, options));
      expect(workloadSeed(seed)).toBe(workloadSeed(seed));
    }
    // the CLI and the CI test build schedules through the same function
    expect(scheduleOf(42, NEMESIS_PROFILES.long)).toEqual(
      makeSchedule(42, { windowMs: 25_000, maxFaults: 4, ingestors: 2 }),
    );
  });

  it('different seeds give different schedules', () => {
    const distinct = new Set(seeds.map((s) => describeSchedule(makeSchedule(s, options))));
    expect(distinct.size).toBeGreaterThan(seeds.length * 0.95);
    expect(new Set(seeds.map(workloadSeed)).size).toBe(seeds.length);
  });

  it('covers every fault kind, every proxied link and both directions of one-way loss', () => {
    const faults = seeds.flatMap((s) => makeSchedule(s, options).steps.map((step) => step.fault));
    const labels = new Set(faults.map(labelOf));
    expect([...labels].sort()).toEqual([...FAULT_LABELS].sort());
    const links = new Set(faults.flatMap((f) => ('peer' in f ? [`${f.target.app}→${f.peer}`] : [])));
    const want = Object.entries(PEERS).flatMap(([app, peers]) => peers.map((p) => `${app}→${p}`));
    expect([...links].sort()).toEqual(want.sort());
    const oneWay = faults.filter((f): f is Extract<Fault, { kind: 'one-way' }> => f.kind === 'one-way');
    expect(new Set(oneWay.map((f) => f.stream))).toEqual(new Set(['upstream', 'downstream']));
    const targets = new Set(faults.flatMap((f) => ('target' in f ? [JSON.stringify(f.target)] : [])));
    expect(targets).toEqual(
      new Set([
        '{"app":"ingestor","n":1}',
        '{"app":"ingestor","n":2}',
        '{"app":"committer","role":"leader"}',
        '{"app":"committer","role":"standby"}',
      ]),
    );
    // the S3 answers both before and after S3 carried out the request, and slow answers of 10 s
    const s3 = faults.filter((f) => f.kind === 's3-error');
    expect(new Set(s3.map((f) => `${f.status} ${f.phase}`)).size).toBe(4);
    expect(faults.some((f) => f.kind === 's3-slow' && f.delayMs === 10_000)).toBe(true);
    expect(faults.some((f) => f.kind === 's3-hang' && f.target.app === 'committer')).toBe(true);
    expect(faults.some((f) => f.kind === 'restart' && f.crash)).toBe(true);
    expect(faults.some((f) => f.kind === 'restart' && !f.crash)).toBe(true);
  });

  it('keeps to its window, its fault count, and one restart per service', () => {
    const counts = new Set<number>();
    for (const seed of seeds) {
      const { steps, windowMs } = makeSchedule(seed, options);
      counts.add(steps.length);
      expect(steps.length).toBeGreaterThanOrEqual(1);
      expect(steps.length).toBeLessThanOrEqual(options.maxFaults);
      expect(steps.map((s) => s.at)).toEqual([...steps.map((s) => s.at)].sort((a, b) => a - b));
      const restarted = steps.flatMap((s) => (s.fault.kind === 'restart' ? [s.fault.service] : []));
      expect(new Set(restarted).size).toBe(restarted.length);
      for (const { at, fault } of steps) {
        expect(at).toBeGreaterThanOrEqual(0);
        if ('forMs' in fault) expect(at + fault.forMs).toBeLessThanOrEqual(windowMs);
        if (fault.kind === 's3-error' && fault.commitsOnly) expect(fault.target.app).toBe('committer');
        if (fault.kind === 'latency') expect(fault.jitterMs).toBeLessThanOrEqual(fault.latencyMs);
      }
    }
    expect([...counts].sort()).toEqual([1, 2, 3, 4]);
  });

  it('refuses options it cannot honour', () => {
    expect(() => makeSchedule(1, { ...options, maxFaults: 0 })).toThrow(/out of range/);
    expect(() => makeSchedule(1, { ...options, windowMs: 1_000 })).toThrow(/out of range/);
  });
});
