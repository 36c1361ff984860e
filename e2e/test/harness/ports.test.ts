/**
 * The ports a run gives its processes: from the session's own range below the kernel's ephemeral ports, never one
 * that is taken, and not the same one twice in a row of runs.
 */
import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../src/harness/ports.js';

const base = Number(process.env.DW_E2E_STACK_PORT_BASE ?? 29000);
const held: Server[] = [];
afterEach(async () => {
  await Promise.all(held.splice(0).map((s) => new Promise((r) => s.close(r))));
});

describe('freePort', () => {
  it('hands out distinct free ports of base + 1000 … + 1999, skipping one that is taken', async () => {
    const first = await freePort();
    // take the next one in turn, and the one after (the range is walked in order)
    for (const port of [first + 1, first + 2]) {
      if (port >= base + 2000) continue;
      const server = createServer();
      await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
      held.push(server);
    }
    const ports = [first];
    for (let i = 0; i < 50; i++) ports.push(await freePort());
    for (const p of ports) {
      expect(p).toBeGreaterThanOrEqual(base + 1000);
      expect(p).toBeLessThan(base + 2000);
      expect(p).toBeLessThan(32768);
    }
    expect(new Set(ports).size).toBe(ports.length);
    if (first + 2 < base + 2000) {
      expect(ports).not.toContain(first + 1);
      expect(ports).not.toContain(first + 2);
    }
  });
});
