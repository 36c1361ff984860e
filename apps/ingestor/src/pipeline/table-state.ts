/** A table's state as the committer has it; a refusal is an error (positioning and schema refresh retry it). */
import { type CommitterClient, refusalReasonName, type TableState } from '@delta-writer/proto';
import type { TableRoute } from '../routing.js';

export async function readTableState(
  committer: Pick<CommitterClient, 'getTableState'>,
  route: TableRoute,
  consumerGroup: string,
  signal: AbortSignal,
): Promise<TableState> {
  const outcome = await committer.getTableState(
    { table: { routingKey: route.routingKey, tableUri: route.tableUri }, consumerGroup },
    { signal },
  );
  if (outcome.$case === 'refusal') {
    throw new Error(
      `GetTableState refused: ${refusalReasonName(outcome.value.reason)}: ${outcome.value.message}`,
    );
  }
  return outcome.value;
}
