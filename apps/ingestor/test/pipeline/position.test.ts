import { describe, expect, it } from 'vitest';
import { choosePosition } from '../../src/pipeline/position.js';

const log = { low: 100n, high: 500n, fromBeginning: true };

describe('choosePosition', () => {
  it('resumes after the table’s committed offset, ignoring a lagging Kafka commit', () => {
    expect(choosePosition({ ...log, deltaCommitted: 299n, kafkaCommitted: 200n })).toEqual({
      offset: 300n,
      source: 'table',
    });
  });

  it('prefers the table even when Kafka is ahead of it', () => {
    expect(choosePosition({ ...log, deltaCommitted: 299n, kafkaCommitted: 400n }).offset).toBe(300n);
  });

  it('acknowledges a gap when the next offset was deleted by retention', () => {
    const p = choosePosition({ ...log, deltaCommitted: 49n });
    expect(p).toMatchObject({ offset: 100n, gapAcknowledged: true, source: 'table-after-retention' });
    expect(p.warning).toContain('50..99');
  });

  it('warns when the table is ahead of the log (topic recreated)', () => {
    const p = choosePosition({ ...log, deltaCommitted: 900n });
    expect(p.offset).toBe(901n);
    expect(p.warning).toContain('recreated');
  });

  it('uses the group’s Kafka offset for a partition the table has never seen', () => {
    expect(choosePosition({ ...log, kafkaCommitted: 250n })).toEqual({ offset: 250n, source: 'kafka' });
  });

  it('falls back to the reset policy', () => {
    expect(choosePosition(log)).toEqual({ offset: 100n, source: 'reset-earliest' });
    expect(choosePosition({ ...log, fromBeginning: false, kafkaCommitted: -1n })).toEqual({
      offset: 500n,
      source: 'reset-latest',
    });
    expect(choosePosition({ ...log, kafkaCommitted: 20n })).toEqual({
      offset: 100n,
      source: 'reset-earliest',
    });
  });

  it('resumes at the end of a fully consumed partition', () => {
    expect(choosePosition({ ...log, deltaCommitted: 499n })).toEqual({ offset: 500n, source: 'table' });
  });
});
