import { describe, expect, it } from 'vitest';
import type { Action } from '../src/actions.js';
import { InvalidTableError, TableNotFoundError, VersionNotFoundError } from '../src/errors.js';
import {
  lastCheckpointChecksum,
  parseLastCheckpoint,
  serializeLastCheckpoint,
} from '../src/log/last-checkpoint.js';
import { type LogFile, parseLogFileName } from '../src/log/paths.js';
import { canonicalPath, fileKey, TableState } from '../src/log/replay.js';
import { buildLogSegment } from '../src/log/segment.js';

const files = (...names: string[]): LogFile[] =>
  names.map((n) => parseLogFileName(n)).filter((f): f is LogFile => f !== undefined);
const c = (v: number) => `${String(v).padStart(20, '0')}.json`;
const cp = (v: number) => `${String(v).padStart(20, '0')}.checkpoint.parquet`;
const mp = (v: number, i: number, n: number) =>
  `${String(v).padStart(20, '0')}.checkpoint.${String(i).padStart(10, '0')}.${String(n).padStart(10, '0')}.parquet`;

describe('log file names', () => {
  it('classifies every kind and ignores the rest', () => {
    expect(parseLogFileName(c(3))).toMatchObject({ kind: 'commit', version: 3 });
    expect(parseLogFileName(cp(10))).toMatchObject({ kind: 'checkpoint', format: 'classic', version: 10 });
    expect(parseLogFileName(mp(10, 2, 3))).toMatchObject({ format: 'multipart', part: 2, parts: 3 });
    expect(
      parseLogFileName('00000000000000000002.checkpoint.6374b053-df23-479b-b2cf-c9c550132b49.json'),
    ).toMatchObject({ format: 'v2', ext: 'json', version: 2 });
    expect(parseLogFileName('00000000000000000001.00000000000000000004.compacted.json')).toMatchObject({
      kind: 'compacted',
      version: 1,
      toVersion: 4,
    });
    expect(parseLogFileName('_last_checkpoint')).toBeUndefined();
    expect(parseLogFileName('.00000000000000000001.json.tmp')).toBeUndefined();
  });
});

describe('log segment', () => {
  it('uses the newest checkpoint and the commits after it', () => {
    const seg = buildLogSegment(files(c(0), c(1), cp(1), c(2), c(3)), { location: 't' });
    expect(seg.version).toBe(3);
    expect(seg.checkpoint?.version).toBe(1);
    expect(seg.commits.map((x) => x.version)).toEqual([2, 3]);
  });

  it('time-travels below a checkpoint', () => {
    const seg = buildLogSegment(files(c(0), c(1), c(2), cp(2), c(3)), { location: 't', version: 1 });
    expect(seg.checkpoint).toBeUndefined();
    expect(seg.commits.map((x) => x.version)).toEqual([0, 1]);
  });

  it('ignores incomplete multi-part checkpoints', () => {
    const seg = buildLogSegment(files(c(0), c(1), mp(1, 1, 2), c(2)), { location: 't' });
    expect(seg.checkpoint).toBeUndefined();
    const full = buildLogSegment(files(c(0), c(1), mp(1, 1, 2), mp(1, 2, 2), c(2)), { location: 't' });
    expect(full.checkpoint?.files.map((f) => f.name)).toEqual([mp(1, 1, 2), mp(1, 2, 2)]);
  });

  it('reads a table that has only a checkpoint', () => {
    const seg = buildLogSegment(files(cp(5)), { location: 't' });
    expect(seg).toMatchObject({ version: 5, commits: [] });
  });

  it('fails clearly on gaps, missing tables and unknown versions', () => {
    expect(() => buildLogSegment(files(c(0), c(2)), { location: 't' })).toThrow(InvalidTableError);
    expect(() => buildLogSegment(files(c(0), cp(1), c(3)), { location: 't' })).toThrow(/not contiguous/);
    expect(() => buildLogSegment([], { location: 't' })).toThrow(TableNotFoundError);
    expect(() => buildLogSegment(files(c(0)), { location: 't', version: 4 })).toThrow(VersionNotFoundError);
    expect(() => buildLogSegment(files(c(3), c(4)), { location: 't', version: 3 })).toThrow(/cleaned up/);
  });

  it('falls back past a checkpoint when asked to', () => {
    const seg = buildLogSegment(files(c(0), c(1), cp(1), c(2)), { location: 't', checkpointBefore: 1 });
    expect(seg.checkpoint).toBeUndefined();
    expect(seg.commits).toHaveLength(3);
  });
});

