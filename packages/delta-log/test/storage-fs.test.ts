import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileNotFoundError } from '../src/errors.js';
import { FsStorage } from '../src/storage/fs.js';

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe('FsStorage', () => {
  let dir: string;
  let storage: FsStorage;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'delta-log-fs-'));
    storage = new FsStorage(dir);
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('lets exactly one of many concurrent putIfAbsent calls win, with its bytes intact', async () => {
    const results = await Promise.all(
      Array.from({ length: 16 }, (_, i) =>
        storage.putIfAbsent('_delta_log/00000000000000000001.json', bytes(`w${i}`)),
      ),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    const winner = results.indexOf(true);
    expect(text(await storage.get('_delta_log/00000000000000000001.json'))).toBe(`w${winner}`);
    // no temp files left behind
    expect((await storage.list('_delta_log/')).map((f) => f.path)).toEqual([
      '_delta_log/00000000000000000001.json',
    ]);
  });

  it('gets, ranges, heads, overwrites and deletes', async () => {
    await storage.put('a/b.txt', bytes('hello world'));
    expect(text(await storage.get('a/b.txt', { offset: 6, length: 5 }))).toBe('world');
    expect(await storage.head('a/b.txt')).toMatchObject({ path: 'a/b.txt', size: 11 });
    await storage.put('a/b.txt', bytes('bye'));
    expect(text(await storage.get('a/b.txt'))).toBe('bye');
    await storage.delete('a/b.txt');
    await storage.delete('a/b.txt');
    expect(await storage.head('a/b.txt')).toBeUndefined();
    await expect(storage.get('a/b.txt')).rejects.toBeInstanceOf(FileNotFoundError);
  });

  it('lists sorted, by name prefix, after a key, and recursively', async () => {
    for (const k of ['l/3.json', 'l/1.json', 'l/2.json', 'l/sub/x.parquet', 'other.txt'])
      await storage.put(k, bytes(k));
    expect((await storage.list('l/')).map((f) => f.path)).toEqual(['l/1.json', 'l/2.json', 'l/3.json']);
    expect((await storage.list('l/', { startAfter: 'l/1.json' })).map((f) => f.path)).toEqual([
      'l/2.json',
      'l/3.json',
    ]);
    expect((await storage.list('l/2')).map((f) => f.path)).toEqual(['l/2.json']);
    expect((await storage.list('', { recursive: true })).map((f) => f.path)).toContain('l/sub/x.parquet');
    expect(await storage.list('missing/')).toEqual([]);
  });

  it('maps file URIs to keys', () => {
    expect(storage.keyForUri(`file://${dir}/x/y.parquet`)).toBe('x/y.parquet');
    expect(storage.keyForUri(`${dir}/z`)).toBe('z');
    expect(storage.keyForUri('s3://b/k')).toBeUndefined();
  });
});
