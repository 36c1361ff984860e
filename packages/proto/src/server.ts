import {
  type Metadata,
  Server,
  type ServerCredentials,
  type ServerOptions,
  type ServerUnaryCall,
  type sendUnaryData,
  status,
} from '@grpc/grpc-js';
import { clientCertificateOf, type PeerIdentity, type Principal, tokenAuthenticator } from './auth.js';
import {
  type CommitRequest,
  type CommitResponse,
  CommitterServiceService,
  type GetServerInfoRequest,
  type GetServerInfoResponse,
  type GetTableStateRequest,
  type GetTableStateResponse,
  type ServerInfo,
} from './gen/deltawriter/v1/committer.js';
import {
  type HealthCheckRequest,
  type HealthCheckResponse,
  HealthCheckResponse_ServingStatus,
  HealthService,
} from './gen/grpc/health/v1/health.js';
import { refuse } from './refusal.js';
import { isSupportedProtocol, type ProtocolRange, SUPPORTED_PROTOCOL } from './version.js';

export type CommitOutcome = NonNullable<CommitResponse['outcome']>;
export type TableStateOutcome = NonNullable<GetTableStateResponse['outcome']>;

/** What a handler learns about the call besides the request. */
export interface CallContext {
  readonly peer: string;
  readonly metadata: Metadata;
  /** The authenticated caller (its scope is the handler's to check against the request's table). */
  readonly principal: Principal;
  /** True once the caller gave up (deadline or cancel); a handler may stop early, the answer is dropped. */
  cancelled(): boolean;
}

/**
 * The committer's behaviour, free of gRPC plumbing: authentication and version checks have already passed when a
 * handler runs, and a thrown error becomes gRPC INTERNAL (so handlers return refusals, they do not throw them).
 */
export interface CommitterHandlers {
  commit(request: CommitRequest, context: CallContext): Promise<CommitOutcome>;
  getTableState(request: GetTableStateRequest, context: CallContext): Promise<TableStateOutcome>;
  serverInfo(): ServerInfo | Promise<ServerInfo>;
}

export interface CommitterServerOptions {
  readonly handlers: CommitterHandlers;
  /** Accepted bearer tokens, each allowed every table (a shorthand for `authenticate`). */
  readonly tokens?: readonly string[];
  /** Resolves the caller from its metadata and client certificate; undefined refuses it UNAUTHENTICATED. */
  readonly authenticate?: (peer: PeerIdentity) => Principal | undefined;
  /**
   * Serve callers without an accepted credential as the Principal `anonymous`, with access to every table. A server
   * without `tokens`, `authenticate` or this flag cannot be created: authentication is never off by accident.
   */
  readonly allowAnonymous?: boolean;
  /** Called for every call refused UNAUTHENTICATED (for metrics and logs). */
  readonly onUnauthenticated?: (method: string, peer: string) => void;
  readonly protocol?: ProtocolRange;
  /** Health per service name ('' = the process); undefined = unknown service. */
  readonly health?: (service: string) => HealthCheckResponse_ServingStatus | undefined;
  /** Called with every error a handler threw (for logging); the caller sees only INTERNAL. */
  readonly onHandlerError?: (error: unknown, method: string) => void;
  readonly serverOptions?: ServerOptions;
}

export const ANONYMOUS: Principal = { id: 'anonymous' };

