/**
 * In-memory {@link Tables} for tests of the coordination logic (our own interface, not an external service). It
 * keeps the one property the real Delta log gives that matters here: a commit lands only if no other commit took its
 * version (put-if-absent), otherwise the attempt is a conflict.
 */
import type { CommitRequest, Refusal, TableRef } from '@delta-writer/proto';
import { refuse } from '@delta-writer/proto';
import type {
  CommitAttempt,
  PreparedCommit,
  SchemaAdmission,
  TableSnapshot,
  Tables,
} from '../src/commit/tables.js';

export interface MemoryCommit {
  readonly version: number;
  readonly files: string[];
  readonly txns: { appId: string; version: number }[];
  readonly term: number;
}

export class MemoryTables implements Tables {
  readonly tables = new Map<
    string,
    { commits: MemoryCommit[]; schemaJson: string; partitionColumns: string[] }
  >();
  /** Runs between load and commit (to simulate a concurrent writer). */
  beforeCommit?: (prepared: PreparedCommit) => void | Promise<void>;
  /** Schema rule for tests: a manifest whose schema JSON contains "incompatible" is refused. */
  loads = 0;

  async load(table: TableRef): Promise<TableSnapshot> {
    this.loads++;
    const t = this.tables.get(table.tableUri);
    if (!t)
      return { exists: false, version: -1, schemaJson: '', partitionColumns: [], txnVersions: new Map() };
    const txnVersions = new Map<string, number>();
    for (const c of t.commits) for (const x of c.txns) txnVersions.set(x.appId, x.version);
    return {
      exists: true,
      version: t.commits.length - 1,
      schemaJson: t.schemaJson,
      partitionColumns: t.partitionColumns,
      txnVersions,
    };
  }

  schemaAdmission(snapshot: TableSnapshot): SchemaAdmission {
    let schemaJson = snapshot.schemaJson;
    let changed = false;
    return {
      admit(manifest: CommitRequest): Refusal | undefined {
        if (manifest.deltaSchemaJson.includes('incompatible')) {
          return refuse.schemaIncompatible('column x: long vs string', [
            { columnPath: 'x', tableTypeJson: '"long"', fileTypeJson: '"string"', reason: 'long vs string' },
          ]);
        }
        if (manifest.deltaSchemaJson !== schemaJson) {
          schemaJson = manifest.deltaSchemaJson;
          changed = true;
        }
        return undefined;
      },
      get schemaJson() {
        return schemaJson;
      },
      get changed() {
        return changed;
      },
    };
  }

  async commit(prepared: PreparedCommit, signal: AbortSignal): Promise<CommitAttempt> {
    await this.beforeCommit?.(prepared);
    signal.throwIfAborted();
    const uri = prepared.table.tableUri;
    let t = this.tables.get(uri);
    const version = prepared.snapshot.version + 1;
    if ((t ? t.commits.length : 0) !== version) {
      return { kind: 'conflict', reason: `version ${version} already exists` };
    }
    if (!t) {
      t = { commits: [], schemaJson: prepared.schemaJson, partitionColumns: [...prepared.partitionColumns] };
      this.tables.set(uri, t);
    }
    t.schemaJson = prepared.schemaJson;
    t.commits.push({
      version,
      files: prepared.manifests.flatMap((m) => m.files.map((f) => f.path)),
      txns: [...prepared.txns],
      term: prepared.term,
    });
    return { kind: 'committed', version };
  }

  files(uri: string): string[] {
    return (this.tables.get(uri)?.commits ?? []).flatMap((c) => c.files);
  }
}

let seq = 0;
export function manifest(
  partition: number,
  first: number,
  last: number,
  overrides: Partial<CommitRequest> = {},
): CommitRequest {
  const id = `m${++seq}`;
  return {
    protocolVersion: 1,
    table: { routingKey: 'shop.orders', tableUri: 's3://lake/delta/shop/orders' },
    ingestorId: 'ingestor-0',
    idempotencyId: id,
    writeMode: 1,
    mirror: undefined,
    deltaSchemaJson: '{"type":"struct","fields":[]}',
    partitionColumns: [],
    files: [
      {
        path: `part-${partition}-${first}-${last}-${id}.parquet`,
        sizeBytes: 100,
        recordCount: last - first + 1,
        partitionValues: [],
        statsJson: '',
        modificationTimeMs: 0,
      },
    ],
    sourceRanges: [
      {
        consumerGroup: 'dw',
        topic: 'mongodb.shop.orders',
        partition,
        firstOffset: first,
        lastOffset: last,
        gapAcknowledged: false,
      },
    ],
    ...overrides,
  };
}
