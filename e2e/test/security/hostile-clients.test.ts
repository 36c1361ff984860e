/**
 * The committer's trust boundary, tried as an attacker on the same network would: a real committer pair (built
 * `dist/main.js`) on the local stack, two tables of legitimate rows, and then every attack of docs/security.md sent
 * over gRPC by hand. Each attack must be refused with the documented reason AND leave every table as it was — read
 * back with delta-rs (an independent reader), version and rows — and create no table anywhere.
 */
import { HeadObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import {
  type CommitOutcome,
  type CommitterClient,
  createCommitterClient,
  createCommitterServer,
  listen,
  presentedToken,
  type RefusalReason,
  refusalReasonName,
  serverCredentials,
  shutdown,
} from '@delta-writer/proto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pipeline, runName } from '../../src/harness/pipeline.js';
import { ManagedProcess } from '../../src/harness/process.js';
import { deletePrefix, endpointsOf, s3Client } from '../../src/harness/s3.js';
import { S3Front } from '../../src/harness/s3-front.js';
import { eventually } from '../../src/harness/wait.js';
import {
  deepSchema,
  manifest,
  range,
  readTable,
  type TableAt,
  type TableContent,
  tableAt,
  uploadRows,
  wideSchema,
} from '../../src/security/fixtures.js';
import { stackEnv } from '../../src/stack.js';

const endpoints = endpointsOf(stackEnv());
const { bucket } = endpoints.s3;
const s3 = s3Client(endpoints);
const run = runName('hostile');
const base = `e2e/${run}`;
const SCOPED_TOKEN = `team-a-${run}`;
const pipeline = Pipeline.create(run, endpoints, {
  basePath: base,
  committerEnv: {
    // a token that may only touch the tables under teamA/
    COMMITTER_TOKENS: JSON.stringify({ [SCOPED_TOKEN]: [`s3://${bucket}/${base}/teamA/`] }),
    COMMITTER_CHECKPOINT_INTERVAL: '0',
    COMMITTER_COMPACTION_INTERVAL_MS: '0',
  },
});
const group = pipeline.config.group;
const A = tableAt(bucket, `${base}/teamA/orders`);
const B = tableAt(bucket, `${base}/teamB/users`);
const clients: CommitterClient[] = [];
let admin: CommitterClient;
/** What each table holds now, as delta-rs reads it; every refused attack must leave exactly this. */
const expected = new Map<TableAt, TableContent>();
let passed = false;

function client(token: string | undefined, addresses = pipeline.committerAddresses()): CommitterClient {
  const c = createCommitterClient({
    addresses,
    ...(token !== undefined ? { token } : {}),
    maxAttempts: 20,
    backoff: { initialMs: 50, maxMs: 500 },
    attemptTimeoutMs: 20_000,
  });
  clients.push(c);
  return c;
}

function refusal(outcome: { $case: string; value: unknown }): { reason: string; message: string } {
  if (outcome.$case !== 'refusal') throw new Error(`expected a refusal, got ${JSON.stringify(outcome)}`);
  const r = outcome.value as { reason: RefusalReason; message: string };
  return { reason: refusalReasonName(r.reason), message: r.message };
}

/** Every table reads back as before (delta-rs): same version, same rows; and no table appeared elsewhere. */
async function expectTablesUnchanged(): Promise<void> {
  for (const [table, content] of expected) {
    expect(await readTable(endpoints, table), table.uri).toEqual(content);
  }
  const logs = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `${base}/` }));
  const tableRoots = new Set(
    (logs.Contents ?? []).flatMap((o) => {
      const at = o.Key?.indexOf('/_delta_log/') ?? -1;
      return at > 0 ? [o.Key?.slice(0, at)] : [];
    }),
  );
  expect([...tableRoots].sort()).toEqual([A.path, B.path].sort());
}

async function commitRows(table: TableAt, first: number, last: number): Promise<CommitOutcome> {
  const file = await uploadRows(s3, bucket, table, first, last);
  return admin.commit(manifest({ table, group, first, last, files: [file] }));
}

beforeAll(async () => {
  await pipeline.start({ committers: 2, ingestors: 0 });
  admin = client(pipeline.config.token);
  expect(await commitRows(A, 0, 9)).toMatchObject({ $case: 'ack', value: { duplicate: false } });
  expect(await commitRows(B, 0, 4)).toMatchObject({ $case: 'ack', value: { duplicate: false } });
  expected.set(A, await readTable(endpoints, A));
  expected.set(B, await readTable(endpoints, B));
  expect(expected.get(A)?.offsets).toEqual(range(0, 9));
  expect(expected.get(B)?.offsets).toEqual(range(0, 4));
}, 300_000);

afterAll(async () => {
  for (const c of clients) c.close();
  await pipeline.stop();
  if (passed) await deletePrefix(s3, bucket, `${base}/`);
}, 120_000);

