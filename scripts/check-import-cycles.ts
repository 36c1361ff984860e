/**
 * Fails when modules of the apps or packages import each other in a circle — type-only imports included, since a
 * type cycle ties two modules as tightly for a reader as a value cycle does. Every `import`/`export … from` of a
 * relative path in `apps/*\/src` and `packages/*\/src` is an edge (read with the TypeScript parser, so comments and
 * strings cannot fool it); each strongly connected component of more than one module (or a module importing
 * itself) is printed. Part of the lint step (`scripts/test-all.sh`).
 *
 *   node --import tsx scripts/check-import-cycles.ts
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function sourceRoots(): string[] {
  const roots: string[] = [];
  for (const group of ['apps', 'packages']) {
    for (const name of readdirSync(join(ROOT, group))) {
      const src = join(ROOT, group, name, 'src');
      if (existsSync(src)) roots.push(src);
    }
  }
  return roots;
}

function tsFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      if (name !== 'gen' && name !== 'node_modules') tsFiles(path, out);
    } else if (/\.ts$/.test(name) && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** The modules of this repository that `file` imports (relative specifiers, `.js` meaning the `.ts` beside it). */
function importsOf(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false);
  const out: string[] = [];
  for (const statement of source.statements) {
    const specifier =
      (ts.isImportDeclaration(statement) || ts.isExportDeclaration(statement)) &&
      statement.moduleSpecifier &&
      ts.isStringLiteral(statement.moduleSpecifier)
        ? statement.moduleSpecifier.text
        : undefined;
    if (!specifier?.startsWith('.')) continue;
    const target = resolve(dirname(file), specifier.replace(/\.js$/, '.ts'));
    if (existsSync(target)) out.push(target);
    else if (existsSync(join(target.replace(/\.ts$/, ''), 'index.ts')))
      out.push(join(target.replace(/\.ts$/, ''), 'index.ts'));
  }
  return out;
}

/** Tarjan's strongly connected components. */
function cycles(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v) as number, index.get(w) as number));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop() as string;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

const graph = new Map<string, string[]>();
for (const root of sourceRoots()) for (const file of tsFiles(root)) graph.set(file, importsOf(file));
const found = cycles(graph);
if (found.length > 0) {
  console.error(`import cycles (${found.length}):`);
  for (const c of found) console.error(`  ${c.map((f) => relative(ROOT, f)).join(' ↔ ')}`);
  process.exit(1);
}
console.log(`no import cycles among ${graph.size} modules of apps/*/src and packages/*/src`);
