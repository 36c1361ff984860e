/**
 * `delta-log`: inspect and maintain Delta tables from a shell. Table URIs: a local path, `file://...`,
 * or `s3://bucket/prefix` (endpoint and credentials from the usual AWS environment variables).
 * Results go to stdout as JSON (JSON Lines for `scan` and `history`); errors go to stderr with exit code 1.
 */
import { Command, InvalidArgumentError } from 'commander';
import { DeltaError } from './errors.js';
import { repairStats } from './maintenance/repair-stats.js';
import type { Snapshot } from './snapshot.js';
import { DeltaTable } from './table.js';
import { stringifyJson } from './util/json.js';
import { encodeRows } from './util/row-encoding.js';

/** How often `repair-stats` reports progress on stderr. */
const PROGRESS_EVERY_MS = 2000;

function int(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a non-negative integer');
  return n;
}

function num(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected a non-negative number');
  return n;
}

function timestamp(value: string): number {
  const ms = Date.parse(value);
  if (Number.isNaN(ms))
    throw new InvalidArgumentError('expected an ISO-8601 timestamp, e.g. 2024-05-01T12:00:00Z');
  return ms;
}

async function open(uri: string, at: { version?: number; timestamp?: number }): Promise<Snapshot> {
  if (at.version !== undefined && at.timestamp !== undefined) {
    throw new InvalidArgumentError('use either --version or --timestamp');
  }
  const table = await DeltaTable.openUri(uri);
  if (at.version !== undefined) return table.snapshotAt(at.version);
  if (at.timestamp !== undefined) return table.snapshotAtTimestamp(at.timestamp);
  return table.snapshot;
}

/** Writes one line; waits when stdout is backed up so `scan | head` and large scans behave. */
function writeLine(line: string): Promise<void> {
  return new Promise((resolve, reject) => {
    if (process.stdout.write(`${line}\n`)) resolve();
    else {
      process.stdout.once('drain', resolve);
      process.stdout.once('error', reject);
    }
  });
}

export function snapshotSummary(s: Snapshot): Record<string, unknown> {
  return {
    version: s.version,
    timestamp: new Date(s.timestamp).toISOString(),
    protocol: s.protocol,
    metadata: {
      id: s.metadata.id,
      name: s.metadata.name ?? null,
      description: s.metadata.description ?? null,
    },
    schema: s.schema,
    partitionColumns: s.partitionColumns,
    configuration: s.configuration,
    numFiles: s.numFiles,
    sizeInBytes: s.files().reduce((n, f) => n + f.size, 0),
    txnVersions: Object.fromEntries([...s.state.txns.values()].map((t) => [t.appId, t.version])),
    domains: Object.fromEntries(
      [...s.state.activeDomains().values()].map((d) => [d.domain, d.configuration]),
    ),
    checkpoint: s.segment.checkpoint
      ? { version: s.segment.checkpoint.version, format: s.segment.checkpoint.format }
      : null,
  };
}