export function createCommitterServer(options: CommitterServerOptions): Server {
  const protocol = options.protocol ?? SUPPORTED_PROTOCOL;
  const authenticate = authenticatorOf(options);

  // Authenticates, runs a handler and answers; every domain outcome is a response body, only failures become
  // gRPC statuses. A caller without an accepted credential gets `unauthenticated` and never reaches the handler.
  const unary = <Req, Res>(
    method: string,
    run: (request: Req, context: CallContext) => Promise<Res>,
    unauthenticated: () => Res,
  ) => {
    return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => {
      const peer = call.getPeer();
      const certificate = clientCertificateOf(call.getAuthContext?.()?.sslPeerCertificate);
      const principal = authenticate({
        peer,
        metadata: call.metadata,
        ...(certificate ? { certificate } : {}),
      });
      if (!principal) {
        options.onUnauthenticated?.(method, peer);
        callback(null, unauthenticated());
        return;
      }
      const context: CallContext = {
        peer,
        metadata: call.metadata,
        principal,
        cancelled: () => call.cancelled,
      };
      run(call.request, context).then(
        (response) => callback(null, response),
        (error: unknown) => {
          options.onHandlerError?.(error, method);
          callback({ code: status.INTERNAL, details: `internal error in ${method}` });
        },
      );
    };
  };

  const server = new Server(options.serverOptions);
  server.addService(CommitterServiceService, {
    commit: unary<CommitRequest, CommitResponse>(
      'Commit',
      async (request, context) => {
        if (!isSupportedProtocol(request.protocolVersion, protocol)) {
          return {
            outcome: {
              $case: 'refusal',
              value: refuse.unsupportedProtocol(request.protocolVersion, protocol),
            },
          };
        }
        return { outcome: await options.handlers.commit(request, context) };
      },
      unauthenticatedAnswer,
    ),
    getTableState: unary<GetTableStateRequest, GetTableStateResponse>(
      'GetTableState',
      async (request, context) => {
        if (!isSupportedProtocol(request.protocolVersion, protocol)) {
          return {
            outcome: {
              $case: 'refusal',
              value: refuse.unsupportedProtocol(request.protocolVersion, protocol),
            },
          };
        }
        return { outcome: await options.handlers.getTableState(request, context) };
      },
      unauthenticatedAnswer,
    ),
    // The negotiation call itself: answered whatever revision the caller speaks, so it can learn the range.
    getServerInfo: unary<GetServerInfoRequest, GetServerInfoResponse>(
      'GetServerInfo',
      async () => {
        return {
          outcome: {
            $case: 'info',
            value: {
              ...(await options.handlers.serverInfo()),
              minProtocolVersion: protocol.min,
              maxProtocolVersion: protocol.max,
            },
          },
        };
      },
      unauthenticatedAnswer,
    ),
  });
  server.addService(HealthService, {
    check: (
      call: ServerUnaryCall<HealthCheckRequest, HealthCheckResponse>,
      callback: sendUnaryData<HealthCheckResponse>,
    ) => {
      const serving = options.health?.(call.request.service);
      if (serving === undefined) {
        callback({ code: status.NOT_FOUND, details: `unknown service '${call.request.service}'` });
      } else {
        callback(null, { status: serving });
      }
    },
  });
  return server;
}

const unauthenticatedAnswer = <Res>(): Res =>
  ({ outcome: { $case: 'refusal', value: refuse.unauthenticated() } }) as Res;

/** The caller resolver the options ask for; refuses to build a server that would let anyone in by accident. */
function authenticatorOf(options: CommitterServerOptions): (peer: PeerIdentity) => Principal | undefined {
  const tokens = options.tokens ?? [];
  const byToken =
    tokens.length > 0
      ? tokenAuthenticator(tokens.map((token) => ({ token, principal: { id: 'token' } })))
      : undefined;
  const custom = options.authenticate;
  if (!custom && !byToken && !options.allowAnonymous) {
    throw new Error(
      'createCommitterServer: no authentication configured (tokens or authenticate); set allowAnonymous to serve anyone',
    );
  }
  // In anonymous mode a wrong token gets no more than no token would: anyone may call anyway.
  return (peer) => custom?.(peer) ?? byToken?.(peer) ?? (options.allowAnonymous ? ANONYMOUS : undefined);
}

/** Binds the server and resolves with the bound port (useful with port 0 in tests). */
export function listen(server: Server, address: string, credentials: ServerCredentials): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(address, credentials, (error, port) => (error ? reject(error) : resolve(port)));
  });
}

/** Stops accepting calls and waits for running ones; forces the rest closed after `graceMs`. */
export function shutdown(server: Server, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, graceMs);
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

export { HealthCheckResponse_ServingStatus as ServingStatus };
