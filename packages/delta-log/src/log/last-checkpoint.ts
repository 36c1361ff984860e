/**
 * `_last_checkpoint`: a hint to the newest checkpoint, with an optional MD5 checksum over a canonical
 * form of its own JSON (PROTOCOL "Last Checkpoint File Schema"). A hint that does not parse, fails its
 * checksum, or points at a missing checkpoint is ignored: the listing is authoritative.
 */
import { createHash } from 'node:crypto';

export interface LastCheckpointInfo {
  version: number;
  size: number;
  parts?: number;
  sizeInBytes?: number;
  numOfAddFiles?: number;
  checkpointSchema?: unknown;
  tags?: Record<string, string>;
  checksum?: string;
  [key: string]: unknown;
}

/** PROTOCOL "How to URL encode keys and string values": every octet but `A-Za-z0-9-._~` is %XX-encoded. */
function urlEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Names and string values keep their quotes and URL-encode their content; other scalars are their JSON text. */
function canonicalScalar(v: unknown): string {
  return typeof v === 'string' ? `"${urlEncode(v)}"` : JSON.stringify(v);
}

function flatten(path: string, value: unknown, out: Array<[string, string]>): void {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) flatten(`${path}+${i}`, value[i], out);
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value as Record<string, unknown>))
      flatten(`${path}+"${urlEncode(k)}"`, v, out);
  } else {
    out.push([path, canonicalScalar(value === undefined ? null : value)]);
  }
}

/** MD5 (hex) of the canonicalized `_last_checkpoint` JSON (PROTOCOL "JSON checksum"), ignoring `checksum`. */
export function lastCheckpointChecksum(info: Record<string, unknown>): string {
  const pairs: Array<[string, string]> = [];
  for (const [k, v] of Object.entries(info)) {
    if (k !== 'checksum') flatten(`"${urlEncode(k)}"`, v, pairs);
  }
  // Paths are ASCII after encoding, so UTF-16 order is byte order; sort by path only (`+1` < `+10`).
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return createHash('md5')
    .update(pairs.map(([p, v]) => `${p}=${v}`).join(','), 'utf8')
    .digest('hex');
}

/**
 * Parses `_last_checkpoint`. Returns `undefined` (never throws) for empty, unparsable, shapeless, or
 * checksum-failing content so a corrupt hint can only cost a longer listing.
 */
export function parseLastCheckpoint(text: string): LastCheckpointInfo | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return undefined;
  const info = raw as Record<string, unknown>;
  if (typeof info.version !== 'number' || !Number.isInteger(info.version) || info.version < 0)
    return undefined;
  if (typeof info.checksum === 'string' && lastCheckpointChecksum(info) !== info.checksum) return undefined;
  return info as LastCheckpointInfo;
}

export function serializeLastCheckpoint(info: Omit<LastCheckpointInfo, 'checksum'>): string {
  const body: Record<string, unknown> = { ...info };
  delete body.checksum;
  return JSON.stringify({ ...body, checksum: lastCheckpointChecksum(body) });
}
