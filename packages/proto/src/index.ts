/**
 * @delta-writer/proto: the ingestor ↔ committer gRPC contract (`deltawriter.v1`), its generated types, and the
 * client and server helpers both sides use (auth token, TLS, version negotiation, leader discovery with retries).
 */

export * from './auth.js';
export * from './backoff.js';
export * from './client.js';
export * from './gen/deltawriter/v1/committer.js';
export {
  HealthCheckRequest,
  HealthCheckResponse,
  HealthClient,
  HealthService,
} from './gen/grpc/health/v1/health.js';
export * from './refusal.js';
export * from './server.js';
export * from './tls.js';
export * from './version.js';
