/**
 * Stand-in until the Delta commit path of `@delta-writer/delta-log` lands: every table access fails, so every commit
 * is answered RETRY_LATER and nothing is acknowledged (ingestors keep their Kafka offsets). Replace with the
 * delta-log adapter in main.ts.
 */
import type { TableRef } from '@delta-writer/proto';
import type { SchemaAdmission, TableCommitter, TableSnapshot } from './table-committer.js';

export class UnwiredTableCommitter implements TableCommitter {
  async load(table: TableRef): Promise<TableSnapshot> {
    throw new Error(`the Delta commit path is not wired yet (table ${table.routingKey})`);
  }
  schemaAdmission(): SchemaAdmission {
    throw new Error('the Delta commit path is not wired yet');
  }
  async commit(): Promise<number> {
    throw new Error('the Delta commit path is not wired yet');
  }
}
