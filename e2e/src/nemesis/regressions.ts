/**
 * Every defect the nemesis found, by the seed whose schedule found it: `test:nemesis --regressions` runs these
 * seeds again (with the long profile they were found with), and each entry names the test that pins the fix down
 * without the nemesis. e2e/results/ has a line for each.
 */
export interface Regression {
  seed: number;
  found: string;
  fix: string;
  test: string;
}

export const REGRESSIONS: readonly Regression[] = [
  {
    seed: 1007,
    found:
      "S3 carried out some of the leader's requests and never answered them: the SDK's requestTimeout only warns, so the commit PUT waited forever, the leader kept its lease and its tables never committed again",
    fix: 'committer and ingestor S3 clients: 30 s of silence or 120 s without an answer end a request, and the SDK throws (throwOnRequestTimeout)',
    test: 'apps/committer/test/s3-timeouts.test.ts, apps/ingestor/test/integration/uploader.test.ts',
  },
  {
    seed: 1014,
    found:
      "harness: after a Kafka restart the steady producer's backlog went out in produce requests over the broker's 1 MiB message.max.bytes, and the run died",
    fix: 'e2e KafkaHelper.produce: requests of at most 768 KiB',
    test: 'e2e/test/harness/kafka-helper.test.ts',
  },
  {
    seed: 3003,
    found:
      "harness: a committer failed to start (EADDRINUSE): its port, probed free by binding port 0, came from the kernel's ephemeral range, and another connection took it before the committer bound it",
    fix: "e2e harness/ports.ts: the processes' ports come from DW_E2E_STACK_PORT_BASE + 1000 … + 1999, below the ephemeral range",
    test: 'e2e/test/harness/ports.test.ts',
  },
  {
    seed: 5044,
    found:
      "harness: the Spark reader, one session for a whole nemesis session, kept every table it read (Delta's log cache and each snapshot's persisted state) and ran out of heap after ~45 runs (GC overhead limit exceeded); the run's Spark check failed",
    fix: 'tools/readers SparkEngine.forget: after each request, DeltaLog.clearCache, catalog.clearCache and every persisted RDD unpersisted',
    test: 'tools/readers/test/cross-engine.test.ts (a session that serves a whole e2e run)',
  },
];