export function buildCli(): Command {
  const program = new Command('delta-log')
    .description('Inspect and maintain Delta Lake tables (local paths, file://, s3://)')
    .showHelpAfterError();

  program
    .command('snapshot')
    .description(
      'print the table state as JSON: version, protocol, schema, partitioning, configuration, files, txns',
    )
    .argument('<uri>', 'table location')
    .option('--version <n>', 'time travel to this version', int)
    .option(
      '--timestamp <iso>',
      'time travel to the newest version committed at or before this time',
      timestamp,
    )
    .action(async (uri: string, opts: { version?: number; timestamp?: number }) => {
      await writeLine(stringifyJson(snapshotSummary(await open(uri, opts)), 2));
    });

  program
    .command('scan')
    .description('print rows as JSON Lines (one object per row; see README "Value encoding")')
    .argument('<uri>', 'table location')
    .option('--version <n>', 'time travel to this version', int)
    .option(
      '--timestamp <iso>',
      'time travel to the newest version committed at or before this time',
      timestamp,
    )
    .option('--limit <k>', 'stop after k rows', int)
    .option('--columns <list>', 'comma-separated columns to print')
    .option('--partition-time-zone <zone>', 'IANA zone of unzoned timestamp partition values (default UTC)')
    .action(
      async (
        uri: string,
        opts: {
          version?: number;
          timestamp?: number;
          limit?: number;
          columns?: string;
          partitionTimeZone?: string;
        },
      ) => {
        const snapshot = await open(uri, opts);
        const scan = snapshot.scan({
          ...(opts.columns ? { columns: opts.columns.split(',').map((c) => c.trim()) } : {}),
          ...(opts.partitionTimeZone ? { partitionTimeZone: opts.partitionTimeZone } : {}),
        });
        let left = opts.limit ?? Number.POSITIVE_INFINITY;
        if (left === 0) return;
        for await (const batch of scan.batches()) {
          for (const row of encodeRows(batch, scan.schema)) {
            await writeLine(JSON.stringify(row));
            if (--left <= 0) return;
          }
        }
      },
    );

  program
    .command('history')
    .description('print commits newest first as JSON Lines: version, timestamp, commitInfo')
    .argument('<uri>', 'table location')
    .option('--limit <n>', 'only the n newest commits', int)
    .action(async (uri: string, opts: { limit?: number }) => {
      const table = await DeltaTable.openUri(uri);
      for (const h of await table.history(opts.limit)) {
        await writeLine(
          stringifyJson({
            version: h.version,
            timestamp: new Date(h.timestamp).toISOString(),
            commitInfo: h.commitInfo ?? null,
          }),
        );
      }
    });

  program
    .command('checkpoint')
    .description('write a checkpoint of the latest version and update _last_checkpoint')
    .argument('<uri>', 'table location')
    .action(async (uri: string) => {
      const table = await DeltaTable.openUri(uri);
      await writeLine(JSON.stringify(await table.checkpoint()));
    });

  program
    .command('vacuum')
    .description('delete data files unreferenced for longer than the retention (prints the list)')
    .argument('<uri>', 'table location')
    .option('--dry-run', 'only list what would be deleted')
    .option('--retention-hours <h>', 'override delta.deletedFileRetentionDuration', num)
    .option('--force', 'allow a retention shorter than the table configures')
    .action(async (uri: string, opts: { dryRun?: boolean; retentionHours?: number; force?: boolean }) => {
      const table = await DeltaTable.openUri(uri);
      const result = await table.vacuum({
        dryRun: opts.dryRun ?? false,
        ...(opts.retentionHours !== undefined ? { retentionHours: opts.retentionHours } : {}),
        ...(opts.force ? { force: true } : {}),
      });
      await writeLine(JSON.stringify(result));
    });

  program
    .command('repair-stats')
    .description(
      'find files whose stats disagree with their rows (bounds written through doubles by older writers) and ' +
        'commit corrected stats; progress on stderr',
    )
    .argument('<uri>', 'table location')
    .option('--dry-run', 'only list the files and the bounds that would change')
    .option('--all', 'read every file, not only those whose stats could have been rounded')
    .option('--concurrency <n>', 'files read at once (default 4)', int)
    .option('--files-per-commit <n>', 'repaired files per commit (default 500)', int)
    .action(
      async (
        uri: string,
        opts: { dryRun?: boolean; all?: boolean; concurrency?: number; filesPerCommit?: number },
      ) => {
        const table = await DeltaTable.openUri(uri);
        let last = 0;
        const result = await repairStats(table, {
          dryRun: opts.dryRun ?? false,
          all: opts.all ?? false,
          ...(opts.concurrency ? { concurrency: opts.concurrency } : {}),
          ...(opts.filesPerCommit ? { filesPerCommit: opts.filesPerCommit } : {}),
          onProgress: (p) => {
            const now = Date.now();
            if (now - last < PROGRESS_EVERY_MS && p.checked < p.total) return;
            last = now;
            process.stderr.write(
              `repair-stats: checked ${p.checked}/${p.total} files, read ${p.read}, ${p.toRepair} to repair` +
                `${p.commits.length > 0 ? `, committed ${p.commits.join(', ')}` : ''}\n`,
            );
          },
        });
        await writeLine(stringifyJson({ dryRun: opts.dryRun ?? false, ...result }));
      },
    );

  program
    .command('cleanup')
    .description('delete log files older than delta.logRetentionDuration that no retained version needs')
    .argument('<uri>', 'table location')
    .option('--dry-run', 'only list what would be deleted')
    .action(async (uri: string, opts: { dryRun?: boolean }) => {
      const table = await DeltaTable.openUri(uri);
      await writeLine(JSON.stringify(await table.cleanupLog({ dryRun: opts.dryRun ?? false })));
    });

  return program;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await buildCli().parseAsync(argv);
    return 0;
  } catch (err) {
    const msg =
      err instanceof DeltaError
        ? `${err.code}: ${err.message}`
        : err instanceof Error
          ? err.message
          : String(err);
    process.stderr.write(`delta-log: ${msg}\n`);
    return 1;
  }
}
