/** The free-space preflight of long runs (harness/disk.ts), on this machine's real filesystem. */
import { statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assertFreeSpace, freeBytes, NotEnoughSpaceError } from '../../src/harness/disk.js';

describe('free space', () => {
  it('reads the filesystem of the nearest existing folder when the folder itself does not exist yet', () => {
    const s = statfsSync(tmpdir());
    const free = freeBytes(join(tmpdir(), 'not', 'yet', 'there'));
    // another process may write meanwhile: within 1 GiB of a direct statfs
    expect(Math.abs(free - s.bavail * s.bsize)).toBeLessThan(2 ** 30);
    expect(free).toBeGreaterThan(0);
  });

  it('refuses with what needs how much where, and passes when there is enough', () => {
    expect(() => assertFreeSpace('/data/x', 10 * 2 ** 30, 'a 30 min soak', 3 * 2 ** 30)).toThrow(
      new NotEnoughSpaceError(
        'a 30 min soak needs about 10.0 GiB free under /data/x, and 3.0 GiB is: free some (old stack data under .data/ — e.g. .data/e2e-stack*) or point DW_E2E_STACK_DATA elsewhere',
      ),
    );
    expect(() => assertFreeSpace('/data/x', 2 ** 30, 'a run', 3 * 2 ** 30)).not.toThrow();
    expect(() => assertFreeSpace(tmpdir(), 2 ** 60, 'an exabyte')).toThrow(NotEnoughSpaceError);
  });
});
