/**
 * Column names Delta and Spark accept. Without column mapping Delta rejects ` ,;{}()\n\t=` in names;
 * Spark resolves `.` as struct access and compares names case-insensitively; Parquet cannot store an
 * empty name. Each is replaced deterministically and the original kept in field metadata (`bson.name`).
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what must go
const INVALID = /[ ,;{}()\n\t=.\x00-\x1f\x7f]/g;

export function sanitizeName(name: string): string {
  if (name === '') return '_';
  return name.replace(INVALID, '_');
}

/**
 * Assigns unique column names to `sources` (document field names) at one struct level. `taken` holds
 * names already in use (existing table columns, metadata columns), compared case-insensitively. Among
 * sources that collide, the one that sorts first (by code unit) keeps the bare name, so the outcome
 * does not depend on the order documents arrived in; the others get `__2`, `__3` … suffixes.
 */
export function assignNames(sources: string[], taken: Iterable<string>): Map<string, string> {
  const used = new Set<string>();
  for (const t of taken) used.add(t.toLowerCase());
  const out = new Map<string, string>();
  for (const source of [...sources].sort(compareCodeUnits)) {
    const base = sanitizeName(source);
    let name = base;
    for (let i = 2; used.has(name.toLowerCase()); i++) name = `${base}__${i}`;
    used.add(name.toLowerCase());
    out.set(source, name);
  }
  return out;
}

function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
