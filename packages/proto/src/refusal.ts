import {
  type CommittedOffset,
  type Refusal as RefusalMessage,
  RefusalReason,
  type SchemaConflict,
} from './gen/deltawriter/v1/committer.js';
import { type ProtocolRange, SUPPORTED_PROTOCOL } from './version.js';

/** Builders for the refusals a server sends, so every refusal fills the fields its reason promises. */
export const refuse = {
  invalidRequest: (message: string): RefusalMessage => refusal(RefusalReason.INVALID_REQUEST, message),
  unauthenticated: (
    message = 'missing or wrong bearer token in the authorization metadata',
  ): RefusalMessage => refusal(RefusalReason.UNAUTHENTICATED, message),
  permissionDenied: (message: string): RefusalMessage => refusal(RefusalReason.PERMISSION_DENIED, message),
  unsupportedProtocol: (requested: number, range: ProtocolRange = SUPPORTED_PROTOCOL): RefusalMessage => ({
    ...refusal(
      RefusalReason.UNSUPPORTED_PROTOCOL_VERSION,
      `protocol_version ${requested} is not supported; this server accepts ${range.min}..${range.max}`,
    ),
    minProtocolVersion: range.min,
    maxProtocolVersion: range.max,
  }),
  notLeader: (leaderAddress: string | undefined): RefusalMessage => ({
    ...refusal(
      RefusalReason.NOT_LEADER,
      leaderAddress
        ? `not the leader; the leader is ${leaderAddress}`
        : 'not the leader; no leader is known now',
    ),
    leaderAddress: leaderAddress ?? '',
  }),
  offsetGap: (message: string, committed: CommittedOffset[]): RefusalMessage => ({
    ...refusal(RefusalReason.OFFSET_GAP, message),
    committedOffsets: committed,
  }),
  offsetOverlap: (message: string, committed: CommittedOffset[]): RefusalMessage => ({
    ...refusal(RefusalReason.OFFSET_OVERLAP, message),
    committedOffsets: committed,
  }),
  schemaIncompatible: (message: string, conflicts: SchemaConflict[]): RefusalMessage => ({
    ...refusal(RefusalReason.SCHEMA_INCOMPATIBLE, message),
    schemaConflicts: conflicts,
  }),
  partitioningMismatch: (message: string): RefusalMessage =>
    refusal(RefusalReason.PARTITIONING_MISMATCH, message),
  mirrorStaleBase: (message: string): RefusalMessage => refusal(RefusalReason.MIRROR_STALE_BASE, message),
  mirrorUnsafe: (message: string): RefusalMessage => refusal(RefusalReason.MIRROR_UNSAFE, message),
  retryLater: (message: string, retryAfterMs = 0): RefusalMessage => ({
    ...refusal(RefusalReason.RETRY_LATER, message),
    retryAfterMs,
  }),
};

function refusal(reason: RefusalReason, message: string): RefusalMessage {
  return {
    reason,
    message,
    leaderAddress: '',
    minProtocolVersion: SUPPORTED_PROTOCOL.min,
    maxProtocolVersion: SUPPORTED_PROTOCOL.max,
    committedOffsets: [],
    schemaConflicts: [],
    retryAfterMs: 0,
  };
}

/** Refusals a client retries on its own: another replica or a later attempt can succeed unchanged. */
export function isRetryableRefusal(reason: RefusalReason): boolean {
  return reason === RefusalReason.NOT_LEADER || reason === RefusalReason.RETRY_LATER;
}

/** The reason's name without the enum prefix, e.g. `OFFSET_GAP`; unknown values read as `UNSPECIFIED`. */
export function refusalReasonName(reason: RefusalReason): string {
  return RefusalReason[reason] ?? 'UNSPECIFIED';
}
