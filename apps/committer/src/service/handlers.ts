/**
 * The CommitterService behaviour: validate, check leadership, queue into the table's group commit, answer. GetTableState
 * is answered by any replica straight from the table's log (acknowledged commits are durable there, so a standby's
 * answer is as good as the leader's).
 */
import {
  type CallContext,
  type CommitOutcome,
  type CommitRequest,
  type CommitterHandlers,
  type GetTableStateRequest,
  inScope,
  type Refusal,
  refusalReasonName,
  refuse,
  type ServerInfo,
  type TableRef,
  type TableStateOutcome,
} from '@delta-writer/proto';
import type { TableCommitter } from '../commit/table-committer.js';
import type { Leadership, LeaseHolder } from '../lease/lease.js';
import { LeadershipLostError } from '../lease/lease.js';
import type { Logger } from '../ops/log.js';
import type { Metrics } from '../ops/metrics.js';
import { parseTxnAppId } from '../plan/txn-app-id.js';
import { type GroupCommitScheduler, QueueFullError, SchedulerClosedError } from '../schedule/scheduler.js';
import type { FileChecks } from './file-checks.js';
import { tableUriProblem } from './paths.js';
import { validateCommitRequest } from './validate.js';

export interface ServiceDeps {
  readonly lease: { readonly leadership: Leadership | undefined; holder(): Promise<LeaseHolder | undefined> };
  readonly scheduler: GroupCommitScheduler<CommitRequest, CommitOutcome>;
  readonly committer: TableCommitter;
  readonly tableRootUri: string;
  readonly serverId: string;
  readonly serverVersion: string;
  readonly metrics: Metrics;
  readonly logger: Logger;
  /**
   * The checks that a manifest's data files exist in storage with their stated sizes: started on the leader as the
   * manifest is queued, awaited when its batch commits. Absent only in tests on in-memory tables.
   */
  readonly fileChecks?: FileChecks;
}

export function createHandlers(deps: ServiceDeps): CommitterHandlers {
  const { logger, metrics } = deps;
  // Retries of a manifest that is still queued share its answer instead of queueing again.
  const pending = new Map<string, Promise<CommitOutcome>>();

  const leaderHint = async (): Promise<string> => {
    try {
      return (await deps.lease.holder())?.address ?? '';
    } catch {
      return '';
    }
  };
  const refusal = (value: Refusal): CommitOutcome => ({ $case: 'refusal', value });

  const count = (outcome: CommitOutcome) => {
    if (outcome.$case === 'ack') {
      metrics.manifests.inc({ outcome: outcome.value.duplicate ? 'duplicate' : 'committed', reason: '' });
    } else {
      metrics.manifests.inc({ outcome: 'refused', reason: refusalReasonName(outcome.value.reason) });
    }
    return outcome;
  };

  /** PERMISSION_DENIED when the caller's scope does not cover the table (counted and logged), else undefined. */
  const denied = (tableUri: string, context: CallContext, method: string): Refusal | undefined => {
    if (inScope(context.principal, tableUri)) return undefined;
    metrics.authRefusals.inc({ reason: 'permission_denied', method });
    logger.warn(
      { principal: context.principal.id, peer: context.peer, table: tableUri, method },
      'caller not allowed this table',
    );
    return refuse.permissionDenied(
      `credential ${context.principal.id} may not touch ${tableUri} (its scope: ${(context.principal.tablePrefixes ?? []).join(', ') || 'none'})`,
    );
  };

  async function commit(request: CommitRequest, context: CallContext): Promise<CommitOutcome> {
    const invalid = validateCommitRequest(request, deps.tableRootUri);
    if (invalid) {
      logger.warn(
        {
          ingestor: request.ingestorId,
          peer: context.peer,
          principal: context.principal.id,
          problem: invalid,
        },
        'invalid commit request',
      );
      return count(refusal(refuse.invalidRequest(invalid)));
    }
    const table = (request.table as TableRef).tableUri.replace(/\/+$/, '');
    const forbidden = denied(table, context, 'Commit');
    if (forbidden) return count(refusal(forbidden));
    if (!deps.lease.leadership) return count(refusal(refuse.notLeader(await leaderHint())));
    const key = `${table}\n${request.idempotencyId}`;
    let answer = pending.get(key);
    if (!answer) {
      // A retry of a queued manifest shares its answer, so the storage checks run once per manifest.
      deps.fileChecks?.start(request);
      answer = deps.scheduler.submit(table, request).finally(() => pending.delete(key));
      pending.set(key, answer);
    }
    try {
      return count(await answer);
    } catch (error) {
      if (error instanceof LeadershipLostError || error instanceof SchedulerClosedError) {
        return count(refusal(refuse.notLeader(await leaderHint())));
      }
      if (error instanceof QueueFullError) return count(refusal(refuse.retryLater(error.message, 1_000)));
      logger.error({ err: error, table: request.table?.routingKey }, 'commit failed');
      return count(refusal(refuse.retryLater(`commit failed: ${(error as Error).message}`, 1_000)));
    }
  }

  async function getTableState(
    request: GetTableStateRequest,
    context: CallContext,
  ): Promise<TableStateOutcome> {
    const table = request.table;
    if (!table?.tableUri)
      return { $case: 'refusal', value: refuse.invalidRequest('table.table_uri is required') };
    const uriProblem = tableUriProblem(table.tableUri, deps.tableRootUri);
    if (uriProblem)
      return { $case: 'refusal', value: refuse.invalidRequest(`table.table_uri ${uriProblem}`) };
    const forbidden = denied(table.tableUri.replace(/\/+$/, ''), context, 'GetTableState');
    if (forbidden) return { $case: 'refusal', value: forbidden };
    try {
      const snapshot = await deps.committer.load(table);
      const committedOffsets = [...snapshot.txnVersions].flatMap(([appId, lastOffset]) => {
        const p = parseTxnAppId(appId);
        return p && (!request.consumerGroup || p.consumerGroup === request.consumerGroup)
          ? [{ ...p, lastOffset }]
          : [];
      });
      return {
        $case: 'state',
        value: {
          exists: snapshot.exists,
          tableVersion: Math.max(snapshot.version, 0),
          deltaSchemaJson: snapshot.schemaJson,
          partitionColumns: [...snapshot.partitionColumns],
          committedOffsets,
          statsConfiguration: { ...snapshot.statsConfiguration },
        },
      };
    } catch (error) {
      logger.error({ err: error, table: table.routingKey }, 'reading table state failed');
      return {
        $case: 'refusal',
        value: refuse.retryLater(`reading the table failed: ${(error as Error).message}`, 1_000),
      };
    }
  }

  async function serverInfo(): Promise<ServerInfo> {
    const leadership = deps.lease.leadership;
    const holder = await deps.lease.holder().catch(() => undefined);
    return {
      minProtocolVersion: 0, // filled in by the server from its protocol range
      maxProtocolVersion: 0,
      serverId: deps.serverId,
      serverVersion: deps.serverVersion,
      leader: leadership !== undefined,
      leaderAddress: holder?.address ?? '',
      leaderTerm: leadership?.term ?? holder?.term ?? 0,
    };
  }

  return { commit, getTableState, serverInfo };
}
