/**
 * Every environment variable of both apps, read from their zod schemas (the only place a variable is defined),
 * and where the Helm chart takes each one from. The generator (`generate.ts`) turns this into the configuration
 * reference, the chart's values and values schema, and the variable list the chart's templates iterate over; the
 * deploy tests compare those with the schemas again, so a variable added to an app cannot be missed here.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { EnvSchema as CommitterEnv } from '../../apps/committer/src/config/schema.js';
import { EnvSchema as IngestorEnv } from '../../apps/ingestor/src/config/schema.js';

export type App = 'committer' | 'ingestor';
export const APPS: readonly App[] = ['committer', 'ingestor'];

/** One variable as one app defines it. */
export interface AppVar {
  readonly name: string;
  readonly app: App;
  readonly description: string;
  readonly format: string;
  /** The schema's default, as the string the variable would hold; undefined when there is none. */
  readonly default: string | undefined;
  readonly required: boolean;
  /** The schema marks it secret (never logged). */
  readonly secret: boolean;
  /** JSON-schema constraints of the raw string (pattern, enum), for the chart's values schema. */
  readonly stringSchema: { pattern?: string; enum?: string[] };
}

/** Where the chart gets a variable from. */
export type Placement =
  | { kind: 'managed'; how: string }
  | { kind: 'secret' }
  | { kind: 'shared' }
  | { kind: 'app'; app: App };

export interface ChartVar {
  readonly name: string;
  readonly apps: readonly App[];
  readonly placement: Placement;
  readonly defs: readonly AppVar[];
}

/**
 * Variables the chart sets itself, because they must agree with other parts of the manifests (ports with probes and
 * Services, addresses with pod IPs, file paths with volume mounts). `extraEnv` still overrides any of them.
 */
export const MANAGED: Readonly<Record<string, string>> = {
  COMMITTER_ID: 'the pod name (downward API `metadata.name`)',
  INGESTOR_ID: 'the pod name (downward API `metadata.name`)',
  COMMITTER_ADVERTISED_ADDRESS:
    'the pod IP (downward API `status.podIP`) or, with `committer.advertise: podDNS`, the pod’s DNS name; and `committer.grpcPort`',
  COMMITTER_GRPC_PORT: '`committer.grpcPort`',
  METRICS_PORT: '`committer.metricsPort` / `ingestor.metricsPort`',
  COMMITTER_ADDRESSES:
    'the committer Service (`<release>-committer:<grpcPort>`), or `ingestor.committerAddresses`',
  COMMITTER_TLS_CERT_FILE:
    '`grpcTls.secretName` mounted at `/etc/delta-writer/grpc-tls` (`tls.crt`; the ingestor presents it with `grpcTls.mutual: true`)',
  COMMITTER_TLS_KEY_FILE:
    '`grpcTls.secretName` mounted at `/etc/delta-writer/grpc-tls` (`tls.key`; the ingestor with `grpcTls.mutual: true`)',
  COMMITTER_TLS_CLIENT_CA_FILE: '`grpcTls.mutual: true`: `ca.crt` of `grpcTls.secretName`',
  COMMITTER_TLS: '`grpcTls.enabled`',
  COMMITTER_TLS_CA_FILE: '`grpcTls.secretName` mounted at `/etc/delta-writer/grpc-tls` (`ca.crt`)',
  KAFKA_SSL_CA_FILE: '`kafkaTls.caSecretName` mounted at `/etc/delta-writer/kafka-tls` (`ca.crt`)',
};

/** Credentials that go to the Kubernetes Secret although the schema does not mark them secret. */
export const ALSO_SECRET: ReadonlySet<string> = new Set(['MINIO_ACCESS_KEY', 'KAFKA_SASL_USERNAME']);

interface ZodLike {
  readonly shape: Record<string, { meta(): unknown; safeParse(v: unknown): { success: boolean } }>;
}
interface JsonProperty {
  enum?: string[];
  default?: unknown;
  pattern?: string;
}

/** zod lives in the apps' dependencies, not ours: load the very module instance their schemas use. */
async function loadZod(): Promise<{ toJSONSchema(schema: unknown, options: object): unknown }> {
  const require = createRequire(new URL('../../apps/committer/package.json', import.meta.url));
  const cjs = require.resolve('zod');
  const mod = (await import(pathToFileURL(join(dirname(cjs), 'index.js')).href)) as {
    z: { toJSONSchema(schema: unknown, options: object): unknown };
  };
  return mod.z;
}

function appVars(app: App, schema: ZodLike, toJSONSchema: (s: unknown, o: object) => unknown): AppVar[] {
  const json = toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as {
    properties: Record<string, JsonProperty>;
  };
  return Object.entries(schema.shape).map(([name, field]) => {
    const property = json.properties[name] ?? {};
    const m = (field.meta() ?? {}) as { description?: string; format?: string; secret?: boolean };
    const format =
      m.format ??
      (property.enum ? property.enum.join(' | ') : property.pattern === '^\\d+$' ? 'integer' : 'string');
    const dflt =
      property.default !== undefined && property.default !== '' ? String(property.default) : undefined;
    return {
      name,
      app,
      description: m.description ?? '',
      format,
      default: dflt,
      required: property.default === undefined && !field.safeParse(undefined).success,
      secret: m.secret === true,
      stringSchema: {
        ...(property.pattern ? { pattern: property.pattern } : {}),
        ...(property.enum ? { enum: property.enum } : {}),
      },
    };
  });
}

export async function loadVars(): Promise<{ byApp: Record<App, AppVar[]>; chart: ChartVar[] }> {
  const z = await loadZod();
  const toJSONSchema = (s: unknown, o: object) => z.toJSONSchema(s, o);
  const byApp: Record<App, AppVar[]> = {
    committer: appVars('committer', CommitterEnv as unknown as ZodLike, toJSONSchema),
    ingestor: appVars('ingestor', IngestorEnv as unknown as ZodLike, toJSONSchema),
  };
  const names = [...new Set(APPS.flatMap((app) => byApp[app].map((v) => v.name)))];
  const chart = names.map((name): ChartVar => {
    const defs = APPS.flatMap((app) => byApp[app].filter((v) => v.name === name));
    const apps = defs.map((d) => d.app);
    const managed = MANAGED[name];
    const placement: Placement = managed
      ? { kind: 'managed', how: managed }
      : defs.some((d) => d.secret) || ALSO_SECRET.has(name)
        ? { kind: 'secret' }
        : apps.length > 1
          ? { kind: 'shared' }
          : { kind: 'app', app: apps[0] as App };
    return { name, apps, placement, defs };
  });
  return { byApp, chart };
}