describe('replay', () => {
  it('keeps the last protocol, metadata and txn, and reconciles files by path + DV', () => {
    const s = new TableState();
    const md = (id: string) => ({
      id,
      format: { provider: 'parquet', options: {} },
      schemaString: '{"type":"struct","fields":[]}',
      partitionColumns: [],
      configuration: {},
    });
    const add = (path: string, dv?: string) => ({
      add: {
        path,
        partitionValues: {},
        size: 1,
        modificationTime: 1,
        dataChange: true,
        ...(dv
          ? {
              deletionVector: {
                storageType: 'i' as const,
                pathOrInlineDv: dv,
                sizeInBytes: 1,
                cardinality: 1,
              },
            }
          : {}),
      },
    });
    s.apply(
      [
        { protocol: { minReaderVersion: 1, minWriterVersion: 2 } },
        { metaData: md('a') },
        add('f1'),
        add('f2'),
      ],
      0,
    );
    s.apply(
      [{ txn: { appId: 'app', version: 1 } }, { remove: { path: 'f1', dataChange: true } }, add('f1', 'dv1')],
      1,
    );
    s.apply([{ metaData: md('b') }, { txn: { appId: 'app', version: 2 } }], 2);
    expect(s.version).toBe(2);
    expect(s.metadata?.id).toBe('b');
    expect(s.txns.get('app')?.version).toBe(2);
    expect([...s.files.values()].map((f) => f.path).sort()).toEqual(['f1', 'f2']);
    expect(
      s.files.has(fileKey('f1', { storageType: 'i', pathOrInlineDv: 'dv1', sizeInBytes: 1, cardinality: 1 })),
    ).toBe(true);
    // f1 is live again with a vector: the tombstone of its vector-less self would protect nothing
    expect(s.tombstones?.has(fileKey('f1', undefined))).toBe(false);
    s.apply([{ remove: { path: 'f2', dataChange: true } }], 3);
    expect(s.tombstones?.has(fileKey('f2', undefined))).toBe(true);
  });

  it('keeps the tombstone of a vector in a file of its own when its data file is re-vectored', () => {
    const s = new TableState();
    const vector = (id: string) => ({
      storageType: 'u' as const,
      pathOrInlineDv: id,
      sizeInBytes: 1,
      cardinality: 1,
    });
    const file = (kind: 'add' | 'remove', id: string) => ({
      [kind]: {
        path: 'f1',
        partitionValues: {},
        size: 1,
        modificationTime: 1,
        dataChange: true,
        deletionVector: vector(id),
      },
    });
    s.apply([{ protocol: { minReaderVersion: 3, minWriterVersion: 7 } }, file('add', 'ab12')] as Action[], 0);
    s.apply([file('remove', 'ab12'), file('add', 'cd34')] as Action[], 1);
    expect(s.tombstones?.has(fileKey('f1', vector('ab12')))).toBe(true);
    expect(s.files.has(fileKey('f1', vector('cd34')))).toBe(true);
  });

  it('canonicalizes encoded and file: paths', () => {
    expect(canonicalPath('file:/a/b')).toBe('/a/b');
    expect(canonicalPath('file:///a/b')).toBe('/a/b');
    expect(canonicalPath('/some/with%20space/p@%23h')).toBe('/some/with space/p@#h');
    expect(canonicalPath('bad%zz')).toBe('bad%zz');
  });
});

describe('_last_checkpoint', () => {
  it("reproduces the protocol's checksum example", () => {
    const json = `{"k0":"'v 0'", "checksum": "x", "k1":{"k2": 2, "k3": ["v3", [1, 2], {"k4": "v4", "k5": ["v5", "v6", "v7"]}]}}`;
    expect(lastCheckpointChecksum(JSON.parse(json))).toBe('6a92d155a59bf2eecbd4b4ec7fd1f875');
  });

  it('accepts its own output and rejects corrupt content', () => {
    const text = serializeLastCheckpoint({ version: 10, size: 7, sizeInBytes: 1234, numOfAddFiles: 3 });
    expect(parseLastCheckpoint(text)).toMatchObject({ version: 10, size: 7 });
    expect(parseLastCheckpoint(text.replace('"size":7', '"size":8'))).toBeUndefined();
    expect(parseLastCheckpoint('')).toBeUndefined();
    expect(parseLastCheckpoint('{"size":1}')).toBeUndefined();
    expect(parseLastCheckpoint('{"version":3,"size":1}')).toMatchObject({ version: 3 });
  });
});
