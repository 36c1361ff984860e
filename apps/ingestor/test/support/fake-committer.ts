/**
 * A test double of the committer: the exactly-once offset rules of the protocol (duplicate / next / gap / overlap,
 * decided per request as a whole) over in-memory tables. Usable directly or behind a real in-process gRPC server
 * (`startCommitterServer`), so ingestor tests exercise the actual protocol without the real committer.
 */
import {
  type CommitOutcome,
  type CommitRequest,
  type CommittedOffset,
  createCommitterServer,
  type DataFile,
  type GetTableStateRequest,
  listen,
  refuse,
  serverCredentials,
  shutdown,
  type TableStateOutcome,
} from '@delta-writer/proto';

export interface FakeTable {
  version: number;
  schema: string;
  files: DataFile[];
  offsets: Map<string, number>;
  commits: CommitRequest[];
  /** The table's `delta.dataSkipping*` properties, as GetTableState reports them. */
  statsConfiguration?: Record<string, string>;
}

const key = (group: string, topic: string, partition: number) => `${group}|${topic}|${partition}`;

export class FakeCommitter {
  readonly tables = new Map<string, FakeTable>();
  readonly requests: CommitRequest[] = [];
  /** Hook to refuse or delay a commit (return an outcome to answer with it instead). */
  intercept?: (request: CommitRequest) => CommitOutcome | undefined | Promise<CommitOutcome | undefined>;
  /** Schemas the table refuses (exact Delta schema JSON). */
  readonly incompatibleSchemas = new Set<string>();

  async commit(request: CommitRequest): Promise<CommitOutcome> {
    this.requests.push(request);
    const intercepted = await this.intercept?.(request);
    if (intercepted) return intercepted;
    const uri = request.table?.tableUri ?? '';
    const table: FakeTable = this.tables.get(uri) ?? {
      version: -1,
      schema: '',
      files: [],
      offsets: new Map(),
      commits: [],
    };
    const classes = request.sourceRanges.map((r) => {
      const c = table.offsets.get(key(r.consumerGroup, r.topic, r.partition));
      if (c === undefined) return 'new';
      if (r.lastOffset <= c) return 'duplicate';
      if (r.firstOffset === c + 1) return 'next';
      if (r.firstOffset > c + 1) return r.gapAcknowledged ? 'next' : 'gap';
      return 'overlap';
    });
    const committed = (): CommittedOffset[] =>
      request.sourceRanges.map((r) => ({
        consumerGroup: r.consumerGroup,
        topic: r.topic,
        partition: r.partition,
        lastOffset: table.offsets.get(key(r.consumerGroup, r.topic, r.partition)) ?? -1,
      }));
    if (classes.every((c) => c === 'duplicate')) {
      return {
        $case: 'ack',
        value: { tableVersion: table.version, duplicate: true, committedOffsets: committed() },
      };
    }
    if (classes.some((c) => c === 'overlap' || c === 'duplicate')) {
      return { $case: 'refusal', value: refuse.offsetOverlap(`overlap: ${classes.join(',')}`, committed()) };
    }
    if (classes.includes('gap')) return { $case: 'refusal', value: refuse.offsetGap('gap', committed()) };
    if (request.files.length > 0 && this.incompatibleSchemas.has(request.deltaSchemaJson)) {
      return { $case: 'refusal', value: refuse.schemaIncompatible('column conflicts with the table', []) };
    }
    table.version += 1;
    if (request.deltaSchemaJson) table.schema = request.deltaSchemaJson;
    table.files.push(...request.files);
    table.commits.push(request);
    for (const r of request.sourceRanges)
      table.offsets.set(key(r.consumerGroup, r.topic, r.partition), r.lastOffset);
    this.tables.set(uri, table);
    return {
      $case: 'ack',
      value: { tableVersion: table.version, duplicate: false, committedOffsets: committed() },
    };
  }

  async getTableState(
    request: Pick<GetTableStateRequest, 'table' | 'consumerGroup'>,
  ): Promise<TableStateOutcome> {
    const table = this.tables.get(request.table?.tableUri ?? '');
    if (!table) {
      return {
        $case: 'state',
        value: {
          exists: false,
          tableVersion: 0,
          deltaSchemaJson: '',
          partitionColumns: [],
          committedOffsets: [],
          statsConfiguration: {},
        },
      };
    }
    const committedOffsets = [...table.offsets.entries()]
      .map(([k, lastOffset]) => {
        const [consumerGroup, topic, partition] = k.split('|') as [string, string, string];
        return { consumerGroup, topic, partition: Number(partition), lastOffset };
      })
      .filter((c) => !request.consumerGroup || c.consumerGroup === request.consumerGroup);
    return {
      $case: 'state',
      value: {
        exists: true,
        tableVersion: table.version,
        deltaSchemaJson: table.schema,
        partitionColumns: [],
        committedOffsets,
        statsConfiguration: table.statsConfiguration ?? {},
      },
    };
  }

  /** Sets a committed offset as if another ingestor had committed it. */
  setCommitted(tableUri: string, group: string, topic: string, partition: number, lastOffset: number): void {
    const table: FakeTable = this.tables.get(tableUri) ?? {
      version: 0,
      schema: '',
      files: [],
      offsets: new Map(),
      commits: [],
    };
    table.offsets.set(key(group, topic, partition), lastOffset);
    this.tables.set(tableUri, table);
  }
}

/** Serves a FakeCommitter over real gRPC on a free localhost port. */
export async function startCommitterServer(fake: FakeCommitter, tokens: string[] = []) {
  const server = createCommitterServer({
    handlers: {
      commit: (req) => fake.commit(req),
      getTableState: (req) => fake.getTableState(req),
      serverInfo: () => ({
        minProtocolVersion: 1,
        maxProtocolVersion: 1,
        serverId: 'fake',
        serverVersion: 'test',
        leader: true,
        leaderAddress: '',
        leaderTerm: 1,
      }),
    },
    tokens,
    // tests that pass no token exercise the pipeline, not authentication
    allowAnonymous: tokens.length === 0,
  });
  const port = await listen(server, '127.0.0.1:0', serverCredentials(undefined));
  return { address: `127.0.0.1:${port}`, close: () => shutdown(server, 1000) };
}
