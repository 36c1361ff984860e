/**
 * File statistics for `add.stats` (PROTOCOL "Per-file Statistics") of Arrow data about to be written: the leaf
 * statistics are read from the data (`files/arrow-stats.ts`) and formatted by the one stats formatter
 * (`files/stats.ts`), which also holds the rules. Keys are physical column names.
 */
import type * as A from 'apache-arrow';
import { arrowLeafStatistics } from '../files/arrow-stats.js';
import { type StatsOptions, statsJson } from '../files/stats.js';
import type { StructType } from '../schema/types.js';

export { compareUtf8, type StatsOptions, truncateMax, truncateMin } from '../files/stats.js';

/**
 * Statistics JSON for a data file holding `data` (Arrow batches in the table's logical schema, without
 * partition columns), ready for `AddFile.stats`.
 */
export function collectStats(
  data: A.Table | A.RecordBatch[],
  schema: StructType,
  options: StatsOptions = {},
): string {
  const batches = Array.isArray(data) ? data : data.batches;
  const numRecords = batches.reduce((n, b) => n + b.numRows, 0);
  return statsJson(schema, numRecords, arrowLeafStatistics(batches), options);
}
