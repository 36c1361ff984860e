/** Graceful shutdown: the first signal stops with the stop's exit code; a second signal or the backstop exits 1. */
import { EventEmitter } from 'node:events';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { onShutdown } from '../src/index.js';

const quiet = pino({ level: 'silent' });

function fakeProcess() {
  const emitter = new EventEmitter();
  const exits: number[] = [];
  let exited: (code: number) => void = () => {};
  const exit = new Promise<number>((resolve) => {
    exited = resolve;
  });
  return {
    proc: Object.assign(emitter, {
      exit(code: number) {
        exits.push(code);
        exited(code);
      },
    }),
    exits,
    exit,
  };
}

describe('onShutdown', () => {
  it('runs the stop once on the first signal and exits with its code', async () => {
    const { proc, exits, exit } = fakeProcess();
    const stops: string[] = [];
    onShutdown({
      logger: quiet,
      process: proc,
      forceAfterMs: 10_000,
      stop: async (signal) => {
        stops.push(signal);
        return 0;
      },
    });
    proc.emit('SIGTERM');
    expect(await exit).toBe(0);
    expect(stops).toEqual(['SIGTERM']);
    expect(exits).toEqual([0]);
  });

  it('exits 1 at once on a second signal, and 1 when the stop fails', async () => {
    const a = fakeProcess();
    onShutdown({ logger: quiet, process: a.proc, forceAfterMs: 10_000, stop: () => new Promise(() => {}) });
    a.proc.emit('SIGINT');
    a.proc.emit('SIGTERM');
    expect(await a.exit).toBe(1);
    const b = fakeProcess();
    onShutdown({
      logger: quiet,
      process: b.proc,
      forceAfterMs: 10_000,
      stop: async () => {
        throw new Error('cannot release the lease');
      },
    });
    b.proc.emit('SIGTERM');
    expect(await b.exit).toBe(1);
  });

  it('exits 1 when the stop outlives its bound', async () => {
    const { proc, exit } = fakeProcess();
    const started = Date.now();
    onShutdown({ logger: quiet, process: proc, forceAfterMs: 50, stop: () => new Promise(() => {}) });
    proc.emit('SIGTERM');
    expect(await exit).toBe(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
  });
});
