import { cpSync, mkdtempSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VersionNotFoundError } from '../src/errors.js';
import { decodeInline, deletionVectorPath, z85Decode } from '../src/scan/deletion-vector.js';
import {
  formatDecimal,
  parseDecimalUnscaled,
  parsePartitionValue,
  parseTimestampMicros,
  serializePartitionValue,
} from '../src/scan/partition-values.js';
import { FsStorage } from '../src/storage/fs.js';
import { DeltaTable } from '../src/table.js';
import { goldenDir } from './helpers/golden.js';

const golden = (name: string) => DeltaTable.open(new FsStorage(join(goldenDir(name), 'delta')));

describe('deletion vectors', () => {
  it('decodes the inline example vector from delta-kernel-rs', () => {
    const dv = {
      storageType: 'i' as const,
      pathOrInlineDv: '^Bg9^0rr910000000000iXQKl0rr91000f55c8Xg0@@D72lkbi5=-{L',
      sizeInBytes: 44,
      cardinality: 6,
    };
    expect(decodeInline(dv)).toEqual([3, 4, 7, 11, 18, 29]);
  });

  it('derives the file name of a relative vector (protocol example 1)', () => {
    const dv = {
      storageType: 'u' as const,
      pathOrInlineDv: 'ab^-aqEH.-t@S}K{vb[*k^',
      sizeInBytes: 1,
      cardinality: 1,
    };
    expect(deletionVectorPath(dv)).toBe('ab/deletion_vector_d2c639aa-8816-431a-aaf6-d3fe2512ff61.bin');
  });

  it('z85 decodes the ZeroMQ test vector', () => {
    expect(Array.from(z85Decode('HelloWorld'))).toEqual([0x86, 0x4f, 0xd2, 0x6f, 0xb5, 0x59, 0xf7, 0x5b]);
  });
});

describe('partition values', () => {
  it('round-trips typed values through their string form', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }),
        fc.integer({ min: 0, max: 6 }),
        (v, scale) => {
          const type = { type: 'decimal' as const, precision: 38, scale };
          expect(parsePartitionValue(serializePartitionValue(v, type), type)).toBe(v);
        },
      ),
    );
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 16n), max: 10n ** 16n }), (us) => {
        expect(parsePartitionValue(serializePartitionValue(us, 'timestamp'), 'timestamp')).toBe(us);
      }),
    );
    fc.assert(
      fc.property(fc.integer({ min: -100_000, max: 100_000 }), (days) => {
        expect(parsePartitionValue(serializePartitionValue(days, 'date'), 'date')).toBe(days);
      }),
    );
  });

  it('reads the encodings found in the wild', () => {
    expect(parseTimestampMicros('1970-01-01 00:00:00')).toBe(0n);
    expect(parseTimestampMicros('1970-01-01T00:00:00.123456Z')).toBe(123456n);
    expect(parseTimestampMicros('2021-09-08 11:11:11', 'America/Los_Angeles')).toBe(1631124671000000n);
    expect(parseTimestampMicros('1970-01-01T01:00:00+01:00')).toBe(0n);
    expect(parsePartitionValue('', 'string')).toBeNull();
    expect(parsePartitionValue(null, 'integer')).toBeNull();
    expect(parseDecimalUnscaled('-2342342.23423', 5)).toBe(-234234223423n);
    expect(formatDecimal(-5n, 3)).toBe('-0.005');
  });
});

describe('snapshots', () => {
  it('time-travels by version and by timestamp', async () => {
    // The tarball does not keep the generator's file times, so set them: commits 20 minutes apart.
    const tmp = mkdtempSync(join(tmpdir(), 'delta-tt-'));
    try {
      cpSync(join(goldenDir('time-travel-start-start20-start40'), 'delta'), tmp, { recursive: true });
      const start = 1540415658000;
      for (const v of [0, 1, 2]) {
        const at = new Date(start + v * 20 * 60 * 1000);
        utimesSync(join(tmp, '_delta_log', `${String(v).padStart(20, '0')}.json`), at, at);
      }
      const t = await DeltaTable.open(new FsStorage(tmp));
      expect(t.version).toBe(2);
      expect((await t.snapshotAt(0)).version).toBe(0);
      expect((await t.snapshotAtTimestamp(start + 20 * 60 * 1000 + 1)).version).toBe(1);
      expect((await t.snapshotAtTimestamp(new Date(start + 40 * 60 * 1000))).version).toBe(2);
      await expect(t.snapshotAtTimestamp(start - 1)).rejects.toBeInstanceOf(VersionNotFoundError);
      await expect(t.snapshotAt(7)).rejects.toBeInstanceOf(VersionNotFoundError);
      expect((await t.history()).map((h) => h.version)).toEqual([2, 1, 0]);
      expect((await t.history(1)).map((h) => h.version)).toEqual([2]);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('exposes txn versions and reads v2 checkpoints with sidecars', async () => {
    const t = await golden('deltalog-getChanges');
    expect(t.snapshot.txnVersion('fakeAppId')).toBe(3);
    expect(t.snapshot.txnVersion('nonExistentAppId')).toBeUndefined();
    const v2 = await golden('v2-checkpoint-json');
    expect(v2.snapshot.segment.checkpoint?.format).toBe('v2');
    expect(v2.snapshot.protocol.readerFeatures).toEqual(['v2Checkpoint']);
  });

  it('ignores a _last_checkpoint that points nowhere', async () => {
    const t = await golden('corrupted-last-checkpoint-kernel');
    expect(t.snapshot.segment.checkpoint?.version).toBe(10);
  });
});

describe('file skipping', () => {
  it('skips by partition values exactly', async () => {
    const t = await golden('basic-decimal-table');
    const all = t.snapshot.scan().files();
    const part = t.snapshot.partitionColumns[0] as string;
    const values = [...new Set(all.map((f) => f.partitionValues[part]))];
    const one = values[0] as bigint;
    // decimal literals are given in decimal notation
    const picked = t.snapshot
      .scan({ predicate: { column: part, op: '=', value: formatDecimal(one, 5) } })
      .files();
    expect(picked.length).toBeGreaterThan(0);
    expect(picked.length).toBeLessThan(all.length);
    expect(picked.every((f) => f.partitionValues[part] === one)).toBe(true);
    // a literal given as a decimal string works too
    const asString = t.snapshot.scan({ predicate: { column: part, op: '=', value: '234.00000' } }).files();
    expect(asString).toHaveLength(1);
  });

  it('skips by min/max stats and never drops matching rows', async () => {
    const t = await golden('data-skipping-basic-stats-all-types');
    const scanAll = t.snapshot.scan();
    const all = await scanAll.toTable();
    const col = 'as_int';
    const values = (all.getChild(col)?.toArray() as ArrayLike<number | null>) ?? [];
    const present = Array.from(values).filter((v): v is number => v !== null);
    expect(present.length).toBeGreaterThan(0);
    const max = Math.max(...present);
    // nothing can be above the max: every file is skipped
    expect(t.snapshot.scan({ predicate: { column: col, op: '>', value: max } }).files()).toEqual([]);
    // an existing value keeps its file
    const rows = await t.snapshot.scan({ predicate: { column: col, op: '=', value: max } }).toTable();
    expect(Array.from(rows.getChild(col)?.toArray() ?? [])).toContain(max);
  });
});
