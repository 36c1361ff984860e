/**
 * The building blocks of a service's configuration schema: one environment variable per setting, every value
 * arriving as a string that its field parses, and the metadata (meaning, format, secrecy) that the configuration
 * reference, the Helm chart's values and the secret redaction are generated from. Both apps build their schemas
 * from these, so an integer, a byte size or a boolean means the same — and is refused with the same words — in each.
 */
import { z } from 'zod';

/** What a variable means, for the reference; whether it is a secret. */
export interface VarMeta {
  /** What the variable means, for the reference table. */
  readonly description: string;
  /** Shown in the reference as the format (otherwise derived from the schema: an enum, `integer` or `string`). */
  readonly format?: string;
  /** Secrets are never logged, never echoed in configuration errors, and may be read from `<NAME>_FILE`. */
  readonly secret?: boolean;
}

/** A variable: its parser with its metadata attached. */
export const meta = <T extends z.ZodType>(schema: T, m: VarMeta): T => schema.meta({ ...m }) as T;

/** The metadata of one field of a schema (empty when it has none). */
export function metaOf(field: z.ZodType): Partial<VarMeta> {
  return (field.meta() ?? {}) as Partial<VarMeta>;
}

/** Names of the variables a schema marks secret. */
export function secretNames(schema: z.ZodObject): ReadonlySet<string> {
  return new Set(
    Object.entries(schema.shape)
      .filter(([, field]) => metaOf(field as z.ZodType).secret === true)
      .map(([name]) => name),
  );
}

/** A whole number from `min` to `max`. */
export const int = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z
    .string()
    .regex(/^\d+$/, { error: `must be a whole number between ${min} and ${max}` })
    .transform(Number)
    .pipe(
      z
        .number()
        .int()
        .min(min, { error: `must be at least ${min}` })
        .max(max, { error: `must be at most ${max}` }),
    );

/** `true`/`false` (also `1`/`0`, `yes`/`no`). */
export const bool = () =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' })
    .transform((s) => s === 'true' || s === '1' || s === 'yes');

/**
 * A byte size, with an optional unit (`64MiB`, `512mb`, `1GB`), because bare byte counts are error-prone. Positive,
 * unless `zeroTurnsOff` — for the settings whose documentation says 0 turns them off.
 */
export const bytes = ({ zeroTurnsOff = false } = {}) =>
  z
    .string()
    .transform((s, ctx) => {
      const n = parseByteSize(s);
      if (n === undefined) {
        ctx.addIssue({ code: 'custom', message: 'must be a byte size such as 67108864, 64MiB or 512MB' });
        return z.NEVER;
      }
      return n;
    })
    .pipe(
      zeroTurnsOff
        ? z.number().int().min(0, { error: 'must be 0 (off) or positive' })
        : z.number().int().min(1, { error: 'must be positive' }),
    );

/** `67108864`, `64MiB`, `64 mb`, `1.5GiB` → bytes; undefined when the text is not a size. */
export function parseByteSize(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?i?b?)?\s*$/i.exec(text);
  if (!m?.[1]) return undefined;
  const unit = (m[2] ?? '').toLowerCase().replace(/b$/, '');
  const power = { '': 0, k: 1, m: 2, g: 3, t: 4, ki: 1, mi: 2, gi: 3, ti: 4 }[unit];
  if (power === undefined) return undefined;
  const base = unit.endsWith('i') ? 1024 : unit === '' ? 1 : 1000;
  return Math.round(Number(m[1]) * base ** power);
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** A duration such as `7d`, `36h`, `90m`, `30s` or `500ms`, in milliseconds. */
export const duration = () =>
  z
    .string()
    .regex(/^\d+(ms|s|m|h|d)$/, { error: 'must be a duration such as 7d, 36h, 90m, 30s or 500ms' })
    .transform((text) => {
      const [, n, unit] = /^(\d+)(ms|s|m|h|d)$/.exec(text) as RegExpExecArray;
      return Number(n) * (UNIT_MS[unit as string] as number);
    });

/** A number from 0 to 1. */
export const ratio = () =>
  z
    .string()
    .regex(/^(0(\.\d+)?|1(\.0+)?)$/, { error: 'must be a number from 0 to 1' })
    .transform(Number);

/** A comma-separated list; blanks around items and empty items are dropped. */
export const list = () =>
  z.string().transform((s) =>
    s
      .split(',')
      .map((x) => x.trim())
      .filter((x) => x !== ''),
  );

/** `host:port` (a name, an IPv4 address, or a bracketed IPv6 address). */
export const hostPort = () =>
  z.string().regex(/^[^\s:/]+:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$/, {
    error: 'must be host:port (e.g. committer-0.committer:50051)',
  });

/** The levels of the JSON logs (pino's). */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
