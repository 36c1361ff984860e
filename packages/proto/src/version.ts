import { WriteMode } from './gen/deltawriter/v1/committer.js';

/**
 * Protocol revisions of `deltawriter.v1`. Every request carries the caller's revision; a server accepts the range
 * [min, max] it states. Bump PROTOCOL_VERSION when a field's meaning for the server changes in a way an older peer
 * could misread; raise the server's minimum only after every peer speaks the newer revision.
 */
export const PROTOCOL_VERSION = 2;

/** The first revision with mirror tables (WRITE_MODE_UPSERT, CommitRequest.mirror, the MIRROR_* refusals). */
export const MIRROR_PROTOCOL_VERSION = 2;

export interface ProtocolRange {
  readonly min: number;
  readonly max: number;
}

/** The range this build of the server accepts. */
export const SUPPORTED_PROTOCOL: ProtocolRange = { min: 1, max: PROTOCOL_VERSION };

/**
 * The lowest revision a commit request can be sent as: an append request means the same in revision 1, so a client
 * may send it to a server that accepts only revision 1 (rolling upgrades in either order); an upsert needs 2.
 */
export function requiredProtocol(request: { readonly writeMode: WriteMode }): number {
  return request.writeMode === WriteMode.UPSERT ? MIRROR_PROTOCOL_VERSION : 1;
}

/** Whether a request's `protocol_version` is one the server accepts (0 means the field was never set). */
export function isSupportedProtocol(requested: number, range: ProtocolRange = SUPPORTED_PROTOCOL): boolean {
  return Number.isInteger(requested) && requested >= range.min && requested <= range.max;
}
