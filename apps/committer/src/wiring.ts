/**
 * The real dependencies of a committer process: the fenced S3 storage, the tables on delta-log (DeltaTables), the
 * mirror planner and table maintenance (with its worker thread), from the configuration.
 */

import type { Logger } from '@delta-writer/service-kit';
import type { CommitterDeps, StorageChecks } from './app.js';
import type { CommitterConfig } from './config/load.js';
import { DeltaTables } from './delta/delta-tables.js';
import { FencedStorage } from './delta/fence.js';
import { createS3Storage, storageSettings, tablePathOf } from './delta/s3.js';
import { dataFilesProblem, probePutIfAbsent } from './delta/storage-checks.js';
import { Maintainer } from './maintenance/maintainer.js';
import { createMaintenancePool } from './maintenance/pool.js';
import { MirrorPlanner } from './mirror/planner.js';
import { MirrorTables } from './mirror/tables.js';
import { syncMirrorTablesOnTermStart } from './mirror/term-start.js';
import { createMetrics, type Metrics, setThreadMemory } from './ops/metrics.js';
import { RESERVED_SEGMENT } from './service/paths.js';

export interface DeltaDeps extends CommitterDeps {
  readonly tables: DeltaTables;
  readonly maintenance: Maintainer;
  readonly metrics: Metrics;
  readonly storageChecks: StorageChecks;
}

export function createDeltaDeps(
  config: CommitterConfig,
  logger: Logger,
  metrics: Metrics = createMetrics(),
): DeltaDeps {
  const settings = storageSettings(config.storage);
  const s3 = createS3Storage(settings);
  const storage = new FencedStorage(s3);
  const base = tablePathOf(config.storage.tableRootUri, config.storage.bucket);
  const storageChecks: StorageChecks = {
    verifyFiles: (table, files) =>
      dataFilesProblem(storage, tablePathOf(table.tableUri, config.storage.bucket), files),
    // The probe object is not a table file and is written outside any term (at start-up too): straight to S3.
    probePutIfAbsent: (label) =>
      probePutIfAbsent(
        s3,
        `${base ? `${base}/` : ''}${RESERVED_SEGMENT}/probes`,
        `${config.instanceId}-${label}`,
      ),
  };
  const mirrorTables = new MirrorTables({
    redisUrl: config.lease.redisUrl,
    prefix: config.lease.keyPrefix,
  });
  const mirror = new MirrorPlanner({
    tables: mirrorTables,
    metrics,
    logger,
    vectorCacheRows: config.mirror.vectorCacheRows,
  });
  const tables = new DeltaTables({
    mirror,
    storage,
    bucket: config.storage.bucket,
    typeWidening: config.tables.typeWidening,
    schemaLimits: { maxColumns: config.tables.maxSchemaColumns, maxDepth: config.tables.maxSchemaDepth },
    tableProperties: config.tables.properties,
    cacheSize: config.tables.cacheSize,
    committerId: config.instanceId,
  });
  const maintenance = new Maintainer({
    config: config.maintenance,
    storage,
    snapshot: (tablePath, fresh) => tables.snapshot(tablePath, fresh),
    pool: createMaintenancePool(settings, {
      onMemory: (memory) => setThreadMemory(metrics.threadMemory, 'maintenance', memory),
      maxThreadBytes: config.maintenance.threadMaxBytes,
      memoryReleaseIntervalMs: config.memoryReleaseIntervalMs,
      onRelease: (r) => {
        metrics.memoryReleaseDuration.observe({ thread: 'maintenance' }, r.seconds);
        metrics.memoryReleasedBytes.inc(Math.max(0, r.rssBeforeBytes - r.rssAfterBytes));
      },
    }),
    mirror: { tables: mirrorTables, planner: mirror, config: config.mirror },
    logger,
    metrics,
  });
  tables.onCommitted((committed) => maintenance.committed(committed));
  return {
    tables: tables,
    maintenance,
    logger,
    metrics,
    storageChecks,
    onLeadership: (leadership) =>
      void syncMirrorTablesOnTermStart(
        {
          tables: mirrorTables,
          planner: mirror,
          snapshot: (tablePath) => tables.snapshot(tablePath, true),
          track: (tablePath, snapshot) => maintenance.committed({ tablePath, snapshot }),
          logger,
        },
        leadership,
      ),
    close: () => mirrorTables.close(),
  };
}
