import { describe, expect, it } from 'vitest';
import { certificatePrincipal } from '../src/service/auth.js';

describe('client certificate principals', () => {
  const cert = {
    commonName: 'ingestor-shop',
    altNames: ['DNS:ingestor.data.svc', 'URI:spiffe://c/ns/data/sa/ingestor'],
  };
  it('any verified certificate may touch every table when no scopes are configured', () => {
    expect(certificatePrincipal(cert, undefined)).toEqual({ id: 'cert:CN=ingestor-shop' });
    expect(certificatePrincipal(undefined, undefined)).toBeUndefined();
  });
  it('with scopes, the first identity that has an entry decides; none refuses', () => {
    const scopes = new Map([
      ['URI:spiffe://c/ns/data/sa/ingestor', ['s3://lake/delta/shop']],
      ['CN=someone-else', ['s3://lake/delta']],
    ]);
    expect(certificatePrincipal(cert, scopes)).toEqual({
      id: 'cert:URI:spiffe://c/ns/data/sa/ingestor',
      tablePrefixes: ['s3://lake/delta/shop'],
    });
    expect(certificatePrincipal({ commonName: 'intruder', altNames: [] }, scopes)).toBeUndefined();
  });
});
