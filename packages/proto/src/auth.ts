/**
 * Who is calling the committer, and what it may touch. A bearer token (or, with mutual TLS, the client
 * certificate's identity) names a Principal; the Principal carries the table URI prefixes it may commit to and read
 * the state of. The server resolves the Principal before any handler runs; handlers check the scope, because only
 * they know a request's normalized table URI.
 *
 * The token travels as plain call metadata rather than grpc-js call credentials, because grpc-js only sends call
 * credentials over TLS channels and a local or in-cluster plaintext link must still be able to authenticate.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { PeerCertificate } from 'node:tls';
import { Metadata } from '@grpc/grpc-js';

export const AUTHORIZATION_METADATA_KEY = 'authorization';

/** An authenticated caller. */
export interface Principal {
  /** Names the credential in logs and metrics, never the secret itself (e.g. `token:ingestors-a`, `cert:CN=x`). */
  readonly id: string;
  /**
   * Table URI prefixes the caller may commit to and read the state of, each matching at a path-segment boundary
   * (`s3://lake/delta/shop` matches `s3://lake/delta/shop/orders`, not `s3://lake/delta/shopping`); undefined means
   * every table the server serves.
   */
  readonly tablePrefixes?: readonly string[];
}

/** What the server knows about the caller's connection and call. */
export interface PeerIdentity {
  readonly peer: string;
  readonly metadata: Metadata;
  /** The verified client certificate, on a mutual-TLS connection. */
  readonly certificate?: ClientCertificate;
}

/** The names a verified client certificate carries. */
export interface ClientCertificate {
  /** Subject common name. */
  readonly commonName?: string;
  /** Subject alternative names as `DNS:x`, `URI:spiffe://…`, `IP Address:…` (Node's `subjectaltname` entries). */
  readonly altNames: readonly string[];
}

export function bearerMetadata(token: string | undefined): Metadata {
  const metadata = new Metadata();
  if (token) metadata.set(AUTHORIZATION_METADATA_KEY, `Bearer ${token}`);
  return metadata;
}

/** The token a caller presented, or undefined when the metadata has none (or not in the Bearer form). */
export function presentedToken(metadata: Metadata): string | undefined {
  const [value] = metadata.get(AUTHORIZATION_METADATA_KEY);
  if (typeof value !== 'string') return undefined;
  const match = /^Bearer\s+(.+)$/i.exec(value.trim());
  return match?.[1];
}

/**
 * Whether `presented` equals one of the accepted tokens (several are accepted during a rotation). Comparing
 * fixed-length digests in constant time keeps the comparison from leaking the token through timing.
 */
export function tokenAccepted(accepted: readonly string[], presented: string | undefined): boolean {
  return tokenMatch(accepted, presented) !== undefined;
}

/**
 * The index of the accepted token that `presented` equals, or undefined. Every accepted token is compared (in
 * constant time, on digests), so neither the match nor its position shows in the timing.
 */
export function tokenMatch(accepted: readonly string[], presented: string | undefined): number | undefined {
  if (presented === undefined) return undefined;
  const digest = sha256(presented);
  let found: number | undefined;
  accepted.forEach((token, i) => {
    if (timingSafeEqual(sha256(token), digest) && found === undefined) found = i;
  });
  return found;
}

/** A token → Principal resolver over a fixed table of tokens. */
export function tokenAuthenticator(
  tokens: readonly { readonly token: string; readonly principal: Principal }[],
): (peer: PeerIdentity) => Principal | undefined {
  const secrets = tokens.map((t) => t.token);
  return (peer) => {
    const i = tokenMatch(secrets, presentedToken(peer.metadata));
    return i === undefined ? undefined : tokens[i]?.principal;
  };
}

/** The identity of a verified peer certificate (undefined on connections without one). */
export function clientCertificateOf(certificate: PeerCertificate | undefined): ClientCertificate | undefined {
  if (!certificate || Object.keys(certificate).length === 0) return undefined;
  const cn = certificate.subject?.CN;
  return {
    ...(typeof cn === 'string' && cn !== '' ? { commonName: cn } : {}),
    altNames: (certificate.subjectaltname ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== ''),
  };
}

/**
 * Whether `tableUri` lies under one of `prefixes` at a path-segment boundary. Both sides are compared without
 * trailing slashes, so a prefix names a folder, never a partial name.
 */
export function inScope(principal: Principal, tableUri: string): boolean {
  if (principal.tablePrefixes === undefined) return true;
  const uri = trimSlashes(tableUri);
  return principal.tablePrefixes.some((p) => {
    const prefix = trimSlashes(p);
    return uri === prefix || uri.startsWith(`${prefix}/`);
  });
}

function trimSlashes(s: string): string {
  return s.replace(/\/+$/, '');
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
