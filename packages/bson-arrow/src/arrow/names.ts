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
 * Unique column names at one struct level, compared case-insensitively (Spark's rule). Names are taken one at a
 * time, in the order the columns first held a value: the first keeps its bare name, a later one that collides
 * gets `__2`, `__3` … . Because the order is the stream's, not the batch's, a column first seen in a later batch
 * gets the name it would have had in one batch (the table's names are reserved first).
 */
export class ColumnNames {
  private readonly used = new Set<string>();

  constructor(taken: Iterable<string> = []) {
    for (const t of taken) this.reserve(t);
  }

  reserve(name: string): void {
    this.used.add(name.toLowerCase());
  }

  /** The first free name among `base`, `base__2`, `base__3` …, now taken. */
  take(base: string): string {
    let name = base;
    for (let i = 2; this.used.has(name.toLowerCase()); i++) name = `${base}__${i}`;
    this.used.add(name.toLowerCase());
    return name;
  }
}
