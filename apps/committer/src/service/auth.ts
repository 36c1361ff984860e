/**
 * The committer's side of authentication: from the configured credentials to the gRPC server's `authenticate`
 * hook. A token names its Principal (with the table prefixes it may touch); without tokens, a client certificate
 * verified by mutual TLS does, mapped through COMMITTER_CLIENT_SCOPES when that is set. Anonymous callers are
 * served only when the operator asked for it (COMMITTER_INSECURE).
 */
import type { ClientCertificate, CommitterServerOptions, PeerIdentity, Principal } from '@delta-writer/proto';
import { tokenAuthenticator } from '@delta-writer/proto';
import type { AuthConfig } from '../config/load.js';

export type ServerAuth = Pick<CommitterServerOptions, 'authenticate' | 'allowAnonymous'>;

export function serverAuth(auth: AuthConfig): ServerAuth {
  if (auth.tokens.length > 0) {
    return {
      authenticate: tokenAuthenticator(
        auth.tokens.map((c) => ({
          token: c.token,
          principal: { id: c.id, ...(c.tablePrefixes ? { tablePrefixes: c.tablePrefixes } : {}) },
        })),
      ),
    };
  }
  if (auth.mutualTls) {
    const scopes = auth.clientScopes;
    return { authenticate: (peer: PeerIdentity) => certificatePrincipal(peer.certificate, scopes) };
  }
  if (auth.insecure) return { allowAnonymous: true };
  // loadConfig refuses this; a caller building the config by hand gets no open server either.
  throw new Error('no authentication configured: tokens, mutual TLS or COMMITTER_INSECURE');
}

/**
 * The Principal of a verified client certificate: with scopes configured, the first identity of the certificate
 * (`CN=…`, then its subject alternative names) that has an entry; without, any verified certificate, every table.
 */
export function certificatePrincipal(
  certificate: ClientCertificate | undefined,
  scopes: ReadonlyMap<string, readonly string[]> | undefined,
): Principal | undefined {
  if (!certificate) return undefined;
  const identities = [
    ...(certificate.commonName !== undefined ? [`CN=${certificate.commonName}`] : []),
    ...certificate.altNames,
  ];
  if (!scopes) return { id: `cert:${identities[0] ?? 'unnamed'}` };
  for (const identity of identities) {
    const prefixes = scopes.get(identity);
    if (prefixes) return { id: `cert:${identity}`, tablePrefixes: prefixes };
  }
  return undefined;
}
