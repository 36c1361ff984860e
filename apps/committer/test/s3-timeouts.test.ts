/**
 * The committer's S3 requests end when their answer never comes. Found by the e2e nemesis (seed 1007: S3 carried
 * out some of the leader's requests and never answered them): without a timeout that fires, the request — a Delta
 * commit's conditional PUT among them — waited forever, the leader kept its lease, and its tables never committed
 * again. Here the real S3 server of the stack carries out the PUT while the link loses its answer; the request must
 * time out, and delta-log's retry must find the version written (412, read back, same bytes) and report success.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { createS3Storage } from '../src/delta/s3.js';
import { MuteLink } from './support/mute-link.js';
import { stack, testBasePath } from './support/stack.js';

const links: MuteLink[] = [];
afterAll(async () => {
  await Promise.all(links.map((l) => l.close()));
});

describe('S3 timeouts (nemesis seed 1007)', () => {
  it('a commit PUT whose answer is lost times out, and the retry finds it written', async () => {
    const s = stack();
    const link = await MuteLink.start(s.endpoint);
    links.push(link);
    const storage = createS3Storage(
      { ...s.s3, endpoint: link.url },
      { connectionMs: 2_000, requestMs: 10_000, silenceMs: 1_500 },
    );
    const path = `${testBasePath()}/_delta_log/${'0'.padStart(20, '0')}.json`;
    const bytes = new TextEncoder().encode(`{"commitInfo":{"id":"${randomUUID()}"}}\n`);
    link.muted = true;
    const started = Date.now();
    const put = storage.putIfAbsent(path, bytes);
    // answers flow again once the first attempt has timed out
    const unmute = setInterval(() => {
      if (link.dropped > 0 && Date.now() - started > 1_600) link.muted = false;
    }, 50);
    try {
      await expect(put).resolves.toBe(true);
    } finally {
      clearInterval(unmute);
    }
    expect(link.dropped).toBeGreaterThan(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_500);
    expect(new TextDecoder().decode(await s.storage.get(path))).toBe(new TextDecoder().decode(bytes));
    // a second writer of the same version still loses the race: nothing was overwritten
    await expect(storage.putIfAbsent(path, new TextEncoder().encode('{}\n'))).resolves.toBe(false);
  });
});
