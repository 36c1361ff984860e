/**
 * `@delta-writer/delta-log/files`: what a writer of Delta data files needs to know about Delta, without I/O and without
 * a table — for writers that produce files elsewhere (an ingestor's encoder threads) and hand the commit to someone
 * else. Statistics from per-leaf column statistics (collected while writing, or read from Arrow), the table schema of
 * Arrow data and back, partition directories, file names and `add.path`s.
 */

// The schema model and partition values the functions above take and give.
export { formatDecimal, serializePartitionValue } from '../scan/partition-values.js';
export {
  type DataType,
  parseSchema,
  type StructField,
  type StructType,
  serializeSchema,
} from '../schema/types.js';
export { arrowLeafStatistics, compareBytes } from './arrow-stats.js';
export {
  type DataFileLocation,
  dataFileLocation,
  dataFileName,
  encodeAddPath,
  escapePartitionPathSegment,
  HIVE_NULL_PARTITION,
  partitionDirectory,
} from './paths.js';
export {
  arrowSchemaOfDelta,
  deltaSchemaOfArrow,
  deltaTypeOfArrow,
  UnsupportedArrowTypeError,
} from './schema.js';
export {
  compareUtf8,
  isOrderable,
  type LeafStatistics,
  type LeafStatisticsOf,
  leafPaths,
  type StatScalar,
  type StatsOptions,
  statsColumns,
  statsJson,
  truncateMax,
  truncateMin,
} from './stats.js';
