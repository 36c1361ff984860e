/** delta-log pieces the tests use, in one place. */
import { type Action, parseActions, type Storage } from '@delta-writer/delta-log';

export { type Action, Snapshot, type Storage } from '@delta-writer/delta-log';

export async function readCommitActions(
  storage: Storage,
  tablePath: string,
  version: number,
): Promise<Action[]> {
  const name = `${String(version).padStart(20, '0')}.json`;
  const bytes = await storage.get(`${tablePath}/_delta_log/${name}`);
  return parseActions(new TextDecoder().decode(bytes), name);
}
