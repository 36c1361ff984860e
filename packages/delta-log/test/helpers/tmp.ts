import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { FsStorage } from '../../src/storage/fs.js';

/** A fresh FsStorage in a temp directory, removed after the test. */
export function useTempStorage(): () => { dir: string; storage: FsStorage } {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  return () => {
    const dir = mkdtempSync(join(tmpdir(), 'delta-log-'));
    dirs.push(dir);
    return { dir, storage: new FsStorage(dir) };
  };
}
