import { type Server, ServerCredentials } from '@grpc/grpc-js';
import {
  type CommitterHandlers,
  type CommitterServerOptions,
  createCommitterServer,
  listen,
  RefusalReason,
  refuse,
  shutdown,
} from '../src/index.js';

export interface Running {
  readonly address: string;
  readonly server: Server;
  stop(): Promise<void>;
}

export async function startServer(
  options: Partial<CommitterServerOptions> & { handlers: CommitterHandlers },
  credentials = ServerCredentials.createInsecure(),
): Promise<Running> {
  // Tests that are not about authentication run an open server, which has to be asked for explicitly.
  const open = !options.tokens?.length && !options.authenticate && options.allowAnonymous === undefined;
  const server = createCommitterServer(open ? { ...options, allowAnonymous: true } : options);
  const port = await listen(server, '127.0.0.1:0', credentials);
  return { address: `127.0.0.1:${port}`, server, stop: () => shutdown(server, 1_000) };
}

/** A tiny in-memory committer: acks every commit with the next version, remembers the ranges. */
export function echoHandlers(id = 'echo'): CommitterHandlers & { calls: number } {
  let version = 0;
  const handlers = {
    calls: 0,
    async commit(request: Parameters<CommitterHandlers['commit']>[0]) {
      handlers.calls++;
      if (!request.table)
        return { $case: 'refusal' as const, value: refuse.invalidRequest('table is required') };
      version++;
      return {
        $case: 'ack' as const,
        value: {
          tableVersion: version,
          duplicate: false,
          committedOffsets: request.sourceRanges.map((r) => ({
            consumerGroup: r.consumerGroup,
            topic: r.topic,
            partition: r.partition,
            lastOffset: r.lastOffset,
          })),
        },
      };
    },
    async getTableState() {
      handlers.calls++;
      return {
        $case: 'state' as const,
        value: {
          exists: version > 0,
          tableVersion: version,
          deltaSchemaJson: '',
          partitionColumns: [],
          committedOffsets: [],
          statsConfiguration: {},
        },
      };
    },
    serverInfo: () => ({
      minProtocolVersion: 0,
      maxProtocolVersion: 0,
      serverId: id,
      serverVersion: 'test',
      leader: true,
      leaderAddress: '',
      leaderTerm: 1,
    }),
  };
  return handlers;
}

/** Handlers of a standby replica: every call is refused NOT_LEADER with the given hint. */
export function standbyHandlers(leaderAddress: () => string): CommitterHandlers & { calls: number } {
  const handlers = {
    calls: 0,
    async commit() {
      handlers.calls++;
      return { $case: 'refusal' as const, value: refuse.notLeader(leaderAddress()) };
    },
    async getTableState() {
      handlers.calls++;
      return { $case: 'refusal' as const, value: refuse.notLeader(leaderAddress()) };
    },
    serverInfo: () => ({
      minProtocolVersion: 0,
      maxProtocolVersion: 0,
      serverId: 'standby',
      serverVersion: 'test',
      leader: false,
      leaderAddress: leaderAddress(),
      leaderTerm: 1,
    }),
  };
  return handlers;
}

export const sampleCommit = {
  table: { routingKey: 'shop.orders', tableUri: 's3://lake/delta/shop/orders' },
  ingestorId: 'ingestor-0',
  idempotencyId: 'm-1',
  writeMode: 1,
  deltaSchemaJson: '{"type":"struct","fields":[]}',
  partitionColumns: [],
  files: [
    {
      path: 'part-0.parquet',
      sizeBytes: 1234,
      recordCount: 10,
      partitionValues: [],
      statsJson: '{"numRecords":10}',
      modificationTimeMs: 1_700_000_000_000,
    },
  ],
  sourceRanges: [
    {
      consumerGroup: 'dw',
      topic: 'mongodb.shop.orders',
      partition: 0,
      firstOffset: 0,
      lastOffset: 9,
      gapAcknowledged: false,
    },
  ],
};

export { RefusalReason };
