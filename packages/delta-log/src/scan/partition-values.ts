/**
 * Partition values (PROTOCOL "Partition Value Serialization"): strings in the log, typed in the scan.
 * `null` or '' is SQL NULL. Timestamps without a zone are read as UTC (what delta-kernel-rs does); dates
 * are `YYYY-MM-DD`. Pure.
 */
import { InvalidTableError } from '../errors.js';
import type { DataType } from '../schema/types.js';

/** A typed scalar: numbers for small ints/floats/dates(days), bigint for long/timestamps(µs)/decimals(unscaled). */
export type Scalar = string | number | bigint | boolean | Uint8Array | null;

const TS =
  /^(-?\d{4,})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/;
const DATE = /^(-?\d{4,})-(\d{2})-(\d{2})$/;

const zoneFormats = new Map<string, Intl.DateTimeFormat>();

/** Offset (ms) of `timeZone` from UTC at `instantMs`, via Intl (IANA zone names). */
export function zoneOffsetMs(timeZone: string, instantMs: number): number {
  let fmt = zoneFormats.get(timeZone);
  if (!fmt) {
    fmt = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    zoneFormats.set(timeZone, fmt);
  }
  const p: Record<string, number> = {};
  for (const part of fmt.formatToParts(new Date(instantMs))) p[part.type] = Number(part.value);
  const wall = Date.UTC(
    p.year ?? 1970,
    (p.month ?? 1) - 1,
    p.day ?? 1,
    p.hour ?? 0,
    p.minute ?? 0,
    p.second ?? 0,
  );
  return wall - Math.floor(instantMs / 1000) * 1000;
}

/**
 * Microseconds since the epoch for `YYYY-MM-DD[ T]HH:MM:SS[.ffffff][Z|±HH:MM]`, or a bare date. A value
 * without a zone is wall time in `timeZone` (default UTC): Spark writes partition values in its session zone.
 */
export function parseTimestampMicros(s: string, timeZone?: string): bigint {
  const m = TS.exec(s.trim());
  if (!m) {
    const d = DATE.exec(s.trim());
    if (d) return BigInt(Date.UTC(Number(d[1]), Number(d[2]) - 1, Number(d[3]))) * 1000n;
    throw new InvalidTableError(`invalid timestamp partition value ${JSON.stringify(s)}`);
  }
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  const frac = (m[7] ?? '').padEnd(6, '0').slice(0, 6);
  let micros = BigInt(ms) * 1000n + BigInt(frac || '0');
  const zone = m[8];
  if (!zone && timeZone && timeZone !== 'UTC') {
    // Two rounds settle the offset across DST transitions.
    let offset = zoneOffsetMs(timeZone, ms);
    offset = zoneOffsetMs(timeZone, ms - offset);
    micros -= BigInt(offset) * 1000n;
  }
  if (zone && zone !== 'Z') {
    const sign = zone[0] === '-' ? -1n : 1n;
    const digits = zone.slice(1).replace(':', '');
    const minutes = BigInt(Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || '0'));
    micros -= sign * minutes * 60_000_000n;
  }
  return micros;
}

export function parseDateDays(s: string): number {
  const d = DATE.exec(s.trim());
  if (!d) {
    const ts = TS.exec(s.trim());
    if (!ts) throw new InvalidTableError(`invalid date partition value ${JSON.stringify(s)}`);
    return Math.floor(Date.UTC(Number(ts[1]), Number(ts[2]) - 1, Number(ts[3])) / 86_400_000);
  }
  return Math.floor(Date.UTC(Number(d[1]), Number(d[2]) - 1, Number(d[3])) / 86_400_000);
}

/** Unscaled integer of a decimal string at `scale` ("-12.3" at scale 2 → -1230n). */
export function parseDecimalUnscaled(s: string, scale: number): bigint {
  const m = /^([+-])?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(s.trim());
  if (!m || (m[2] === '' && (m[3] ?? '') === ''))
    throw new InvalidTableError(`invalid decimal value ${JSON.stringify(s)}`);
  let digits = `${m[2] ?? ''}${m[3] ?? ''}`;
  let exp = -(m[3] ?? '').length + Number(m[4] ?? 0) + scale;
  if (exp < 0) {
    // More fractional digits than the scale: only zeros may be dropped.
    const dropped = digits.slice(digits.length + exp);
    if (/[^0]/.test(dropped)) throw new InvalidTableError(`decimal ${s} does not fit scale ${scale}`);
    digits = digits.slice(0, digits.length + exp);
    exp = 0;
  }
  const v = BigInt(digits || '0') * 10n ** BigInt(exp);
  return m[1] === '-' ? -v : v;
}

/** The decimal text of `unscaled × 10^-scale` (`formatDecimal(-12345n, 2)` is `-123.45`), exact at any width. */
export function formatDecimal(unscaled: bigint, scale: number): string {
  const neg = unscaled < 0n;
  const digits = (neg ? -unscaled : unscaled).toString().padStart(scale + 1, '0');
  const s = scale > 0 ? `${digits.slice(0, -scale)}.${digits.slice(-scale)}` : digits;
  return neg ? `-${s}` : s;
}

/** Parses one serialized partition value into the scan's scalar for `type`. */
export function parsePartitionValue(
  raw: string | null | undefined,
  type: DataType,
  timeZone?: string,
): Scalar {
  if (raw === null || raw === undefined || raw === '') return null;
  if (typeof type !== 'string') {
    if (type.type === 'decimal') return parseDecimalUnscaled(raw, type.scale);
    throw new InvalidTableError(`partition column of non-primitive type ${type.type}`);
  }
  switch (type) {
    case 'string':
      return raw;
    case 'byte':
    case 'short':
    case 'integer': {
      const n = Number(raw);
      if (!Number.isInteger(n))
        throw new InvalidTableError(`invalid ${type} partition value ${JSON.stringify(raw)}`);
      return n;
    }
    case 'long':
      return BigInt(raw);
    case 'float':
    case 'double':
      return Number(raw);
    case 'boolean':
      return raw.toLowerCase() === 'true';
    case 'date':
      return parseDateDays(raw);
    case 'timestamp':
      return parseTimestampMicros(raw, timeZone);
    case 'timestamp_ntz':
      return parseTimestampMicros(raw);
    case 'binary':
      return new TextEncoder().encode(raw);
    default:
      throw new InvalidTableError(`unsupported partition column type ${type}`);
  }
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/**
 * Serializes a typed value as a partition value string (the inverse of `parsePartitionValue`): timestamps
 * as `YYYY-MM-DD HH:MM:SS.ffffff` (UTC for `timestamp`), dates `YYYY-MM-DD`, decimals plain.
 */
export function serializePartitionValue(value: Scalar, type: DataType): string | null {
  if (value === null) return null;
  if (typeof type !== 'string' && type.type === 'decimal')
    return formatDecimal(BigInt(value as bigint), type.scale);
  switch (type) {
    case 'date': {
      const d = new Date(Number(value) * 86_400_000);
      return `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}`;
    }
    case 'timestamp':
    case 'timestamp_ntz': {
      const us = BigInt(value as bigint);
      const ms = Number(us / 1000n) - (us % 1000n < 0n ? 1 : 0);
      const micros = Number(((us % 1_000_000n) + 1_000_000n) % 1_000_000n);
      const d = new Date(ms);
      return `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)} ${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}.${pad(micros, 6)}`;
    }
    case 'binary':
      return new TextDecoder().decode(value as Uint8Array);
    default:
      return String(value);
  }
}
