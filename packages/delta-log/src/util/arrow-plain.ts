/**
 * Arrow → plain JS values, for reading log actions out of Parquet checkpoints. Readers are built once per
 * column (not per row) because apache-arrow's child lookups allocate.
 */
import * as A from 'apache-arrow';

export type Reader = (row: number) => unknown;

/**
 * Builds a reader for `vec`. Structs become objects without their null fields (the JSON shape of actions),
 * int64 becomes number, maps become records, lists become arrays. With `isoTimestamps`, timestamps become
 * ISO-8601 strings (the JSON stats encoding) instead of epoch milliseconds.
 */
export function plainReader(
  vec: A.Vector,
  isoTimestamps = false,
  skip: ReadonlySet<string> = new Set(),
): Reader {
  const t = vec.type;
  if (A.DataType.isStruct(t)) {
    const kids: Array<[string, Reader]> = [];
    t.children.forEach((f, k) => {
      const child = vec.getChildAt(k);
      if (child && !skip.has(f.name)) kids.push([f.name, plainReader(child, isoTimestamps)]);
    });
    return (i) => {
      if (!vec.isValid(i)) return null;
      const o: Record<string, unknown> = {};
      for (const [name, read] of kids) {
        const v = read(i);
        if (v !== null && v !== undefined) o[name] = v;
      }
      return o;
    };
  }
  if (A.DataType.isMap(t)) {
    return (i) => {
      const row = vec.get(i) as A.MapRow | null;
      if (row === null || row === undefined) return null;
      const o: Record<string, unknown> = {};
      for (const [k, v] of row) o[String(k)] = typeof v === 'bigint' ? Number(v) : (v ?? null);
      return o;
    };
  }
  if (A.DataType.isList(t)) {
    return (i) => {
      const sub = vec.get(i) as A.Vector | null;
      if (sub === null || sub === undefined) return null;
      const read = plainReader(sub, isoTimestamps);
      const out: unknown[] = [];
      for (let j = 0; j < sub.length; j++) out.push(read(j));
      return out;
    };
  }
  if (A.DataType.isTimestamp(t) && isoTimestamps) {
    return (i) => {
      const v = vec.get(i) as number | null;
      return v === null || v === undefined ? null : new Date(v).toISOString();
    };
  }
  if (A.DataType.isDate(t) && isoTimestamps) {
    return (i) => {
      const v = vec.get(i) as number | null;
      return v === null || v === undefined ? null : new Date(v).toISOString().slice(0, 10);
    };
  }
  return (i) => {
    const v = vec.get(i);
    if (typeof v === 'bigint') return Number(v);
    return v ?? null;
  };
}
