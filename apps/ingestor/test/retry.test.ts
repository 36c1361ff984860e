import { describe, expect, it } from 'vitest';
import { retry } from '../src/retry.js';

describe('retry', () => {
  it('rejects with the signal reason when aborted during the pause between attempts', async () => {
    const controller = new AbortController();
    let attempts = 0;
    const pending = retry(
      async () => {
        attempts++;
        throw new Error('S3 is down');
      },
      { attempts: 100, initialMs: 10_000, maxMs: 10_000, signal: controller.signal, onRetry: () => {} },
    );
    setTimeout(() => controller.abort(new Error('revoked')), 20);
    await expect(pending).rejects.toThrow('revoked');
    expect(attempts).toBe(1);
  });

  it('gives up after the attempts and rethrows the last error', async () => {
    let attempts = 0;
    await expect(
      retry(
        async () => {
          throw new Error(`failure ${++attempts}`);
        },
        { attempts: 3, initialMs: 1, maxMs: 1 },
      ),
    ).rejects.toThrow('failure 3');
  });
});
