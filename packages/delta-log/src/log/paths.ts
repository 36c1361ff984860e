/**
 * Names of the files in `_delta_log/` and their parsing. Pure: no I/O.
 */

/** The folder of a table's log (`_delta_log`). */
export const LOG_DIR = '_delta_log';
export const LAST_CHECKPOINT = '_last_checkpoint';
export const SIDECAR_DIR = '_sidecars';

export function pad20(version: number): string {
  return String(version).padStart(20, '0');
}

/** The file name of commit `version` in the log folder (`00000000000000000042.json`). */
export function commitFileName(version: number): string {
  return `${pad20(version)}.json`;
}

export function classicCheckpointFileName(version: number): string {
  return `${pad20(version)}.checkpoint.parquet`;
}

export function crcFileName(version: number): string {
  return `${pad20(version)}.crc`;
}

export type LogFile =
  | { kind: 'commit'; version: number; name: string; size: number; lastModified: number }
  | {
      kind: 'checkpoint';
      version: number;
      name: string;
      size: number;
      lastModified: number;
      format: 'classic';
    }
  | {
      kind: 'checkpoint';
      version: number;
      name: string;
      size: number;
      lastModified: number;
      format: 'multipart';
      part: number;
      parts: number;
    }
  | {
      kind: 'checkpoint';
      version: number;
      name: string;
      size: number;
      lastModified: number;
      format: 'v2';
      ext: 'json' | 'parquet';
    }
  | {
      kind: 'compacted';
      version: number;
      toVersion: number;
      name: string;
      size: number;
      lastModified: number;
    }
  | { kind: 'crc'; version: number; name: string; size: number; lastModified: number };

const COMMIT = /^(\d{20})\.json$/;
const CLASSIC = /^(\d{20})\.checkpoint\.parquet$/;
const MULTIPART = /^(\d{20})\.checkpoint\.(\d{10})\.(\d{10})\.parquet$/;
const V2 = /^(\d{20})\.checkpoint\.([0-9a-fA-F-]{36})\.(json|parquet)$/;
const COMPACTED = /^(\d{20})\.(\d{20})\.compacted\.json$/;
const CRC = /^(\d{20})\.crc$/;

/** Classifies a file name in `_delta_log/`; anything unrecognized (temp files, `_last_checkpoint`) is `undefined`. */
export function parseLogFileName(name: string, size = 0, lastModified = 0): LogFile | undefined {
  let m = COMMIT.exec(name);
  if (m) return { kind: 'commit', version: Number(m[1]), name, size, lastModified };
  m = CLASSIC.exec(name);
  if (m) return { kind: 'checkpoint', format: 'classic', version: Number(m[1]), name, size, lastModified };
  m = MULTIPART.exec(name);
  if (m) {
    return {
      kind: 'checkpoint',
      format: 'multipart',
      version: Number(m[1]),
      part: Number(m[2]),
      parts: Number(m[3]),
      name,
      size,
      lastModified,
    };
  }
  m = V2.exec(name);
  if (m) {
    return {
      kind: 'checkpoint',
      format: 'v2',
      version: Number(m[1]),
      ext: m[3] as 'json' | 'parquet',
      name,
      size,
      lastModified,
    };
  }
  m = COMPACTED.exec(name);
  if (m)
    return { kind: 'compacted', version: Number(m[1]), toVersion: Number(m[2]), name, size, lastModified };
  m = CRC.exec(name);
  if (m) return { kind: 'crc', version: Number(m[1]), name, size, lastModified };
  return undefined;
}

/** Joins path segments with '/', ignoring empty ones (table roots may be ''). */
export function joinPath(...parts: string[]): string {
  return parts.filter((p) => p.length > 0).join('/');
}
