import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/**
 * Ports for the processes a run starts (committers' gRPC and HTTP, ingestors' metrics) come from a range of their
 * own beside the private stack's: `DW_E2E_STACK_PORT_BASE` + 1000 … + 1999 (default 30000–30999), so sessions on
 * their own stacks never share one. Not from the OS (port 0): it hands those out of the ephemeral range, where
 * any outgoing connection may take the port between the probe and the process binding it, or while a killed
 * committer is down and keeps its port for the restart — a nemesis run failed at start with EADDRINUSE that way
 * (seed 3003, e2e/results/2026-12-06.md).
 */
const BASE = Number(process.env.DW_E2E_STACK_PORT_BASE ?? 29000);
const FIRST = BASE + 1000;
const COUNT = 1000;

// In turn through the range: a port handed out is not handed out again for the next 999, bound by then or not.
let cursor = Math.floor(Math.random() * COUNT);

/** Whether the kernel gives out local ports of outgoing connections from `port` (Linux; elsewhere: assume so). */
function ephemeral(port: number): boolean {
  try {
    const [lo, hi] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
      .trim()
      .split(/\s+/)
      .map(Number);
    return port >= (lo ?? 32768) && port <= (hi ?? 60999);
  } catch {
    return port >= 32768;
  }
}

if (ephemeral(FIRST) || ephemeral(FIRST + COUNT - 1)) {
  throw new Error(
    `DW_E2E_STACK_PORT_BASE=${BASE}: the processes' ports ${FIRST}–${FIRST + COUNT - 1} reach into the kernel's ephemeral range; use a base of 30767 or less (e2e/README.md)`,
  );
}

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A free port of this session's range, for a process a run starts. */
export async function freePort(): Promise<number> {
  for (let tried = 0; tried < COUNT; tried++) {
    const port = FIRST + (cursor++ % COUNT);
    if (await bindable(port)) return port;
  }
  throw new Error(`no free port left in ${FIRST}–${FIRST + COUNT - 1} (DW_E2E_STACK_PORT_BASE=${BASE})`);
}
