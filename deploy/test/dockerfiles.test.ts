/**
 * The Dockerfiles cannot be built here (no container engine), so what can break them is checked offline: every COPY
 * source exists and survives .dockerignore, the runtime stage copies what `pnpm deploy` produces, the entrypoint is
 * the package's bin, and ports and the health check agree with the configuration defaults. hadolint lints them
 * (deploy/check.sh); deploy/check.sh also runs the build recipe itself (pnpm deploy --prod) and starts the result.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { EnvSchema as CommitterEnv } from '../../apps/committer/src/config/schema.js';
import { EnvSchema as IngestorEnv } from '../../apps/ingestor/src/config/schema.js';

const root = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));
const read = (path: string) => readFileSync(root(path), 'utf8');

interface Instruction {
  readonly op: string;
  readonly args: string;
}

/** Instructions with continuation lines joined and comments dropped. */
function parseDockerfile(text: string): Instruction[] {
  const logical: string[] = [];
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (current === '' && (line === '' || line.startsWith('#'))) continue;
    if (line.startsWith('#')) continue;
    if (line.endsWith('\\')) {
      current += `${line.slice(0, -1)} `;
      continue;
    }
    logical.push(current + line);
    current = '';
  }
  return logical.map((l) => {
    const space = l.indexOf(' ');
    return { op: l.slice(0, space).toUpperCase(), args: l.slice(space + 1).trim() };
  });
}

/** .dockerignore patterns (no negations are used) as a predicate on context paths. */
function ignored(path: string): boolean {
  const patterns = read('.dockerignore')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  expect(patterns.some((p) => p.startsWith('!'))).toBe(false);
  return patterns.some((p) => {
    const re = new RegExp(
      `^${p
        .replace(/[.+^${}()|[\]]/g, '\\$&')
        .replace(/\*\*\//g, '@@')
        .replace(/\*/g, '[^/]*')
        .replace(/@@/g, '(?:.*/)?')}(?:/.*)?$`,
    );
    return re.test(path);
  });
}

const apps = [
  { name: 'committer', schema: CommitterEnv, ports: ['COMMITTER_GRPC_PORT', 'METRICS_PORT'] },
  { name: 'ingestor', schema: IngestorEnv, ports: ['METRICS_PORT'] },
] as const;

function schemaDefault(schema: { shape: Record<string, unknown> }, name: string): string {
  const field = schema.shape[name] as { safeParse(v: undefined): { success: boolean; data?: unknown } };
  const parsed = field.safeParse(undefined);
  return String(parsed.data);
}

describe.each(apps)('apps/$name/Dockerfile', ({ name, schema, ports }) => {
  const instructions = parseDockerfile(read(`apps/${name}/Dockerfile`));
  const pkg = JSON.parse(read(`apps/${name}/package.json`)) as { name: string; bin: Record<string, string> };
  const stages = instructions.filter((i) => i.op === 'FROM');
  const runtimeStart = instructions.findIndex((i) => i.op === 'FROM' && / AS runtime$/i.test(i.args));
  const runtime = instructions.slice(runtimeStart);

  it('is multi-stage on the pinned Node 24 LTS slim image, and runs as an unprivileged user', () => {
    const image = ['$', '{NODE_IMAGE}'].join('');
    expect(stages.map((s) => s.args)).toEqual([`${image} AS build`, `${image} AS runtime`]);
    const arg = instructions.find((i) => i.op === 'ARG' && i.args.startsWith('NODE_IMAGE='));
    expect(arg?.args).toMatch(/^NODE_IMAGE=node:24\.\d+\.\d+-bookworm-slim(@sha256:[0-9a-f]{64})?$/);
    const user = runtime.filter((i) => i.op === 'USER').at(-1);
    expect(user?.args).toMatch(/^[1-9]\d*:[1-9]\d*$/);
  });

  it('COPY sources from the context exist and are not excluded by .dockerignore', () => {
    const sources = instructions
      .filter((i) => i.op === 'COPY' && !i.args.includes('--from='))
      .flatMap((i) =>
        i.args
          .split(/\s+/)
          .filter((a) => !a.startsWith('--'))
          .slice(0, -1),
      );
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources.filter((s) => s !== '.')) {
      expect(existsSync(root(source)), `${source} exists`).toBe(true);
      expect(ignored(source), `${source} is excluded by .dockerignore`).toBe(false);
    }
    // the frozen install needs the lockfile and every workspace manifest in the context
    for (const needed of [
      'pnpm-lock.yaml',
      'pnpm-workspace.yaml',
      'package.json',
      `apps/${name}/package.json`,
    ])
      expect(ignored(needed), needed).toBe(false);
    expect(ignored(`apps/${name}/dist/main.js`)).toBe(true);
    expect(ignored('node_modules/x')).toBe(true);
    expect(ignored('.env')).toBe(true);
  });

  it('builds this package with its workspace dependencies and deploys it without dev dependencies', () => {
    const run = instructions
      .filter((i) => i.op === 'RUN')
      .map((i) => i.args)
      .join('\n');
    expect(run).toContain(`pnpm --filter "${pkg.name}..." run build`);
    expect(run).toMatch(new RegExp(`pnpm --filter ${pkg.name} deploy --prod .* /out`));
    expect(run).toContain('pnpm install --frozen-lockfile --offline');
    const fromBuild = runtime
      .filter((i) => i.op === 'COPY' && i.args.startsWith('--from=build'))
      .map((i) => i.args.split(/\s+/)[1]);
    expect(fromBuild.sort()).toEqual(['/out/dist', '/out/node_modules', '/out/package.json']);
    const outDir = (
      JSON.parse(read(`apps/${name}/tsconfig.build.json`)) as { compilerOptions: { outDir: string } }
    ).compilerOptions.outDir;
    expect(outDir).toBe('dist');
  });

  it('the entrypoint is the package bin', () => {
    const bins = Object.values(pkg.bin);
    expect(bins).toHaveLength(1);
    const entry = JSON.parse(runtime.find((i) => i.op === 'ENTRYPOINT')?.args ?? '[]') as string[];
    // node, its own flags (the ingestor bounds its young generation), the bin
    expect(entry[0]).toBe('node');
    expect(entry.at(-1)).toBe(`/app/${(bins[0] ?? '').replace(/^\.\//, '')}`);
    expect(entry.slice(1, -1).every((a) => /^--[a-z-]+(=\S+)?$/.test(a))).toBe(true);
    expect(
      existsSync(
        root(`apps/${name}/src/${(bins[0] ?? '').replace(/^\.\/dist\//, '').replace(/\.js$/, '.ts')}`),
      ),
    ).toBe(true);
  });

  it('exposes the default ports and health-checks /healthz on the metrics port', () => {
    const exposed = runtime.find((i) => i.op === 'EXPOSE')?.args.split(/\s+/) ?? [];
    expect(exposed).toEqual(ports.map((p) => schemaDefault(schema, p)));
    const health = runtime.find((i) => i.op === 'HEALTHCHECK')?.args ?? '';
    const cmd = JSON.parse(health.slice(health.indexOf('CMD ') + 4)) as string[];
    expect(cmd).toEqual([
      'node',
      '/usr/local/lib/delta-writer/healthcheck.mjs',
      schemaDefault(schema, 'METRICS_PORT'),
    ]);
    expect(read('deploy/docker/healthcheck.mjs')).toContain('/healthz');
  });
});
