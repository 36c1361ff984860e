import { setTimeout as sleep } from 'node:timers/promises';
import { type ChannelOptions, type ServiceError, status } from '@grpc/grpc-js';
import { bearerMetadata } from './auth.js';
import { type Backoff, backoffDelay, DEFAULT_BACKOFF } from './backoff.js';
import {
  type CommitRequest,
  type CommitResponse,
  CommitterServiceClient,
  type GetServerInfoResponse,
  type GetTableStateRequest,
  type GetTableStateResponse,
  RefusalReason,
} from './gen/deltawriter/v1/committer.js';
import { isRetryableRefusal, refusalReasonName } from './refusal.js';
import type { CommitOutcome, TableStateOutcome } from './server.js';
import { type ClientTls, channelCredentials, channelOptions } from './tls.js';
import { PROTOCOL_VERSION, requiredProtocol } from './version.js';

/** A commit request as a caller builds it: the client fills in the revision; `mirror` only for upserts. */
export type CommitInput = Omit<CommitRequest, 'protocolVersion' | 'mirror'> & {
  readonly mirror?: CommitRequest['mirror'];
};
export type TableStateInput = Omit<GetTableStateRequest, 'protocolVersion'>;
export type ServerInfoOutcome = NonNullable<GetServerInfoResponse['outcome']>;

export interface CommitterClientOptions {
  /** `host:port` of every committer replica; the client finds the leader among them and follows leader hints. */
  readonly addresses: readonly string[];
  /**
   * Bearer token sent with every call — only ever to `addresses`, or over TLS to a replica whose certificate the
   * channel verified: a NOT_LEADER hint naming another address is not followed on a plaintext link (the client
   * walks `addresses` instead), so a replica, or anyone answering in its place, cannot redirect the token.
   */
  readonly token?: string;
  readonly tls?: ClientTls;
  /** Deadline of one attempt. Default 30 s: a commit waits for group commit and an object-store write. */
  readonly attemptTimeoutMs?: number;
  /** Attempts per call, redirects included. Default 10. */
  readonly maxAttempts?: number;
  readonly backoff?: Backoff;
  /** The revision sent in requests; only tests set it. */
  readonly protocolVersion?: number;
  readonly channelOptions?: ChannelOptions;
  /** Called before each retry, for logging. */
  readonly onRetry?: (retry: RetryInfo) => void;
}

export interface RetryInfo {
  readonly attempt: number;
  readonly address: string;
  /** `UNAVAILABLE`, `DEADLINE_EXCEEDED` (gRPC) or `NOT_LEADER`, `RETRY_LATER` (refusals). */
  readonly cause: string;
  readonly nextAddress: string;
  readonly delayMs: number;
  /** A NOT_LEADER hint that was not followed: not among `addresses`, on a link without TLS. */
  readonly ignoredHint?: string;
}

export interface CallOptions {
  /** Stops retrying (and waiting) once aborted; the call rejects with the abort reason. */
  readonly signal?: AbortSignal;
}

