/**
 * A test double of the bson-arrow builder: record values are flat JSON objects, turned into Arrow columns (integers →
 * long, other numbers → double, strings, booleans; anything else as JSON text) plus `_kafka_offset`, then encoded by
 * the real encoder pool. Invalid JSON is a failure (`invalid_json`), a null value (tombstone) is skipped.
 */

import { deltaSchemaOfArrow, serializeSchema } from '@delta-writer/delta-log/files';
import {
  Bool,
  type DataType,
  Float64,
  Int64,
  Table,
  tableToIPC,
  Utf8,
  type Vector,
  vectorFromArray,
} from 'apache-arrow';
import { splitByPartition } from '../../src/encoder/partition-split.js';
import { createEncoderPool, type EncoderPool } from '../../src/encoder/pool.js';
import type { BuildRequest, BuildResult, FileBuilder } from '../../src/pipeline/builder.js';

type Row = Record<string, unknown>;

export function jsonRowsTable(rows: Row[]): Table {
  const names = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const columns: Record<string, Vector<DataType>> = {};
  for (const name of names) {
    const values = rows.map((r) => r[name] ?? null);
    const present = values.filter((v) => v !== null);
    if (present.length > 0 && present.every((v) => typeof v === 'number' && Number.isSafeInteger(v))) {
      columns[name] = vectorFromArray(
        values.map((v) => (v === null ? null : BigInt(v as number))),
        new Int64(),
      );
    } else if (present.length > 0 && present.every((v) => typeof v === 'number')) {
      columns[name] = vectorFromArray(values as (number | null)[], new Float64());
    } else if (present.length > 0 && present.every((v) => typeof v === 'boolean')) {
      columns[name] = vectorFromArray(values as (boolean | null)[], new Bool());
    } else {
      columns[name] = vectorFromArray(
        values.map((v) => (v === null ? null : typeof v === 'string' ? v : JSON.stringify(v))),
        new Utf8(),
      );
    }
  }
  return new Table(columns);
}

export function createJsonBuilder(
  options: { threads?: number; pool?: EncoderPool } = {},
): FileBuilder & { builds: number } {
  const pool = options.pool ?? createEncoderPool({ threads: options.threads ?? 1 });
  const self = {
    builds: 0,
    async build(request: BuildRequest): Promise<BuildResult> {
      self.builds++;
      const rows: (Row & { index: number })[] = [];
      const failures: BuildResult['failures'] = [];
      const all = Array.from({ length: request.records.count }, (_, i) => request.records.record(i));
      all.forEach((record, index) => {
        if (record.value === null) return;
        try {
          const parsed = JSON.parse(record.value.toString('utf8')) as unknown;
          if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
            throw new Error('not an object');
          rows.push({ ...(parsed as Row), _kafka_offset: Number(record.offset), index });
        } catch (e) {
          failures.push({ index, reason: 'invalid_json', message: (e as Error).message });
        }
      });
      const outputs = await Promise.all(
        request.outputs.map(async (output) => {
          if (output.kind !== 'changelog') throw new Error('the JSON test builder writes changelogs only');
          const selected = rows.filter((r) => r.index >= output.fromIndex).map(({ index: _, ...r }) => r);
          if (selected.length === 0) return { kind: output.kind, files: [], deltaSchemaJson: '' };
          const table = jsonRowsTable(selected);
          const files = await Promise.all(
            splitByPartition(table, request.partitionBy).map(async (group) => {
              const encoded = await pool.encode({
                ipc: tableToIPC(group.table, 'stream'),
                compression: request.compression,
                ...(output.statsConfiguration && { statsConfiguration: output.statsConfiguration }),
              });
              return {
                parquet: encoded.parquet,
                statsJson: encoded.statsJson,
                numRecords: encoded.numRecords,
                partitionValues: group.values,
              };
            }),
          );
          return {
            kind: output.kind,
            files,
            deltaSchemaJson: serializeSchema(
              deltaSchemaOfArrow(table.schema, { ensureColumns: request.partitionBy }),
            ),
          };
        }),
      );
      return { outputs, failures };
    },
    close: () => pool.close(),
  };
  return self;
}
