/**
 * Checks of a table's Delta log itself, read straight from S3 (JSON commits parsed here, not by delta-log's replay):
 * versions contiguous from 0, every commit well-formed, no data file added twice or removed while not live, every
 * live file present in the bucket, txn versions that only grow, and the latest checkpoint holding exactly the files
 * and txns of the commits it replaces. Files are identified as the protocol does, by path and deletion vector: a
 * mirror commit removes a file with its old vector and adds it back with a new one, and the vector removed must be
 * the live one. Live files' vectors are checked from their bytes (deletion-vectors.ts). Returns the problems as
 * sentences, so a failing test says what is wrong.
 */
import { GetObjectCommand, ListObjectsV2Command, NoSuchKey, type S3Client } from '@aws-sdk/client-s3';
import { checkpointActionsFromParquet } from '@delta-writer/delta-log';
import { type DeletionVector, vectorFile, vectorId, vectorProblem } from './deletion-vectors.js';

export interface DeltaField {
  name: string;
  type: unknown;
  nullable: boolean;
  metadata?: Record<string, unknown>;
}

export interface LogReport {
  /** Latest version, -1 when the table does not exist. */
  version: number;
  problems: string[];
  /** Latest txn version per appId. */
  txns: Map<string, bigint>;
  liveFiles: Set<string>;
  /** Live files that carry a deletion vector (mirror tables). */
  filesWithVectors: number;
  /** The latest metaData's schema (with the bson.* field metadata the rows are read back with). */
  fields: DeltaField[];
  checkpoint: number | undefined;
  /** Commit time (ms since epoch) of each version, from the S3 listing. */
  commitTimes: number[];
}

export interface TableLocation {
  s3: S3Client;
  bucket: string;
  /** Key prefix of the table in the bucket, without a trailing slash. */
  path: string;
}

type Json = Record<string, unknown>;

export async function checkDeltaLog(table: TableLocation): Promise<LogReport> {
  const objects = await list(table, `${table.path}/`);
  const logPrefix = `${table.path}/_delta_log/`;
  const commits = objects
    .filter((o) => o.key.startsWith(logPrefix) && /^\d{20}\.json$/.test(o.key.slice(logPrefix.length)))
    .map((o) => ({ ...o, version: Number(o.key.slice(logPrefix.length, -5)) }))
    .sort((a, b) => a.version - b.version);
  const report: LogReport = {
    version: commits.at(-1)?.version ?? -1,
    problems: [],
    txns: new Map(),
    liveFiles: new Set(),
    filesWithVectors: 0,
    fields: [],
    checkpoint: undefined,
    commitTimes: commits.map((c) => c.modified),
  };
  const problem = (p: string) => report.problems.push(p);
  commits.forEach((c, i) => {
    if (c.version !== i) problem(`versions are not contiguous: version ${c.version} is at position ${i}`);
  });

  /** `path#vector` of every add so far; live adds by path. */
  const everAdded = new Set<string>();
  const live = new Map<string, Json>();
  const txnsAt = new Map<number, Map<string, bigint>>();
  const liveAt = new Map<number, Map<string, string>>();
  const checkpointVersion = await lastCheckpointVersion(table);
  for (const c of commits) {
    const actions = await readCommit(table, c.key, problem);
    // removes first: a commit that gives a file a new vector removes (path, old vector) and adds (path, new vector)
    for (const remove of actions.flatMap((a) => (a.remove ? [a.remove as Json] : []))) {
      const path = String(remove.path);
      const current = live.get(path);
      if (!current) problem(`version ${c.version} removes ${path}, which is not live`);
      else if (vectorId(dvOf(remove)) !== vectorId(dvOf(current)))
        problem(`version ${c.version} removes ${path} with a deletion vector that is not its live one`);
      else live.delete(path);
    }
    for (const action of actions) {
      const add = action.add as Json | undefined;
      const txn = action.txn as Json | undefined;
      const meta = action.metaData as Json | undefined;
      if (add) {
        const path = String(add.path);
        const id = `${path}#${vectorId(dvOf(add))}`;
        if (everAdded.has(id))
          problem(`version ${c.version} adds ${path}, which an earlier version already added (same vector)`);
        if (live.has(path)) problem(`version ${c.version} adds ${path} while it is live`);
        everAdded.add(id);
        live.set(path, add);
      }
      if (txn) {
        const appId = String(txn.appId);
        const version = BigInt(txn.version as number);
        const before = report.txns.get(appId);
        if (before !== undefined && version <= before) {
          problem(`version ${c.version}: txn ${appId} goes from ${before} to ${version}`);
        }
        report.txns.set(appId, version);
      }
      if (meta) report.fields = (JSON.parse(String(meta.schemaString)) as { fields: DeltaField[] }).fields;
    }
    if (c.version === checkpointVersion) {
      txnsAt.set(c.version, new Map(report.txns));
      liveAt.set(c.version, new Map([...live].map(([p, a]) => [p, vectorId(dvOf(a))])));
    }
  }
  report.liveFiles = new Set(live.keys());

  const keys = new Set(objects.map((o) => o.key));
  for (const path of report.liveFiles) {
    if (!keys.has(`${table.path}/${decodeURIComponent(path)}`))
      problem(`live file ${path} is not in the bucket`);
  }
  await checkVectors(table, live, keys, report, problem);
  if (checkpointVersion !== undefined) {
    report.checkpoint = checkpointVersion;
    await checkCheckpoint(
      table,
      checkpointVersion,
      liveAt.get(checkpointVersion),
      txnsAt.get(checkpointVersion),
      problem,
    );
  }
  return report;
}

