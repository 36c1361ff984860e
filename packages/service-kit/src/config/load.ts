/**
 * Loading a service's configuration: the process environment over a `.env` file, secrets from `<NAME>_FILE`, one
 * zod schema parsing it all — or one {@link ConfigError}, whose message is a single line naming the variable (and
 * its value, unless it is a secret). A service that gets one stops with {@link EX_CONFIG}, the same code for both
 * apps, so an orchestrator or an operator can tell "fix the configuration" from a crash.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseEnv } from 'node:util';
import type { z } from 'zod';
import { secretNames } from './values.js';

/** The exit code of a process refused its configuration: EX_CONFIG of sysexits(3). */
export const EX_CONFIG = 78;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`invalid configuration: ${variable} ${problem}`);
  }
}

/** Reads a file the configuration names (secrets, certificates); tests and offline checks pass a stub. */
export type ReadFile = (path: string) => Buffer;

export interface EnvSource {
  /** The process environment (default `process.env`); it wins over the `.env` file. */
  readonly env?: Record<string, string | undefined>;
  /** Where `.env` is looked for (default: the working directory). `ENV_FILE` in `env` names another file. */
  readonly cwd?: string;
  /** Reads `<NAME>_FILE` secrets and the files the service names (default: the file system). */
  readonly readFile?: ReadFile;
}

/**
 * The variables of `schema`, parsed: from `env`, then a `.env` file for what `env` leaves unset, then `<NAME>_FILE`
 * for a secret `NAME` (a mounted Kubernetes or Docker secret, so the value never sits in the environment). An empty
 * value counts as unset (`FOO=` in manifests and `.env` files means "not set"). Throws {@link ConfigError}.
 */
export function loadEnv<S extends z.ZodObject>(schema: S, source: EnvSource = {}): z.output<S> {
  const env = source.env ?? process.env;
  const readFile = source.readFile ?? readFileSync;
  const secrets = secretNames(schema);
  const merged = { ...readDotEnv(env, source.cwd ?? process.cwd()), ...definedValues(env) };
  const input: Record<string, string> = {};
  for (const name of Object.keys(schema.shape)) {
    const value = merged[name];
    if (value !== undefined) input[name] = value;
    const file = secrets.has(name) ? merged[`${name}_FILE`] : undefined;
    if (file !== undefined) input[name] = secretFromFile(name, input[name], file, readFile);
  }
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw configErrorOf(parsed.error, input, secrets);
  return parsed.data;
}

/** A file the configuration names, or a {@link ConfigError} naming the variable that named it. */
export function readConfigFile(variable: string, path: string, readFile: ReadFile = readFileSync): Buffer {
  try {
    return readFile(path);
  } catch (error) {
    throw new ConfigError(
      variable,
      `cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}: ${path})`,
    );
  }
}

/**
 * Runs `load`; on a {@link ConfigError} writes `<service>: <message>` to stderr and exits {@link EX_CONFIG}.
 * Anything else is thrown on.
 */
export function configOrExit<T>(service: string, load: () => T): T {
  try {
    return load();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${service}: ${error.message}\n`);
    process.exit(EX_CONFIG);
  }
}

function readDotEnv(env: Record<string, string | undefined>, cwd: string): Record<string, string> {
  const named = env.ENV_FILE !== undefined && env.ENV_FILE !== '';
  const path = resolve(cwd, named ? (env.ENV_FILE as string) : '.env');
  if (!existsSync(path)) {
    if (named) throw new ConfigError('ENV_FILE', `names a file that does not exist: ${path}`);
    return {};
  }
  return definedValues(parseEnv(readFileSync(path, 'utf8')));
}

/** Drops unset and empty values: `FOO=` means "not set", as in most deployment tooling. */
function definedValues(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && v !== '') out[k] = v;
  return out;
}

/** One trailing newline is dropped, as `echo` and `kubectl create secret` leave one. */
function secretFromFile(name: string, direct: string | undefined, path: string, readFile: ReadFile): string {
  if (direct !== undefined) throw new ConfigError(`${name}_FILE`, `and ${name} are both set; use one`);
  const value = readConfigFile(`${name}_FILE`, path, readFile)
    .toString('utf8')
    .replace(/\r?\n$/, '');
  if (value === '') throw new ConfigError(`${name}_FILE`, `names an empty file: ${path}`);
  return value;
}

function configErrorOf(
  error: z.ZodError,
  input: Record<string, string>,
  secrets: ReadonlySet<string>,
): ConfigError {
  const issue = error.issues[0];
  const variable = String(issue?.path[0] ?? 'environment');
  const value = input[variable];
  const secret = secrets.has(variable);
  let problem: string;
  if (value === undefined) problem = 'is required but not set';
  else {
    problem = issue?.message ?? 'is invalid';
    if (issue?.code === 'invalid_value' && 'values' in issue)
      problem = `must be one of ${issue.values.join(', ')}`;
    if (/^(Invalid|Too|Expected)/.test(problem)) problem = `is invalid (${problem})`;
    // A secret is never echoed, not even inside a message that quotes the input.
    problem = secret ? problem.replace(/".*"/, '(hidden)') : `${problem} (got ${JSON.stringify(value)})`;
  }
  const e = new ConfigError(variable, problem);
  const others = [...new Set(error.issues.slice(1).map((i) => String(i.path[0])))].filter(
    (v) => v !== variable,
  );
  if (others.length > 0) e.message += `; also invalid: ${others.join(', ')}`;
  return e;
}
