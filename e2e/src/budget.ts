/**
 * How much each scenario does. The default `test` run is the short profile (each scenario once, small workloads:
 * minutes on two shared cores); `test:e2e:long` sets DW_E2E_PROFILE=long for the full loops.
 */
export const LONG = process.env.DW_E2E_PROFILE === 'long';

export const budget = {
  /** Standard MongoDB pipeline: events after the snapshot, and snapshot documents per collection. */
  pipelineEvents: LONG ? 20_000 : 1_500,
  snapshotDocs: LONG ? 200 : 25,
  /** Runs of each fault loop. */
  runs: (long: number) => (LONG ? long : 1),
  /** Events produced in each run of a fault loop. */
  faultEvents: LONG ? 4_000 : 500,
  /** How long each run's stream lasts; the fault lands somewhere in it. */
  streamMs: LONG ? 12_000 : 5_000,
  /** How long the Kafka broker stays down in the long-outage scenario: past kafkajs' ~40 s of retries. */
  kafkaOutageMs: 50_000,
  /** How long the S3 server stays down. */
  s3OutageMs: LONG ? 30_000 : 10_000,
};
