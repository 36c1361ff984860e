import { type ChannelCredentials, credentials, ServerCredentials } from '@grpc/grpc-js';

/** PEM material for the client side of the gRPC link. */
export interface ClientTls {
  /** CA bundle that signed the committer's certificate; omitted: the system roots. */
  readonly caPem?: Buffer;
  /** Client certificate chain and key, for mutual TLS. */
  readonly certPem?: Buffer;
  readonly keyPem?: Buffer;
  /** Expected name in the committer's certificate when it differs from the dialled host (e.g. dialling pod IPs). */
  readonly serverName?: string;
}

/** PEM material for the server side. With `clientCaPem` the server requires and verifies client certificates. */
export interface ServerTls {
  readonly certPem: Buffer;
  readonly keyPem: Buffer;
  readonly clientCaPem?: Buffer;
}

export function channelCredentials(tls: ClientTls | undefined): ChannelCredentials {
  if (!tls) return credentials.createInsecure();
  if ((tls.certPem === undefined) !== (tls.keyPem === undefined)) {
    throw new Error('client TLS needs both a certificate and its key for mutual TLS, or neither');
  }
  return credentials.createSsl(tls.caPem ?? null, tls.keyPem ?? null, tls.certPem ?? null);
}

export function serverCredentials(tls: ServerTls | undefined): ServerCredentials {
  if (!tls) return ServerCredentials.createInsecure();
  return ServerCredentials.createSsl(
    tls.clientCaPem ?? null,
    [{ cert_chain: tls.certPem, private_key: tls.keyPem }],
    tls.clientCaPem !== undefined,
  );
}

/** Channel options that go with `channelCredentials` (the TLS name override, when set). */
export function channelOptions(tls: ClientTls | undefined): Record<string, string> {
  return tls?.serverName ? { 'grpc.ssl_target_name_override': tls.serverName } : {};
}
