/**
 * The connectors the decoders know, chosen by `source.connector`. Adding one is a file beside these (its
 * {@link Connector}) and a line in {@link CONNECTORS}, plus its fixtures in `testdata/debezium/`. A connector
 * without a file of its own (sqlserver, oracle, db2, …) decodes as the generic relational one, as every
 * relational connector did before they had files.
 */
import type { Connector } from './connector.js';
import { mongodb } from './mongodb.js';
import { binlogPosition, mysql } from './mysql.js';
import { postgresPosition, postgresql } from './postgresql.js';
import { relationalConnector } from './relational.js';

export const CONNECTORS: readonly Connector[] = [mongodb, postgresql, mysql];

/** Any other relational connector: its position by whichever reader recognises its source block. */
export const relational: Connector = relationalConnector(
  'relational',
  (source) => postgresPosition(source) ?? binlogPosition(source),
);

const BY_NAME = new Map<string, Connector>(CONNECTORS.map((c) => [c.name, c]));
BY_NAME.set(relational.name, relational);

/** The connector that wrote an event whose `source.connector` is `name` (the generic relational one otherwise). */
export function connectorNamed(name: string | null | undefined): Connector {
  return (name === null || name === undefined ? undefined : BY_NAME.get(name)) ?? relational;
}

/** The connector a key without context belongs to (a tombstone before any event of its topic). */
export function connectorOfKey(keyText: string): Connector {
  for (const c of CONNECTORS) if (c.ownsKey?.(keyText)) return c;
  return relational;
}

/** The one-pass writer tried on a topic whose connector is not known yet: the first connector that has one. */
export const FIRST_ONE_PASS: Connector | undefined = CONNECTORS.find((c) => c.onePass !== undefined);
