import { createHash, timingSafeEqual } from 'node:crypto';
import { Metadata } from '@grpc/grpc-js';

/**
 * The shared bearer token travels as plain call metadata rather than grpc-js call credentials, because grpc-js only
 * sends call credentials over TLS channels and a local or in-cluster plaintext link must still be able to
 * authenticate.
 */
export const AUTHORIZATION_METADATA_KEY = 'authorization';

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
  if (presented === undefined) return false;
  const digest = sha256(presented);
  let ok = false;
  for (const token of accepted) ok = timingSafeEqual(sha256(token), digest) || ok;
  return ok;
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
