/**
 * Faults of the services the pipeline depends on, on the private fault stack: the S3 server stopped for a while
 * (30 s in the long profile) and started again, the Kafka broker restarted, Redis restarted (it keeps no data: the
 * lease and the term counter are gone when it comes back).
 */
import type { FaultStack, Service } from '../harness/fault-stack.js';
import { randomMs, sleep } from '../harness/wait.js';
import type { Fault } from './loop.js';

export function restartService(stack: FaultStack, service: Service, downMs: () => number): Fault {
  return async (bench) => {
    const stopped = Date.now();
    await stack.down(service);
    const wait = downMs();
    await sleep(wait);
    await stack.up(service);
    const faultEnd = Date.now();
    return {
      faultEnd,
      note: `${service} down ${((faultEnd - stopped) / 1000).toFixed(0)} s (${bench.pipeline.running('ingestors').length} ingestors, ${bench.pipeline.running('committers').length} committers alive after)`,
    };
  };
}

/** A short random outage, for Kafka and Redis (their restart itself takes seconds to tens of seconds). */
export const briefly = (random: () => number) => () => randomMs(1000, 5000, random);
