/**
 * CPU time of one thread (Node's `process.threadCpuUsage`), for the per-thread cost figures: the process total hides
 * whether the event loop or an encoder thread is the limit. Tiny on purpose: encoder threads import it too.
 */
export function threadCpuMicros(): number {
  const u = process.threadCpuUsage();
  return u.user + u.system;
}