/** No committer answered within the retry budget (or the answer was a gRPC failure that retrying cannot fix). */
export class CommitterUnavailableError extends Error {
  override readonly name = 'CommitterUnavailableError';
  constructor(
    message: string,
    readonly attempts: number,
    readonly grpcCode: status | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface CommitterClient {
  /**
   * Resolves with the committer's answer: an ack or a refusal. NOT_LEADER and RETRY_LATER refusals and transport
   * failures are retried with backoff (Commit is idempotent); the call rejects only with CommitterUnavailableError.
   */
  commit(request: CommitInput, options?: CallOptions): Promise<CommitOutcome>;
  getTableState(request: TableStateInput, options?: CallOptions): Promise<TableStateOutcome>;
  /** Asks one replica (default: the current leader guess) about versions and leadership; no retries. */
  getServerInfo(address?: string, options?: CallOptions): Promise<ServerInfoOutcome>;
  /** The address the client currently sends to. */
  readonly currentAddress: string;
  close(): void;
}

const RETRYABLE_STATUS = new Set<status>([status.UNAVAILABLE, status.DEADLINE_EXCEEDED]);

export function createCommitterClient(options: CommitterClientOptions): CommitterClient {
  if (options.addresses.length === 0)
    throw new Error('createCommitterClient: at least one address is needed');
  const attemptTimeoutMs = options.attemptTimeoutMs ?? 30_000;
  const maxAttempts = options.maxAttempts ?? 10;
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  const protocolVersion = options.protocolVersion ?? PROTOCOL_VERSION;
  const credentials = channelCredentials(options.tls);
  // A channel of its own per address (no connection shared through grpc-js' global pool), so that dropping it really
  // opens a new connection: behind a Kubernetes Service that is what reaches another replica.
  const channelOpts = {
    'grpc.use_local_subchannel_pool': 1,
    ...channelOptions(options.tls),
    ...options.channelOptions,
  };
  const stubs = new Map<string, CommitterServiceClient>();
  let current = options.addresses[0] as string;
  /** The highest revision the servers accept, once one refused ours (an older committer during a rolling upgrade). */
  let serverMax: number | undefined;

  const stub = (address: string) => {
    let s = stubs.get(address);
    if (!s) {
      s = new CommitterServiceClient(address, credentials, channelOpts);
      stubs.set(address, s);
    }
    return s;
  };
  // Where the token may go: the configured replicas; over TLS any replica the channel verifies as the committer
  // (the certificate check, with the configured server name, is what identifies it, not the address).
  const mayFollow = (hint: string) => options.tls !== undefined || options.addresses.includes(hint);
  const drop = (address: string) => {
    stubs.get(address)?.close();
    stubs.delete(address);
  };
  const nextListed = (address: string) => {
    const i = options.addresses.indexOf(address);
    return options.addresses[(i + 1) % options.addresses.length] as string;
  };

  type Unary<Req, Res> = (
    s: CommitterServiceClient,
  ) => (
    req: Req,
    md: ReturnType<typeof bearerMetadata>,
    o: { deadline: number },
    cb: (e: ServiceError | null, r: Res) => void,
  ) => unknown;

  const callOnce = <Req, Res>(address: string, method: Unary<Req, Res>, request: Req): Promise<Res> =>
    new Promise((resolve, reject) => {
      const s = stub(address);
      method(s).call(
        s,
        request,
        bearerMetadata(options.token),
        { deadline: Date.now() + attemptTimeoutMs },
        (e, r) => (e ? reject(e) : resolve(r)),
      );
    });

  // One call with leader discovery: follow a NOT_LEADER hint at once the first time, otherwise walk the address
  // list with backoff; remember where the call succeeded so the next one starts there.
  async function withRetries<Res extends { outcome?: { $case: string; value: unknown } }>(
    send: (address: string) => Promise<Res>,
    signal: AbortSignal | undefined,
  ): Promise<NonNullable<Res['outcome']>> {
    let address = current;
    const followedHints = new Set<string>();
    for (let attempt = 1; ; attempt++) {
      signal?.throwIfAborted();
      let cause: string;
      let next = nextListed(address);
      let delayMs = backoffDelay(attempt, backoff);
      let ignoredHint: string | undefined;
      try {
        const response = await send(address);
        const outcome = response.outcome;
        if (!outcome) throw new CommitterUnavailableError(`empty answer from ${address}`, attempt, undefined);
        const refusal =
          outcome.$case === 'refusal'
            ? (outcome.value as { reason: RefusalReason; leaderAddress: string; retryAfterMs: number })
            : undefined;
        if (!refusal || !isRetryableRefusal(refusal.reason) || attempt >= maxAttempts) {
          current = address;
          return outcome as NonNullable<Res['outcome']>;
        }
        cause = refusalReasonName(refusal.reason);
        if (
          refusal.reason === RefusalReason.NOT_LEADER &&
          refusal.leaderAddress &&
          refusal.leaderAddress !== address
        ) {
          if (mayFollow(refusal.leaderAddress)) {
            next = refusal.leaderAddress;
            if (!followedHints.has(next)) delayMs = 0;
            followedHints.add(next);
          } else {
            // Not followed; but a listed address may be a load-balanced Service that reached a standby: a new
            // connection to it can reach the leader (kube-proxy balances per connection).
            ignoredHint = refusal.leaderAddress;
            drop(address);
          }
        } else if (refusal.reason === RefusalReason.RETRY_LATER) {
          next = address;
          delayMs = Math.max(delayMs, refusal.retryAfterMs);
        }
      } catch (error) {
        if (error instanceof CommitterUnavailableError) throw error;
        const code = (error as ServiceError).code;
        if (!RETRYABLE_STATUS.has(code) || attempt >= maxAttempts) {
          throw new CommitterUnavailableError(
            `committer call failed after ${attempt} attempt(s), last at ${address}: ${(error as Error).message}`,
            attempt,
            code,
            { cause: error },
          );
        }
        cause = status[code] ?? String(code);
      }
      options.onRetry?.({
        attempt,
        address,
        cause,
        nextAddress: next,
        delayMs,
        ...(ignoredHint !== undefined ? { ignoredHint } : {}),
      });
      if (delayMs > 0) await pause(delayMs, signal);
      address = next;
    }
  }

  /**
   * Sends at our revision, or at the revision the servers said they accept when that still carries the request's
   * meaning (`required`): a committer that speaks only revision 1 keeps taking append requests from us.
   */
  async function negotiated<O extends { $case: string; value: unknown }>(
    required: number,
    send: (version: number) => Promise<O>,
  ): Promise<O> {
    const version = Math.max(required, Math.min(protocolVersion, serverMax ?? protocolVersion));
    const outcome = await send(version);
    if (outcome.$case !== 'refusal') return outcome;
    const refusal = outcome.value as {
      reason: RefusalReason;
      minProtocolVersion: number;
      maxProtocolVersion: number;
    };
    const max = refusal.maxProtocolVersion;
    if (
      refusal.reason !== RefusalReason.UNSUPPORTED_PROTOCOL_VERSION ||
      max >= version ||
      max < required ||
      max < refusal.minProtocolVersion
    ) {
      return outcome;
    }
    serverMax = max;
    return send(max);
  }

  return {
    commit: (request, callOptions) =>
      negotiated(requiredProtocol(request), (version) =>
        withRetries<CommitResponse>(
          (address) =>
            callOnce(address, (s) => s.commit, {
              ...request,
              mirror: request.mirror,
              protocolVersion: version,
            }),
          callOptions?.signal,
        ),
      ),
    getTableState: (request, callOptions) =>
      negotiated(1, (version) =>
        withRetries<GetTableStateResponse>(
          (address) => callOnce(address, (s) => s.getTableState, { ...request, protocolVersion: version }),
          callOptions?.signal,
        ),
      ),
    async getServerInfo(address = current, callOptions) {
      callOptions?.signal?.throwIfAborted();
      const response = await callOnce<{ protocolVersion: number }, GetServerInfoResponse>(
        address,
        (s) => s.getServerInfo,
        { protocolVersion },
      );
      if (!response.outcome)
        throw new CommitterUnavailableError(`empty answer from ${address}`, 1, undefined);
      return response.outcome;
    },
    get currentAddress() {
      return current;
    },
    close() {
      for (const s of stubs.values()) s.close();
      stubs.clear();
    },
  };
}

/** Waits, rejecting with the signal's own reason when aborted (timers/promises rejects with a generic AbortError). */
async function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  try {
    await sleep(ms, undefined, { signal });
  } catch (error) {
    signal?.throwIfAborted();
    throw error;
  }
}