/** The checkpoint must list exactly the live files and the txns that replaying the commits up to it gives. */
async function checkCheckpoint(
  table: TableLocation,
  version: number,
  /** Live paths → their vector's id. */
  live: Map<string, string> | undefined,
  txns: Map<string, bigint> | undefined,
  problem: (p: string) => void,
): Promise<void> {
  if (!live || !txns) {
    problem(`_last_checkpoint names version ${version}, which has no commit`);
    return;
  }
  const file = `${table.path}/_delta_log/${String(version).padStart(20, '0')}.checkpoint.parquet`;
  let actions: Json[];
  try {
    actions = checkpointActionsFromParquet(await get(table, file), file) as unknown as Json[];
  } catch (err) {
    problem(`checkpoint ${version} is not readable: ${(err as Error).message}`);
    return;
  }
  const files = new Map(
    actions.flatMap((a) =>
      a.add ? [[String((a.add as Json).path), vectorId(dvOf(a.add as Json))]] : [],
    ) as [string, string][],
  );
  const ids = new Map(
    actions.flatMap((a) =>
      a.txn ? [[String((a.txn as Json).appId), BigInt((a.txn as Json).version as number)]] : [],
    ) as [string, bigint][],
  );
  const missing = [...live.keys()].filter((p) => !files.has(p));
  const extra = [...files.keys()].filter((p) => !live.has(p));
  const otherVector = [...live].filter(([p, dv]) => files.has(p) && files.get(p) !== dv);
  if (missing.length || extra.length || otherVector.length) {
    problem(
      `checkpoint ${version}: ${missing.length} live files missing, ${extra.length} files not live, ${otherVector.length} with another deletion vector`,
    );
  }
  for (const [appId, v] of txns) {
    if (ids.get(appId) !== v)
      problem(`checkpoint ${version}: txn ${appId} is ${ids.get(appId)}, commits say ${v}`);
  }
  if (!actions.some((a) => a.metaData) || !actions.some((a) => a.protocol)) {
    problem(`checkpoint ${version} lacks protocol or metaData`);
  }
}

function dvOf(action: Json): DeletionVector | undefined {
  return (action.deletionVector as DeletionVector | null | undefined) ?? undefined;
}

/** Every live file's deletion vector: its file in the bucket, its bytes sound, its cardinality right. */
async function checkVectors(
  table: TableLocation,
  live: Map<string, Json>,
  keys: Set<string>,
  report: LogReport,
  problem: (p: string) => void,
): Promise<void> {
  const files = new Map<string, Promise<Uint8Array | undefined>>();
  for (const [path, add] of live) {
    const dv = dvOf(add);
    if (!dv) continue;
    report.filesWithVectors++;
    let bytes: Uint8Array | undefined;
    if (dv.storageType === 'p') {
      problem(`${path}: deletion vector at an absolute path ${dv.pathOrInlineDv}`);
      continue;
    }
    const file = vectorFile(dv);
    if (file) {
      const key = `${table.path}/${file}`;
      if (!files.has(key)) files.set(key, keys.has(key) ? get(table, key) : Promise.resolve(undefined));
      bytes = await files.get(key);
    }
    const rows = Number(
      (JSON.parse(String(add.stats ?? '{}')) as { numRecords?: number }).numRecords ?? Infinity,
    );
    const wrong = vectorProblem(dv, bytes, rows);
    if (wrong) problem(`${path}: deletion vector ${file ?? '(inline)'}: ${wrong}`);
  }
}

async function lastCheckpointVersion(table: TableLocation): Promise<number | undefined> {
  try {
    const text = new TextDecoder().decode(await get(table, `${table.path}/_delta_log/_last_checkpoint`));
    return (JSON.parse(text) as { version: number }).version;
  } catch (err) {
    if (err instanceof NoSuchKey) return undefined;
    throw err;
  }
}

async function readCommit(table: TableLocation, key: string, problem: (p: string) => void): Promise<Json[]> {
  const text = new TextDecoder().decode(await get(table, key));
  const actions: Json[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      const action = JSON.parse(line) as Json;
      if (Object.keys(action).length !== 1) problem(`${key}:${i + 1} is not one action`);
      actions.push(action);
    } catch {
      problem(`${key}:${i + 1} is not JSON`);
    }
  });
  return actions;
}

async function get(table: TableLocation, key: string): Promise<Uint8Array> {
  const out = await table.s3.send(new GetObjectCommand({ Bucket: table.bucket, Key: key }));
  return (await out.Body?.transformToByteArray()) ?? new Uint8Array();
}

async function list(table: TableLocation, prefix: string): Promise<{ key: string; modified: number }[]> {
  const out: { key: string; modified: number }[] = [];
  let token: string | undefined;
  do {
    const page = await table.s3.send(
      new ListObjectsV2Command({ Bucket: table.bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const o of page.Contents ?? [])
      if (o.Key) out.push({ key: o.Key, modified: o.LastModified?.getTime() ?? 0 });
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return out;
}