describe('hostile clients against the real committer', () => {
  it('anonymous and wrong-token callers are refused UNAUTHENTICATED: no commit, no table state', async () => {
    const anonymous = client(undefined);
    const file = await uploadRows(s3, bucket, A, 10, 19);
    expect(
      refusal(await anonymous.commit(manifest({ table: A, group, first: 10, last: 19, files: [file] }))),
    ).toMatchObject({ reason: 'UNAUTHENTICATED' });
    expect(
      refusal(
        await anonymous.getTableState({ table: { routingKey: 'x', tableUri: A.uri }, consumerGroup: '' }),
      ),
    ).toMatchObject({ reason: 'UNAUTHENTICATED' });
    const wrong = client(`${pipeline.config.token}x`);
    expect(
      refusal(await wrong.commit(manifest({ table: A, group, first: 10, last: 19, files: [file] }))),
    ).toMatchObject({ reason: 'UNAUTHENTICATED' });
    await expectTablesUnchanged();
    const leader = await pipeline.leader();
    const metrics = await leaderMetrics(leader);
    expect(metrics).toMatch(
      /deltawriter_committer_auth_refusals_total\{reason="unauthenticated",method="Commit"\} [1-9]/,
    );
  });

  it('a scoped token is refused PERMISSION_DENIED outside its prefixes (commit and table state)', async () => {
    const teamA = client(SCOPED_TOKEN);
    const file = await uploadRows(s3, bucket, B, 5, 9);
    expect(
      refusal(await teamA.commit(manifest({ table: B, group, first: 5, last: 9, files: [file] }))),
    ).toMatchObject({
      reason: 'PERMISSION_DENIED',
    });
    expect(
      refusal(await teamA.getTableState({ table: { routingKey: 'x', tableUri: B.uri }, consumerGroup: '' })),
    ).toMatchObject({ reason: 'PERMISSION_DENIED' });
    // a sibling whose name merely starts like the prefix is outside it too
    const sibling = tableAt(bucket, `${base}/teamAB/users`);
    const siblingFile = await uploadRows(s3, bucket, sibling, 0, 0);
    expect(
      refusal(
        await teamA.commit(manifest({ table: sibling, group, first: 0, last: 0, files: [siblingFile] })),
      ),
    ).toMatchObject({ reason: 'PERMISSION_DENIED' });
    // inside its scope the token works (offsets of table A, read-only)
    expect(
      await teamA.getTableState({ table: { routingKey: 'x', tableUri: A.uri }, consumerGroup: group }),
    ).toMatchObject({ $case: 'state', value: { exists: true } });
    await expectTablesUnchanged();
  });

  it.each([
    ['%2E%2E/%2E%2E/teamB/users/<file of B>', (f: string) => `%2E%2E/%2E%2E/teamB/users/${f}`],
    ['..%2F..%2FteamB%2Fusers%2F<file of B>', (f: string) => `..%2F..%2FteamB%2Fusers%2F${f}`],
    ['../../teamB/users/<file of B>', (f: string) => `../../teamB/users/${f}`],
    ['%5Fdelta_log/00000000000000000009.json', () => '%5Fdelta_log/00000000000000000009.json'],
    ['_DELTA_LOG/00000000000000000009.json', () => '_DELTA_LOG/00000000000000000009.json'],
    ['..%5C..%5CteamB%5Cusers%5C<file of B>', (f: string) => `..%5C..%5CteamB%5Cusers%5C${f}`],
  ])('a data file path that leaves the table once decoded is refused: %s', async (_, pathOf) => {
    // a real file of table B, named from table A's root
    const bFile = await uploadRows(s3, bucket, B, 100, 104);
    const file = { ...bFile, path: pathOf(bFile.path) };
    const outcome = await admin.commit(manifest({ table: A, group, first: 10, last: 14, files: [file] }));
    expect(refusal(outcome)).toMatchObject({
      reason: 'INVALID_REQUEST',
      message: expect.stringMatching(/files\[0\]\.path/),
    });
    await expectTablesUnchanged();
  });

  it('a gap bomb (gap_acknowledged up to 9e15, no files) is refused, and the real next range still commits', async () => {
    const bomb = manifest({ table: A, group, first: 9e15, last: 9e15, gapAcknowledged: true });
    expect(refusal(await admin.commit(bomb))).toMatchObject({
      reason: 'INVALID_REQUEST',
      message: expect.stringMatching(/COMMITTER_MAX_OFFSET_GAP \(1000000\)/),
    });
    // contiguous, but a range no file accounts for
    const run = manifest({ table: A, group, first: 10, last: 2_000_010 });
    expect(refusal(await admin.commit(run))).toMatchObject({ reason: 'INVALID_REQUEST' });
    await expectTablesUnchanged();
    // what the issue saw lost: the real manifest for 10..19 is committed, not acknowledged as a duplicate
    const real = await commitRows(A, 10, 19);
    expect(real).toMatchObject({ $case: 'ack', value: { duplicate: false } });
    const state = await admin.getTableState({
      table: { routingKey: 'x', tableUri: A.uri },
      consumerGroup: group,
    });
    expect(state).toMatchObject({ $case: 'state', value: { committedOffsets: [{ lastOffset: 19 }] } });
    const after = await readTable(endpoints, A);
    expect(after.offsets).toEqual(range(0, 19));
    expected.set(A, after);
  });

  it('a file that does not exist, or has another size, is refused before it reaches the log', async () => {
    const real = await uploadRows(s3, bucket, A, 20, 29);
    const phantom = { ...real, path: `part-00000-phantom-${run}.parquet` };
    expect(
      refusal(await admin.commit(manifest({ table: A, group, first: 20, last: 29, files: [phantom] }))),
    ).toMatchObject({
      reason: 'INVALID_REQUEST',
      message: expect.stringMatching(/does not exist in storage/),
    });
    const wrongSize = { ...real, sizeBytes: real.sizeBytes + 100 };
    expect(
      refusal(await admin.commit(manifest({ table: A, group, first: 20, last: 29, files: [wrongSize] }))),
    ).toMatchObject({
      reason: 'INVALID_REQUEST',
      message: expect.stringMatching(/bytes in storage but size_bytes says/),
    });
    await expectTablesUnchanged();
  });

  it('a table inside an existing table, or around existing tables, is not created', async () => {
    const inside = tableAt(bucket, `${A.path}/nested`);
    const insideFile = await uploadRows(s3, bucket, inside, 0, 4);
    expect(
      refusal(await admin.commit(manifest({ table: inside, group, first: 0, last: 4, files: [insideFile] }))),
    ).toMatchObject({
      reason: 'INVALID_REQUEST',
      message: expect.stringMatching(/inside another table's folder/),
    });
    const around = tableAt(bucket, `${base}/teamA`);
    const aroundFile = await uploadRows(s3, bucket, around, 0, 4);
    expect(
      refusal(await admin.commit(manifest({ table: around, group, first: 0, last: 4, files: [aroundFile] }))),
    ).toMatchObject({ reason: 'INVALID_REQUEST', message: expect.stringMatching(/inside .*teamA/) });
    // the base path itself is not a table location at all
    expect(
      refusal(await admin.commit(manifest({ table: tableAt(bucket, base), group, first: 0, last: 0 }))),
    ).toMatchObject({ reason: 'INVALID_REQUEST' });
    await expectTablesUnchanged();
  });

  it('an oversized schema (1,000-deep struct; 20,000 columns) is refused SCHEMA_INCOMPATIBLE', async () => {
    const file = await uploadRows(s3, bucket, A, 20, 29);
    const deep = manifest({
      table: A,
      group,
      first: 20,
      last: 29,
      files: [file],
      schemaJson: deepSchema(1_000),
    });
    expect(refusal(await admin.commit(deep))).toMatchObject({
      reason: 'SCHEMA_INCOMPATIBLE',
      message: expect.stringMatching(/COMMITTER_MAX_SCHEMA_DEPTH/),
    });
    const wide = manifest({
      table: A,
      group,
      first: 20,
      last: 29,
      files: [file],
      schemaJson: wideSchema(20_000),
    });
    expect(refusal(await admin.commit(wide))).toMatchObject({
      reason: 'SCHEMA_INCOMPATIBLE',
      message: expect.stringMatching(/COMMITTER_MAX_SCHEMA_COLUMNS/),
    });
    await expectTablesUnchanged();
  });

  it('a NOT_LEADER hint to an address outside COMMITTER_ADDRESSES never receives the token', async () => {
    // someone who can write the lease in Redis points the standbys' hints at a server of their own
    const seen: (string | undefined)[] = [];
    const rogue = createCommitterServer({
      allowAnonymous: true,
      authenticate: (peer) => {
        seen.push(presentedToken(peer.metadata));
        return undefined;
      },
      handlers: {
        commit: async () => ({
          $case: 'ack',
          value: { tableVersion: 0, duplicate: true, committedOffsets: [] },
        }),
        getTableState: async () => ({
          $case: 'state',
          value: {
            exists: false,
            tableVersion: 0,
            deltaSchemaJson: '',
            partitionColumns: [],
            statsConfiguration: {},
            committedOffsets: [],
          },
        }),
        serverInfo: () => ({
          minProtocolVersion: 1,
          maxProtocolVersion: 2,
          serverId: 'rogue',
          serverVersion: '0',
          leader: true,
          leaderAddress: '',
          leaderTerm: 1,
        }),
      },
    });
    const port = await listen(rogue, '127.0.0.1:0', serverCredentials(undefined));
    const rogueAddress = `127.0.0.1:${port}`;
    const lonely = Pipeline.create(runName('hostile-lease'), endpoints, { basePath: base });
    const redis = new Redis(endpoints.redisUrl);
    try {
      // a lease held by "someone" at the rogue address, with a term far ahead
      await redis.hset(`${lonely.config.leaseKey}:lease`, {
        owner: 'rogue',
        term: '999',
        address: rogueAddress,
      });
      await redis.pexpire(`${lonely.config.leaseKey}:lease`, 120_000);
      await lonely.startCommitter('standby');
      const c = createCommitterClient({
        addresses: lonely.committerAddresses(),
        token: lonely.config.token,
        maxAttempts: 4,
        backoff: { initialMs: 20, maxMs: 50 },
      });
      clients.push(c);
      const outcome = await c.commit(manifest({ table: A, group, first: 20, last: 29 }));
      expect(refusal(outcome)).toMatchObject({ reason: 'NOT_LEADER' });
      expect((outcome.value as { leaderAddress: string }).leaderAddress).toBe(rogueAddress);
      expect(seen).toEqual([]);
    } finally {
      await lonely.stop();
      await redis.del(`${lonely.config.leaseKey}:lease`);
      redis.disconnect();
      await shutdown(rogue, 1_000);
    }
    await expectTablesUnchanged();
  });

  it('a committer whose S3 endpoint ignores If-None-Match refuses to start, and says why', async () => {
    const front = await S3Front.start(endpoints.s3.endpoint, endpoints.s3, 'drop');
    try {
      const proc = await pipeline.startCommitter('committer-no-cas', { MINIO_ENDPOINT: front.endpoint }).then(
        () => undefined,
        () => pipeline.committers.get('committer-no-cas'),
      );
      expect(proc).toBeInstanceOf(ManagedProcess);
      const exit = await (proc as ManagedProcess).exited;
      expect(exit.code).toBe(3);
      const fatal = (proc as ManagedProcess).lines.find((l) => String(l.msg).startsWith('refusing to start'));
      expect(String(fatal?.reason)).toMatch(/second PUT with If-None-Match: \* .* succeeded/);
      expect(front.dropped).toBe(2);
    } finally {
      await front.close();
    }
    await expectTablesUnchanged();
  });

  it('a standby that finds put-if-absent gone when it acquires the lease refuses to lead; nothing is committed', async () => {
    const front = await S3Front.start(endpoints.s3.endpoint, endpoints.s3, 'pass');
    try {
      const c = await pipeline.startCommitter('committer-c', { MINIO_ENDPOINT: front.endpoint });
      front.mode = 'drop'; // the store behind c stops enforcing put-if-absent after c started
      const a = pipeline.committers.get('committer-a') as ManagedProcess;
      const b = pipeline.committers.get('committer-b') as ManagedProcess;
      await Promise.all([a.stop(), b.stop()]);
      await c.waitFor('became leader', 60_000);
      const refused = await c.waitFor((l) => String(l.msg).startsWith('refusing to lead'), 60_000);
      expect(String(refused.reason)).toMatch(/does not enforce put-if-absent/);
      const started = c.lines.find((l) => l.msg === 'committer started');
      const health = await fetch(`http://127.0.0.1:${started?.httpPort}/healthz`);
      expect(health.status).toBe(503);
      expect(await health.text()).toMatch(/refusing to lead/);
      const file = await uploadRows(s3, bucket, A, 20, 29);
      const viaC = createCommitterClient({
        addresses: [`127.0.0.1:${started?.grpcPort}`],
        token: pipeline.config.token,
        maxAttempts: 3,
        backoff: { initialMs: 20, maxMs: 50 },
      });
      clients.push(viaC);
      const attempt = await viaC.commit(manifest({ table: A, group, first: 20, last: 29, files: [file] }));
      expect(refusal(attempt)).toMatchObject({ reason: 'NOT_LEADER' });
      await expectTablesUnchanged();
      // a committer on the real S3 takes over and the table moves on normally
      await pipeline.startCommitter('committer-a');
      await eventually(
        'committer-a to lead',
        async () => ((await pipeline.leader()).name === 'committer-a' ? true : undefined),
        {
          timeoutMs: 60_000,
        },
      );
      const ok = await admin.commit(manifest({ table: A, group, first: 20, last: 29, files: [file] }));
      expect(ok).toMatchObject({ $case: 'ack', value: { duplicate: false } });
      expect((await readTable(endpoints, A)).offsets).toEqual(range(0, 29));
      await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: `${A.path}/${file.path}` }));
    } finally {
      await front.close();
    }
    passed = true;
  });
});

async function leaderMetrics(leader: ManagedProcess): Promise<string> {
  const port = leader.lines.find((l) => l.msg === 'committer started')?.httpPort;
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  return res.text();
}
