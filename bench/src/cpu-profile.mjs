// CPU profiles of a service process and its worker threads, for `--profile`: `--cpu-prof` writes its profile only
// at a clean exit (Node 20 refused it in NODE_OPTIONS outright), and the harness starts the services itself, so this preload (NODE_OPTIONS=--import <this file>)
// profiles the thread through the inspector and writes a `.cpuprofile` every 5 s (stop, write, start again): a
// thread that is terminated without an exit event still leaves its profile. Worker threads do not run NODE_OPTIONS
// preloads, so in the main thread `Worker` is wrapped to load this file first in every new thread (piscina looks
// `Worker` up on the module object when it starts one).
// The folder is BENCH_PROFILE_DIR; bench/src/profile-summary.ts adds the chunks up.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isMainThread, threadId } from 'node:worker_threads';

const dir = process.env.BENCH_PROFILE_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  const who = `${process.env.INGESTOR_ID ?? process.env.COMMITTER_ID ?? 'node'}-${process.pid}-${isMainThread ? 'main' : `worker${threadId}`}`;
  let chunk = 0;
  const start = () => {
    session.post('Profiler.enable');
    session.post('Profiler.setSamplingInterval', { interval: 1000 });
    session.post('Profiler.start');
  };
  // The same-thread session answers synchronously, so this also works in an exit handler.
  const flush = () => {
    session.post('Profiler.stop', (err, result) => {
      if (!err && result?.profile) {
        writeFileSync(
          join(dir, `${who}-${String(chunk++).padStart(3, '0')}.cpuprofile`),
          JSON.stringify(result.profile),
        );
      }
    });
  };
  start();
  const timer = setInterval(() => {
    flush();
    start();
  }, 5000);
  timer.unref();
  process.on('exit', flush);
  // piscina's idle workers block in Atomics.wait (their timers never fire): write the chunk there instead
  if (!isMainThread) {
    const wait = Atomics.wait;
    let last = Date.now();
    Atomics.wait = (...args) => {
      if (Date.now() - last >= 5000) {
        last = Date.now();
        flush();
        start();
      }
      return wait(...args);
    };
  }

  if (isMainThread) {
    const threads = createRequire(import.meta.url)('node:worker_threads');
    const Original = threads.Worker;
    const self = JSON.stringify(import.meta.url);
    threads.Worker = class extends Original {
      constructor(filename, options = {}) {
        if (options.eval || (typeof filename !== 'string' && !(filename instanceof URL))) {
          super(filename, options);
          return;
        }
        const target = JSON.stringify((filename instanceof URL ? filename : pathToFileURL(filename)).href);
        super(`import(${self}).then(() => import(${target}))`, { ...options, eval: true });
      }
    };
    syncBuiltinESMExports();
  }
}
