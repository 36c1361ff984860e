import fc from 'fast-check';
import * as kafkajs from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { classifyCrash, reconnectDelayMs } from '../../src/kafka/crash.js';

// The errors are built the way kafkajs' retrier wraps them (retry/index.js: `new KafkaJSNonRetriableError(e, { cause:
// e.cause || e })`), with kafkajs' own classes; its typings declare fewer constructor arguments than the code takes.
type Ctor = new (...args: unknown[]) => Error;
const k = kafkajs as unknown as Record<string, Ctor>;
const KafkaJSConnectionError = k.KafkaJSConnectionError as Ctor;
const KafkaJSGroupCoordinatorNotFound = k.KafkaJSGroupCoordinatorNotFound as Ctor;
const KafkaJSNonRetriableError = k.KafkaJSNonRetriableError as Ctor;
const KafkaJSNumberOfRetriesExceeded = k.KafkaJSNumberOfRetriesExceeded as Ctor;
const KafkaJSProtocolError = k.KafkaJSProtocolError as Ctor;
const KafkaJSSASLAuthenticationError = k.KafkaJSSASLAuthenticationError as Ctor;
/** A broker's error answer, as kafkajs raises it (protocol/error.js: type, code, retriable from its table). */
const protocolError = (type: string, code: number, retriable: boolean) =>
  new KafkaJSProtocolError({ type, code, retriable, message: type });
const wrapped = (e: Error) => new KafkaJSNonRetriableError(e, { cause: (e as { cause?: Error }).cause ?? e });

describe('classifyCrash', () => {
  it('reconnects after a broker restart that left the group coordinator unknown', () => {
    const e = wrapped(new KafkaJSGroupCoordinatorNotFound('Failed to find group coordinator'));
    expect(classifyCrash(e)).toBe('reconnect');
  });

  it('reconnects when the connection is refused or the retries ran out', () => {
    const refused = new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:9092');
    expect(classifyCrash(wrapped(refused))).toBe('reconnect');
    expect(classifyCrash(new KafkaJSNumberOfRetriesExceeded(refused, { cause: refused }))).toBe('reconnect');
  });

  it('stops on refused credentials and ACLs, however deeply wrapped', () => {
    const sasl = new KafkaJSSASLAuthenticationError('SASL PLAIN authentication failed');
    expect(classifyCrash(wrapped(sasl))).toBe('fatal');
    const acl = protocolError('GROUP_AUTHORIZATION_FAILED', 30, false);
    expect(classifyCrash(wrapped(wrapped(acl)))).toBe('fatal');
  });

  it('reconnects on a retriable protocol error, stops on an invalid request', () => {
    const loading = protocolError('COORDINATOR_LOAD_IN_PROGRESS', 14, true);
    expect(classifyCrash(wrapped(loading))).toBe('reconnect');
    const invalid = protocolError('INVALID_SESSION_TIMEOUT', 26, false);
    expect(classifyCrash(wrapped(invalid))).toBe('fatal');
  });

  it('stops on an error raised by our own code, even inside a kafkajs wrapper', () => {
    const ours = new TypeError("Cannot read properties of undefined (reading 'offset')");
    expect(classifyCrash(ours)).toBe('fatal');
    expect(classifyCrash(wrapped(ours))).toBe('fatal');
    expect(classifyCrash('not an error')).toBe('fatal');
  });

  it('terminates on a cause cycle', () => {
    const a = new KafkaJSConnectionError('a') as Error & { cause?: unknown };
    const b = new KafkaJSConnectionError('b') as Error & { cause?: unknown };
    a.cause = b;
    b.cause = a;
    // the walk stops at the repeat: b is the innermost error seen, a connection error
    expect(classifyCrash(a)).toBe('reconnect');
    const ours = new TypeError('bug') as Error & { cause?: unknown };
    const outer = new KafkaJSConnectionError('outer') as Error & { cause?: unknown };
    outer.cause = ours;
    ours.cause = outer;
    expect(classifyCrash(outer)).toBe('fatal');
  });
});

describe('reconnectDelayMs', () => {
  it('starts near 1 s, never exceeds 30 s ±20 %, and does not shrink as attempts grow', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1000 }), fc.double({ min: 0, max: 1, noNaN: true }), (n, r) => {
        const d = reconnectDelayMs(n, () => r);
        expect(d).toBeGreaterThanOrEqual(800);
        expect(d).toBeLessThanOrEqual(36_000);
        expect(reconnectDelayMs(n + 1, () => r)).toBeGreaterThanOrEqual(d);
      }),
    );
    expect(reconnectDelayMs(1, () => 0.5)).toBe(1000);
    expect(reconnectDelayMs(6, () => 0.5)).toBe(30_000);
  });
});
