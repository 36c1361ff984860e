import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as A from 'apache-arrow';
import { readParquet } from '../../src/parquet.js';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
export const GOLDEN_SRC = resolve(REPO_ROOT, 'testdata/delta-golden');
/** Unpacked tables live in the repo's gitignored cache, never in git. */
export const GOLDEN_CACHE = join(REPO_ROOT, '.cache', 'delta-golden');

export function goldenNames(): string[] {
  if (!existsSync(GOLDEN_SRC))
    throw new Error(`golden tables not found at ${GOLDEN_SRC} (testdata/delta-golden of the repository)`);
  return readdirSync(GOLDEN_SRC)
    .filter((f) => f.endsWith('.tar.zst'))
    .map((f) => f.slice(0, -'.tar.zst'.length))
    .sort();
}

/** Unpacks `<name>.tar.zst` into the cache once and returns the case directory. */
export function goldenDir(name: string): string {
  const dir = join(GOLDEN_CACHE, name);
  if (!existsSync(join(dir, '.unpacked'))) {
    mkdirSync(GOLDEN_CACHE, { recursive: true });
    execFileSync('tar', ['--zstd', '-xf', join(GOLDEN_SRC, `${name}.tar.zst`), '-C', GOLDEN_CACHE], {
      stdio: 'ignore',
    });
    execFileSync('touch', [join(dir, '.unpacked')]);
  }
  return dir;
}

const UNIT_MICROS: Record<number, [bigint, bigint]> = {
  [A.TimeUnit.SECOND]: [1_000_000n, 1n],
  [A.TimeUnit.MILLISECOND]: [1000n, 1n],
  [A.TimeUnit.MICROSECOND]: [1n, 1n],
  [A.TimeUnit.NANOSECOND]: [1n, 1000n],
};

function decimalString(words: Uint32Array, i: number, scale: number): string {
  let v = 0n;
  for (let k = 3; k >= 0; k--) v = (v << 32n) | BigInt(words[4 * i + k] as number);
  if (v >> 127n) v -= 1n << 128n;
  const neg = v < 0n;
  const digits = (neg ? -v : v).toString().padStart(scale + 1, '0');
  const s = scale > 0 ? `${digits.slice(0, -scale)}.${digits.slice(-scale)}` : digits;
  return neg ? `-${s}` : s;
}

/** A type-aware, representation-independent JSON value (ns vs µs timestamps compare equal, etc.). */
export function canonicalValue(vec: A.Vector, i: number): unknown {
  if (!vec.isValid(i)) return null;
  const t = vec.type;
  if (A.DataType.isTimestamp(t)) {
    const data = vec.data[0] as A.Data;
    const [mul, div] = UNIT_MICROS[t.unit] as [bigint, bigint];
    return `ts:${(((data.values as unknown as BigInt64Array)[i] as bigint) * mul) / div}`;
  }
  if (A.DataType.isDecimal(t))
    return `dec:${decimalString((vec.data[0] as A.Data).values as Uint32Array, i, t.scale)}`;
  if (A.DataType.isDate(t)) return `date:${Math.floor((vec.get(i) as number) / 86_400_000)}`;
  if (A.DataType.isStruct(t)) {
    const o: Record<string, unknown> = {};
    t.children.forEach((f, k) => {
      o[f.name] = canonicalValue(vec.getChildAt(k) as A.Vector, i);
    });
    return o;
  }
  if (A.DataType.isList(t)) {
    const sub = vec.get(i) as A.Vector;
    return Array.from({ length: sub.length }, (_, j) => canonicalValue(sub, j));
  }
  if (A.DataType.isMap(t)) {
    const data = vec.data[0] as A.Data<A.Map_>;
    const entries = data.children[0] as A.Data;
    const keys = new A.Vector([entries.children[0] as A.Data]);
    const vals = new A.Vector([entries.children[1] as A.Data]);
    const off = data.valueOffsets;
    const entries2: Array<[string, unknown]> = [];
    for (let j = off[i] as number; j < (off[i + 1] as number); j++) {
      entries2.push([JSON.stringify(canonicalValue(keys, j)), canonicalValue(vals, j)]);
    }
    const out = entries2;
    return out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }
  const v = vec.get(i);
  if (typeof v === 'bigint') return `i:${v}`;
  if (typeof v === 'number' && A.DataType.isInt(t)) return `i:${v}`;
  if (v instanceof Uint8Array) return `bin:${Buffer.from(v).toString('hex')}`;
  if (typeof v === 'number' && A.DataType.isFloat(t))
    return `f:${t.precision === A.Precision.SINGLE ? Math.fround(v) : v}`;
  return v;
}

export function canonicalRows(table: A.Table): string[] {
  const rows: string[] = [];
  for (const batch of table.batches) {
    const cols = batch.schema.fields.map((_, k) => batch.getChildAt(k) as A.Vector);
    for (let i = 0; i < batch.numRows; i++) {
      rows.push(JSON.stringify(cols.map((c) => canonicalValue(c, i))));
    }
  }
  return rows.sort();
}

/** The expected rows: every Parquet file under `expected/` (recursively), concatenated. */
export function readExpected(dir: string): { columns: string[]; rows: string[] } {
  const files: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else if (e.name.endsWith('.parquet')) files.push(join(d, e.name));
    }
  };
  walk(dir);
  let columns: string[] = [];
  const rows: string[] = [];
  for (const f of files.sort()) {
    const t = readParquet(new Uint8Array(readFileSync(f)));
    columns = t.schema.fields.map((x) => x.name);
    for (const r of canonicalRows(t)) rows.push(r);
  }
  return { columns, rows: rows.sort() };
}
