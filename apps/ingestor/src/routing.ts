/**
 * Topic → table routing. Debezium names topics `<topic.prefix>.<db>.<collection>`; by default a topic's table lives at
 * `<base>/<db>/<collection>` in the bucket. MongoDB collection names may contain dots, so everything after the database
 * segment is the collection. An explicit route (`DELTA_TABLE_ROUTES`) wins over the default.
 */

export interface TableRoute {
  /** Names the table in logs, metrics and the committer's per-table queue: `<db>.<collection>` or the route path. */
  routingKey: string;
  /** Key prefix of the table root inside the bucket, without a trailing slash. */
  tablePath: string;
  /** `s3://<bucket>/<tablePath>`, as the committer expects it. */
  tableUri: string;
}

export interface RoutingConfig {
  bucket: string;
  basePath: string;
  routes: Record<string, string>;
}

export type RouteResult = { ok: true; route: TableRoute } | { ok: false; reason: string };

export function routeTopic(topic: string, config: RoutingConfig): RouteResult {
  const override = config.routes[topic];
  if (override !== undefined) {
    const path = trimSlashes(override);
    const bad = invalidSegment(path);
    if (bad !== undefined)
      return { ok: false, reason: `route for ${topic} has an invalid path segment ${JSON.stringify(bad)}` };
    return { ok: true, route: makeRoute(config, path, path) };
  }
  const [, db, ...collection] = topic.split('.');
  if (db === undefined || collection.length === 0 || db === '' || collection.join('') === '') {
    return {
      ok: false,
      reason: `topic ${topic} is not named <prefix>.<db>.<collection> and has no route in DELTA_TABLE_ROUTES`,
    };
  }
  const coll = collection.join('.');
  const bad = invalidSegment(`${db}/${coll}`);
  if (bad !== undefined)
    return { ok: false, reason: `topic ${topic} gives an invalid path segment ${JSON.stringify(bad)}` };
  return { ok: true, route: makeRoute(config, `${db}/${coll}`, `${db}.${coll}`) };
}

function makeRoute(config: RoutingConfig, relative: string, routingKey: string): TableRoute {
  const tablePath = [trimSlashes(config.basePath), relative].filter((s) => s !== '').join('/');
  return { routingKey, tablePath, tableUri: `s3://${config.bucket}/${tablePath}` };
}

function trimSlashes(s: string): string {
  return s.replace(/^\/+|\/+$/g, '');
}

/** `.`/`..`/empty segments would escape or alias the base path; control characters break object keys and logs. */
function invalidSegment(path: string): string | undefined {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  return path.split('/').find((s) => s === '' || s === '.' || s === '..' || /[\u0000-\u001f\u007f]/.test(s));
}

/** A memoizing router: topics are few and stable, routing runs once per record batch. */
export function createRouter(config: RoutingConfig): (topic: string) => RouteResult {
  const cache = new Map<string, RouteResult>();
  return (topic) => {
    let r = cache.get(topic);
    if (r === undefined) {
      r = routeTopic(topic, config);
      cache.set(topic, r);
    }
    return r;
  };
}
