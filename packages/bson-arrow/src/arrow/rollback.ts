/**
 * Taking back a row that was partly written into the columns: the one-pass decoder writes values as it reads them, so
 * a record that turns out to need the reference path (a duplicate name, a syntax error halfway) has already put some
 * of its values in. Truncating every column to the row count restores the buffers, null counts and statistics of
 * before the row (builders keep their pre-row bounds, see `ColumnBuilder.truncate`). Only appends can be taken back:
 * a row that changed the schema (`Column.put` widening, new columns) is rebuilt instead (`fast/batch.ts`).
 */
import type { Column } from './column.js';

/**
 * Drops every slot of `c` (and of its children, elements, overflow) from `n` on. A struct or list abandoned halfway has
 * not counted its row yet while its children have theirs, so every level is visited whatever its own length.
 */
export function truncateColumn(c: Column, n: number): void {
  if (c.leaf) c.leaf.truncate(n);
  else if (c.children) {
    c.validity?.truncate(n);
    for (const child of c.children.values()) truncateColumn(child, n);
  } else if (c.element) {
    c.validity?.truncate(n);
    const elements = c.offsets[n] as number;
    c.offsets.length = n + 1;
    truncateColumn(c.element, elements);
  }
  c.overflow?.truncate(n);
  if (c.length > n) c.length = n;
}
