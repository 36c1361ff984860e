import { describe, expect, it } from 'vitest';
import { keyIdentity } from '../../src/mirror/key.js';

// The property against bson-arrow's canonical keys (every BSON value) is in apps/ingestor/test/build/key-identity.test.ts,
// where both packages are available.
describe('keyIdentity', () => {
  it('compares numbers by value, as MongoDB _id does, in the key text tables already hold', () => {
    const same = ['{"$numberInt":"77"}', '{"$numberLong":"77"}', '{"$numberDouble":"77.0"}'];
    expect(new Set(same.map(keyIdentity))).toEqual(new Set(['{"$numberLong":"77"}']));
    expect(keyIdentity('{"$numberDouble":"-0.0"}')).toBe('{"$numberLong":"0"}');
    expect(keyIdentity('{"$numberDouble":"1.0E18"}')).toBe('{"$numberLong":"1000000000000000000"}');
    expect(keyIdentity('{"id":{"$numberInt":"-5"},"b":[{"$numberInt":"1"}]}')).toBe(
      '{"id":{"$numberLong":"-5"},"b":[{"$numberLong":"1"}]}',
    );
  });

  it('leaves everything else alone', () => {
    for (const k of [
      '{"$oid":"596e275826f08b2730779e1f"}',
      '"77"',
      '"{\\"$numberInt\\":\\"77\\"}"',
      '{"$numberDouble":"1.5"}',
      '{"$numberDouble":"NaN"}',
      '{"$numberDouble":"-Infinity"}',
      '{"$numberDouble":"9.3E18"}',
      '{"$numberDecimal":"77"}',
      '{"$numberLong":"-9223372036854775808"}',
    ])
      expect(keyIdentity(k)).toBe(k);
  });
});
