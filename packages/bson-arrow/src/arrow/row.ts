/**
 * The row being written, as a number that changes whenever a new one starts. Builders compare it with the row their
 * statistics last changed in, so that the values of one row can be taken back (`ColumnBuilder.truncate`) without a
 * copy of every builder's state per row.
 */
export const ROW = { id: 0 };

/** Starts a new row; returns its id. */
export function nextRow(): number {
  return ++ROW.id;
}
